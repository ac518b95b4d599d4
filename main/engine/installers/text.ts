/**
 * Text details every client format shares: a byte-order mark and the file's line ending are
 * kept as found, so an edit never changes a line it did not mean to.
 */
import { createHash } from 'node:crypto';

export interface TextShape {
  /** The file started with U+FEFF. */
  bom: boolean;
  /** The line ending the file uses ('\n' when it has none yet). */
  eol: '\n' | '\r\n';
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Splits off a BOM and finds the line ending; `body` is what the format parsers see. */
export function splitText(text: string): { body: string; shape: TextShape } {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const firstNewline = body.indexOf('\n');
  const eol = firstNewline > 0 && body[firstNewline - 1] === '\r' ? '\r\n' : '\n';
  return { body, shape: { bom, eol } };
}

export function joinText(body: string, shape: TextShape): string {
  return shape.bom ? `\uFEFF${body}` : body;
}

/** The whitespace a line starts with. */
export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/** Start offset of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just past the end of the line holding `offset` (past its '\n', or the text's end). */
export function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl === -1 ? text.length : nl + 1;
}

/** 1-based line and column of an offset (columns in UTF-16 code units, as editors count). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const start = lineStart(text, Math.min(offset, text.length));
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < start; i = text.indexOf('\n', i + 1)) line++;
  return { line, column: Math.min(offset, text.length) - start + 1 };
}

/** Re-indents a multi-line block: every line after the first gets `indent`, lines joined by `eol`. */
export function indentBlock(block: string, indent: string, eol: string): string {
  return block
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : indent + line))
    .join(eol);
}
