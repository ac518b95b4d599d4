/** Errors about a client's file, always naming the file and, for syntax, the line and column. */
import { GatewayError } from '../../protocol/errors.ts';
import { lineColumn } from '../text.ts';

/** A client file we cannot parse (or whose shape we do not understand): never rewritten. */
export function parseErrorAt(file: string, text: string, offset: number, message: string): GatewayError {
  const { line, column } = lineColumn(text, offset);
  return parseErrorLine(file, line, column, message);
}

export function parseErrorLine(file: string, line: number, column: number, message: string): GatewayError {
  return new GatewayError('config_invalid', `${file}:${line}:${column}: ${message} (the file was not changed)`);
}
