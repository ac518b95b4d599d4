/**
 * A server's stderr: the last lines in memory (for status and "why did it fail" messages)
 * and, optionally, a rotating file on disk. Bounded everywhere: a server printing without
 * end costs a fixed amount of memory, and a slow or broken disk never blocks or throws.
 * With `redact`, every line passes through it before it is kept, written or told: a secret
 * the server prints never reaches the ring, the file or the live feed. The file then gets
 * whole lines (a secret split across two writes is still one line), cut like the ring's.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename } from 'node:fs/promises';
import nodePath from 'node:path';

export interface StderrLogOptions {
  /** Server name; the file is `<dir>/<name>.log`. */
  name: string;
  /** Directory for the log file; no file when absent. */
  dir?: string;
  /** Ring bounds. */
  maxLines?: number;
  maxBytes?: number;
  /** A longer line is cut here and marked. */
  maxLineBytes?: number;
  /** Rotate the file when it would grow past this. */
  fileMaxBytes?: number;
  /** Rotated files kept: `.1` (newest) .. `.N`. */
  fileKeep?: number;
  /** Bytes queued for the file before new output is dropped (disk slower than the server). */
  fileQueueBytes?: number;
  /** Told each complete line as it arrives (the app's live log view). */
  onLine?: (line: string) => void;
  /** Rewrites each line before it is kept anywhere (the gateway's redactor). */
  redact?: (line: string) => string;
  /**
   * For a line cut at `maxLineBytes`, after `redact`: drops what the cut left of a secret at its end
   * (the start of a value, which `redact` cannot know as one).
   */
  redactCutEnd?: (text: string) => string;
}

const NEWLINE = 0x0a;

export class StderrLog {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #maxLineBytes: number;
  readonly #fileMaxBytes: number;
  readonly #fileKeep: number;
  readonly #fileQueueBytes: number;
  readonly #file: string | undefined;
  readonly #onLine: ((line: string) => void) | undefined;
  readonly #redact: ((line: string) => string) | undefined;
  readonly #redactCutEnd: ((text: string) => string) | undefined;

  // Ring of complete lines: #ring[#head..] are live; compacted now and then. #times: when each came
  // (epoch ms), so a server's log can be read as one timeline with the gateway's notes.
  #ring: string[] = [];
  #times: number[] = [];
  #head = 0;
  #ringBytes = 0;
  /** Lines pushed since the log was created (marks for linesSince). */
  #pushed = 0;
  // The line being assembled across chunks.
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #partialDropped = 0;

  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #droppedFileBytes = 0;
  #pump: Promise<void> = Promise.resolve();
  #pumping = false;
  #handle: FileHandle | undefined;
  #fileSize = 0;
  #fileError: Error | undefined;
  #closed = false;

  constructor(options: StderrLogOptions) {
    this.#maxLines = Math.max(1, options.maxLines ?? 500);
    this.#maxBytes = Math.max(1, options.maxBytes ?? 256 * 1024);
    this.#maxLineBytes = Math.max(1, Math.min(options.maxLineBytes ?? 16 * 1024, this.#maxBytes));
    this.#fileMaxBytes = Math.max(1, options.fileMaxBytes ?? 1024 * 1024);
    this.#fileKeep = Math.max(0, options.fileKeep ?? 3);
    this.#fileQueueBytes = options.fileQueueBytes ?? 1024 * 1024;
    this.#file =
      options.dir === undefined ? undefined : nodePath.join(options.dir, `${safeFileName(options.name)}.log`);
    this.#onLine = options.onLine;
    this.#redact = options.redact;
    this.#redactCutEnd = options.redactCutEnd;
  }

  /** Path of the log file, if any. */
  get file(): string | undefined {
    return this.#file;
  }

  /** The last file error (the ring keeps working without the file). */
  get fileError(): Error | undefined {
    return this.#fileError;
  }

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#splitLines(chunk);
    // Redacted output goes to the file line by line (#pushLine); raw chunks only without a redactor.
    if (!this.#redact) this.#enqueueFile(chunk);
  }

