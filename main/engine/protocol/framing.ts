/**
 * Newline-delimited framing for stdio and the shim socket. Chunks are kept in a list and
 * only the new chunk is scanned for a newline, so a 16 MiB message arriving in 64 KiB
 * pieces costs one pass, not one per chunk.
 */
export interface LineDecoderOptions {
  /** Longest line accepted, in bytes. A longer line is skipped and reported via onOverflow. */
  maxLineBytes: number;
  onLine: (line: string) => void;
  /** `head` and `tail` are the line's first and last bytes (up to 256 each), to recover its id. */
  onOverflow: (bytes: number, head: string, tail: string) => void;
}

const EDGE = 256;

export class LineDecoder {
  private chunks: Buffer[] = [];
  private pending = 0;
  /** True while discarding the rest of an over-long line. */
  private skipping = false;
  private skipped = 0;
  private head = '';
  private tail: Buffer = Buffer.alloc(0);
  private readonly opts: LineDecoderOptions;

  constructor(opts: LineDecoderOptions) {
    this.opts = opts;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      this.finishLine(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  private keep(part: Buffer): void {
    if (this.skipping) {
      this.skipped += part.length;
      this.tail = Buffer.concat([this.tail, part]).subarray(-EDGE);
      return;
    }
    if (this.pending + part.length > this.opts.maxLineBytes) {
      this.skipping = true;
      this.skipped = this.pending + part.length;
      this.head = Buffer.concat([...this.chunks, part]).subarray(0, EDGE).toString('utf8');
      this.tail = part.subarray(-EDGE);
      this.chunks = [];
      this.pending = 0;
      return;
    }
    this.chunks.push(part);
    this.pending += part.length;
  }

  private finishLine(tail: Buffer): void {
    if (this.skipping) {
      const total = this.skipped + tail.length;
      const end = Buffer.concat([this.tail, tail]).subarray(-EDGE).toString('utf8');
      this.skipping = false;
      this.skipped = 0;
      this.tail = Buffer.alloc(0);
      this.opts.onOverflow(total, this.head, end);
      return;
    }
    if (this.pending + tail.length > this.opts.maxLineBytes) {
      const total = this.pending + tail.length;
      const whole = Buffer.concat([...this.chunks, tail]);
      this.chunks = [];
      this.pending = 0;
      this.opts.onOverflow(total, whole.subarray(0, EDGE).toString('utf8'), whole.subarray(-EDGE).toString('utf8'));
      return;
    }
    let line: string;
    if (this.chunks.length === 0) line = tail.toString('utf8');
    else {
      this.chunks.push(tail);
      line = Buffer.concat(this.chunks, this.pending + tail.length).toString('utf8');
      this.chunks = [];
      this.pending = 0;
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() !== '') this.opts.onLine(line);
  }
}

/** Serialises one message as a line. JSON.stringify never emits raw newlines. */
export function encodeLine(message: unknown): string {
  return JSON.stringify(message) + '\n';
}
