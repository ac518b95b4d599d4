/**
 * Newline framing, shared by the shim and the engine. Lines are handed out as Buffers that
 * include their trailing newline, so forwarding is one write and, for a line inside a single
 * chunk, no copy. Only new bytes are scanned, so a 16 MiB line arriving in 64 KiB chunks costs
 * one pass, not one per chunk. An over-long line is skipped and reported with its size and its
 * first and last bytes (enough to recover a JSON-RPC id and fail just that request).
 */
const EDGE = 256;

export type OverflowHandler = (bytes: number, head: Buffer, tail: Buffer) => void;

export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private skipped = 0;
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);
  private readonly maxLineBytes: number;
  private readonly onLine: (line: Buffer) => void;
  private readonly onOverflow: OverflowHandler;

  constructor(maxLineBytes: number, onLine: (line: Buffer) => void, onOverflow: OverflowHandler) {
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
    if (this.skipping) this.overflow(this.skipped, Buffer.alloc(0));
    else if (this.size > 0) this.finish(Buffer.from('\n'));
  }
  /** Drops a partial line (e.g. when the connection it came from is gone). */
  reset(): void {
    this.chunks = [];
    this.size = 0;
    this.skipping = false;
    this.skipped = 0;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
  }

  private keep(part: Buffer): void {
    if (this.skipping) {
      this.skipped += part.length;
      this.tail = edge(this.tail, part);
      return;
    }
    if (this.size + part.length > this.maxLineBytes) {
      this.skipping = true;
      this.skipped = this.size + part.length;
      this.head = Buffer.concat([...this.chunks, part]).subarray(0, EDGE);
      this.tail = edge(Buffer.alloc(0), part);
      this.chunks = [];
      this.size = 0;
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
  }

  private finish(tail: Buffer): void {
    if (this.skipping) {
      this.overflow(this.skipped + tail.length, tail);
      return;
    }
    const total = this.size + tail.length;
    if (total - 1 > this.maxLineBytes) {
      this.head = Buffer.concat([...this.chunks, tail]).subarray(0, EDGE);
      this.overflow(total, tail);
      return;
    }
    const line = this.chunks.length === 0 ? tail : Buffer.concat([...this.chunks, tail], total);
    this.chunks = [];
    this.size = 0;
    if (isBlank(line)) return;
    this.onLine(line);
  }

  private overflow(total: number, last: Buffer): void {
    const head = this.head;
    const tail = edge(this.skipping ? this.tail : Buffer.concat(this.chunks), last);
    this.reset();
    // Report the line's own size, without its newline.
    const bytes = last.length > 0 && last[last.length - 1] === 10 ? total - 1 : total;
    this.onOverflow(bytes, head, stripNewline(tail));
  }
}

/** The last EDGE bytes of `before` followed by `more`. */
function edge(before: Buffer, more: Buffer): Buffer {
  if (more.length >= EDGE) return Buffer.from(more.subarray(more.length - EDGE));
  return Buffer.concat([before, more]).subarray(-EDGE);
}

/** A line without its trailing \n or \r\n. */
export function stripNewline(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === 10) end--;
  if (end > 0 && line[end - 1] === 13) end--;
  return line.subarray(0, end);
}

function isBlank(line: Buffer): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 10 && c !== 13 && c !== 32 && c !== 9) return false;
  }
  return true;
}