  /**
   * A line of ours about the server (which protocol it speaks, that it is installing), kept beside
   * its output as a line of its own, even while the server is part way through one. Not passed to
   * `onLine`: the gateway's log says it live already.
   */
  note(line: string): void {
    const text = `[switchboard] ${line}`;
    if (!this.#redact) this.#enqueueFile(Buffer.from(`${text}\n`));
    this.#pushLine(this.#clean(text), false);
  }

  /** Complete lines, oldest first, plus the unfinished last line if any. */
  lines(): string[] {
    const out = this.#ring.slice(this.#head);
    if (this.#partialBytes > 0 || this.#partialDropped > 0) out.push(this.#partialText());
    return out;
  }

  /** Complete lines with when each came (epoch ms), oldest first, plus the unfinished last line (now). */
  timedLines(): { at: number; text: string }[] {
    const out = this.#ring.slice(this.#head).map((text, i) => ({ at: this.#times[this.#head + i] ?? 0, text }));
    if (this.#partialBytes > 0 || this.#partialDropped > 0) out.push({ at: Date.now(), text: this.#partialText() });
    return out;
  }

  /** A mark for linesSince: the number of complete lines written so far. */
  mark(): number {
    return this.#pushed;
  }

  /** Lines written after `mark` that the ring still holds, plus the unfinished last line. */
  linesSince(mark: number): string[] {
    const live = this.#ring.length - this.#head;
    const wanted = Math.min(live, this.#pushed - mark);
    const out = this.#ring.slice(this.#ring.length - wanted);
    if (this.#partialBytes > 0 || this.#partialDropped > 0) out.push(this.#partialText());
    return out;
  }

  tail(n: number): string[] {
    if (n <= 0) return [];
    return this.lines().slice(-n);
  }

  /** Flushes what is queued for the file and closes it. The ring stays readable. */
  async close(): Promise<void> {
    // The unfinished last line is part of the output too.
    if (this.#redact && (this.#partialBytes > 0 || this.#partialDropped > 0))
      this.#enqueueFile(Buffer.from(`${this.#partialText()}\n`));
    this.#closed = true;
    while (this.#pumping) await this.#pump;
    await this.#closeHandle();
  }

  #splitLines(chunk: Buffer): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, from);
      if (nl < 0) {
        this.#appendPartial(chunk.subarray(from));
        return;
      }
      this.#appendPartial(chunk.subarray(from, nl));
      this.#pushLine(this.#partialText());
      this.#partial = [];
      this.#partialBytes = 0;
      this.#partialDropped = 0;
      from = nl + 1;
    }
  }

  #appendPartial(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const room = this.#maxLineBytes - this.#partialBytes;
    if (room > 0) {
      // Copy: the caller's chunk may be a pooled buffer reused after we return.
      const kept = Buffer.from(bytes.subarray(0, room));
      this.#partial.push(kept);
      this.#partialBytes += kept.length;
    }
    this.#partialDropped += Math.max(0, bytes.length - Math.max(0, room));
  }

  /** The line being assembled, as it is kept (redacted, and marked when cut). */
  #partialText(): string {
    // Splitting on the newline byte is safe in UTF-8; a cut long line may end in U+FFFD.
    let text = Buffer.concat(this.#partial, this.#partialBytes).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return this.#clean(text, this.#partialDropped);
  }

  /**
   * A line redacted; one cut (`dropped` bytes left out) also without the start of a secret the cut
   * left at its end: a long key printed on a long line kept its first 16 KiB.
   */
  #clean(line: string, dropped = 0): string {
    let text = this.#redact ? this.#redact(line) : line;
    if (dropped > 0) {
      if (this.#redactCutEnd) text = this.#redactCutEnd(text.replace(/\uFFFD$/, ''));
      text += ` …[truncated ${dropped} bytes]`;
    }
    return text;
  }

  /** Keeps a line already cleaned. */
  #pushLine(line: string, live = true): void {
    if (this.#redact) this.#enqueueFile(Buffer.from(`${line}\n`));
    if (live) this.#onLine?.(line);
    this.#pushed++;
    this.#ring.push(line);
    this.#times.push(Date.now());
    this.#ringBytes += Buffer.byteLength(line) + 1;
    while (
      this.#ring.length - this.#head > this.#maxLines ||
      (this.#ringBytes > this.#maxBytes && this.#ring.length - this.#head > 1)
    ) {
      const old = this.#ring[this.#head++] ?? '';
      this.#ringBytes -= Buffer.byteLength(old) + 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#ring.length) {
      this.#ring = this.#ring.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }

  #enqueueFile(chunk: Buffer): void {
    if (this.#file === undefined || this.#closed || this.#fileError) return;
    if (this.#queuedBytes + chunk.length > this.#fileQueueBytes) {
      this.#droppedFileBytes += chunk.length;
      return;
    }
    this.#queue.push(Buffer.from(chunk));
    this.#queuedBytes += chunk.length;
    this.#kick();
  }

  #kick(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#pump = this.#drain().finally(() => {
      this.#pumping = false;
      // Chunks queued while the last loop was finishing.
      if (this.#queue.length > 0 && !this.#fileError) this.#kick();
    });
  }

  /** Writes queued chunks one batch at a time; any failure disables the file, never throws. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#fileError) {
        let batch = Buffer.concat(this.#queue, this.#queuedBytes);
        this.#queue = [];
        this.#queuedBytes = 0;
        if (this.#droppedFileBytes > 0) {
          const note = Buffer.from(`\n…[${this.#droppedFileBytes} bytes of stderr not written: disk too slow]\n`);
          this.#droppedFileBytes = 0;
          batch = Buffer.concat([note, batch]);
        }
        await this.#openHandle();
        if (this.#fileSize > 0 && this.#fileSize + batch.length > this.#fileMaxBytes) {
          await this.#rotate();
        }
        // appendFile on a handle writes the whole buffer (write() may write part of it).
        await (await this.#openHandle()).appendFile(batch);
        this.#fileSize += batch.length;
      }
    } catch (err) {
      this.#keepFileError(err);
      this.#queue = [];
      this.#queuedBytes = 0;
      await this.#closeHandle();
    }
  }

  async #openHandle(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    const file = this.#file as string;
    await mkdir(nodePath.dirname(file), { recursive: true });
    const handle = await open(file, 'a', 0o600);
    this.#handle = handle;
    this.#fileSize = (await handle.stat()).size;
    return handle;
  }

  async #rotate(): Promise<void> {
    const file = this.#file as string;
    await this.#closeHandle();
    if (this.#fileKeep === 0) {
      // No history wanted: start the file over.
      await (await open(file, 'w', 0o600)).close();
    } else {
      for (let i = this.#fileKeep - 1; i >= 1; i--) await renameIfExists(`${file}.${i}`, `${file}.${i + 1}`);
      await renameIfExists(file, `${file}.1`);
    }
    await this.#openHandle();
  }

  /** The first file error is kept (fileError) and the file is given up; the ring keeps working. */
  #keepFileError(err: unknown): void {
    this.#fileError ??= err instanceof Error ? err : new Error(String(err));
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle) await handle.close().catch((err: unknown) => this.#keepFileError(err));
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Server names come from config: keep them from escaping the log directory. */
function safeFileName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned === '' ? '_' : cleaned;
}

export function createStderrLog(options: StderrLogOptions): StderrLog {
  return new StderrLog(options);
}
