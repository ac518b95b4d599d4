/**
 * Newline-delimited JSON framing for stdio and the shim socket, on top of the splitter the shim
 * uses too (main/shared/lines.ts): lines come out as strings without their newline. A line that
 * is not UTF-8 is refused (onNotUtf8), never decoded with replacement characters.
 */
import { isUtf8 } from 'node:buffer';
import { messageJson } from './json-text.ts';
import { LineSplitter, stripNewline } from '../../shared/lines.ts';

/** How much of a refused line's start and end is kept to recover its id. */
const EDGE = 256;

export interface LineDecoderOptions {
  /** Longest line accepted, in bytes. A longer line is skipped and reported via onOverflow. */
  maxLineBytes: number;
  onLine: (line: string) => void;
  /** `head` and `tail` are the line's first and last bytes (up to 256 each), to recover its id. */
  onOverflow: (bytes: number, head: string, tail: string) => void;
  /** A line that is not valid UTF-8; `head` and `tail` as for onOverflow. */
  onNotUtf8: (head: string, tail: string) => void;
}

export class LineDecoder {
  private readonly splitter: LineSplitter;

  constructor(opts: LineDecoderOptions) {
    this.splitter = new LineSplitter(
      opts.maxLineBytes,
      (line) => {
        const bytes = stripNewline(line);
        if (isUtf8(bytes)) opts.onLine(bytes.toString('utf8'));
        else opts.onNotUtf8(bytes.toString('utf8', 0, EDGE), bytes.subarray(-EDGE).toString('utf8'));
      },
      (bytes, head, tail) => opts.onOverflow(bytes, head.toString('utf8'), tail.toString('utf8')),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }
}

/** Serialises one message as a line. JSON.stringify never emits raw newlines. */
export function encodeLine(message: unknown): string {
  return messageJson(message) + '\n';
}
