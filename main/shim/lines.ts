/**
 * Newline framing for the shim (which may not import the engine's framing). Lines are handed
 * out as Buffers that include their trailing newline, so forwarding is one write and,
 * for a line inside a single chunk, no copy. Only new bytes are scanned.
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private skipped = 0;
  private readonly maxLineBytes: number;
  private readonly onLine: (line: Buffer) => void;
  private readonly onOverflow: (bytes: number) => void;

  constructor(maxLineBytes: number, onLine: (line: Buffer) => void, onOverflow: (bytes: number) => void) {
    this.maxLineBytes = maxLineBytes;
    this.onLine = onLine;
    this.onOverflow = onOverflow;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      this.finish(chunk.subarray(start, nl + 1));
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** End of input: a last line without its newline still counts (newline added). */
  end(): void {
    if (this.skipping) {
      const total = this.skipped;
      this.reset();
      this.onOverflow(total);
      return;
    }
    if (this.size > 0) this.finish(Buffer.from('\n'));
  }

  /** Drops a partial line (e.g. when the connection it came from is gone). */
  reset(): void {
    this.chunks = [];
    this.size = 0;
    this.skipping = false;
    this.skipped = 0;
  }

  private keep(part: Buffer): void {
    if (this.skipping) {
      this.skipped += part.length;
      return;
    }
    if (this.size + part.length > this.maxLineBytes) {
      this.skipping = true;
      this.skipped = this.size + part.length;
      this.chunks = [];
      this.size = 0;
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
  }

  private finish(tail: Buffer): void {
    if (this.skipping) {
      const total = this.skipped + tail.length;
      this.reset();
      this.onOverflow(total);
      return;
    }
    const total = this.size + tail.length;
    if (total - 1 > this.maxLineBytes) {
      this.reset();
      this.onOverflow(total);
      return;
    }
    const line = this.chunks.length === 0 ? tail : Buffer.concat([...this.chunks, tail], total);
    this.chunks = [];
    this.size = 0;
    if (isBlank(line)) return;
    this.onLine(line);
  }
}

function isBlank(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 10 && c !== 13 && c !== 32 && c !== 9) return false;
  }
  return true;
}
