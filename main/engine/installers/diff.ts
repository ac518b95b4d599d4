/**
 * A unified diff of two texts, as `diff -u` prints it: what a plan shows before anything is
 * written. Myers' algorithm on lines, run only on the lines between the texts' common beginning
 * and end: an edit of one entry in a 20 MB file (Claude Code's) compares a few lines, not all.
 */

export interface DiffOptions {
  /** Lines of context around each change (default 3). */
  context?: number;
  fromLabel?: string;
  toLabel?: string;
  /** Applied to each printed line (redaction of secret values). */
  mapLine?: (line: string) => string;
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/**
 * Ends a file's last line when no newline does: that line differs from the same line with one (a
 * change of the final newline alone is a change), and is printed with "\ No newline at end of file".
 * A line holds no '\n' otherwise.
 */
const NO_EOL = '\n';

/** A text's lines. Only a text that runs to the end of its file can lack a final newline (NO_EOL). */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

/**
 * Past this many inserted and deleted lines the shortest script is not looked for: its cost grows
 * with the square of its length (3000 lines against 3000 others took 8 s of the event loop). The
 * changed lines are then paired line by line when there are as many before as after (values edited
 * in place all over a file), else shown as all removed, then all added.
 */
export const MAX_EDITS = 2000;

/** Shortest edit script (Myers, O((N+M)D)), or the replacement of all of `a` by all of `b` past MAX_EDITS. */
function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  // v[k + offset]: the furthest x on diagonal k; trace[d] the diagonals -(d+1)..d+1 before step d.
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  const at = (vd: Int32Array, d: number, k: number) => vd[k + d + 1]!;
  let found = false;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break outer;
      }
    }
  }
  if (!found) return n === m ? lineByLine(a, b) : replaced(a, b);
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(vd, d, k - 1) < at(vd, d, k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(vd, d, prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x]! });
      y--;
    }
    if (d > 0) {
      if (down) ops.push({ kind: '+', line: b[--y]! });
      else ops.push({ kind: '-', line: a[--x]! });
    }
  }
  return ops.reverse();
}

function replaced(a: string[], b: string[]): Op[] {
  return [...a.map((line): Op => ({ kind: '-', line })), ...b.map((line): Op => ({ kind: '+', line }))];
}

/** Two texts of as many lines compared line for line: each run of differing lines is replaced. */
function lineByLine(a: string[], b: string[]): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < a.length;) {
    if (a[i] === b[i]) {
      ops.push({ kind: ' ', line: a[i++]! });
      continue;
    }
    let end = i;
    while (end < a.length && a[end] !== b[end]) end++;
    ops.push(...replaced(a.slice(i, end), b.slice(i, end)));
    i = end;
  }
  return ops;
}

/**
 * How many characters `a` and `b` share at their start (`fromEnd`: at their end), at most `limit`:
 * compared a block at a time, natively, the block doubling while they agree and halving where they do not.
 */
function common(a: string, b: string, limit: number, fromEnd: boolean): number {
  const part = (text: string, from: number, size: number) =>
    fromEnd ? text.slice(text.length - from - size, text.length - from) : text.slice(from, from + size);
  let same = 0;
  for (let size = 4096; same < limit && size >= 16;) {
    const step = Math.min(size, limit - same);
    if (part(a, same, step) === part(b, same, step)) {
      same += step;
      size *= 2;
    } else size = step >> 1;
  }
  const at = (text: string, i: number) => text.charCodeAt(fromEnd ? text.length - 1 - i : i);
  while (same < limit && at(a, same) === at(b, same)) same++;
  return same;
}

/** The number of '\n' in `text` before `end`. */
function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The texts cut where whole lines stop being the same: `head` and `tail` are the offsets (in `before`;
 * the tail's is `after`'s shifted by the length difference) of the first and past-the-last lines
 * that differ, and `headLines` the number of equal lines before them.
 */
function changedLines(before: string, after: string): { head: number; tail: number; headLines: number } {
  const shorter = Math.min(before.length, after.length);
  const prefix = common(before, after, shorter, false);
  // Lines start after a '\n': the shared part is cut back to the start of the line it ends in.
  const head = prefix === 0 ? 0 : before.lastIndexOf('\n', prefix - 1) + 1;
  const suffix = common(before, after, shorter - head, true);
  const shift = after.length - before.length;
  let tail = before.length - suffix;
  // ...and the shared end forward to the start of a line in both texts (inside the shared end, the
  // same place in both).
  const startsLine = (text: string, at: number) => at === 0 || text[at - 1] === '\n';
  if (!startsLine(before, tail) || !startsLine(after, tail + shift)) {
    const next = before.indexOf('\n', tail);
    tail = next === -1 ? before.length : next + 1;
  }
  return { head, tail, headLines: countLines(before, head) };
}

/** The last `n` lines of `text` before `end` (a line start). */
function linesBefore(text: string, end: number, n: number): string[] {
  let start = end;
  for (let i = 0; i < n && start > 0; i++) start = start < 2 ? 0 : text.lastIndexOf('\n', start - 2) + 1;
  return splitLines(text.slice(start, end));
}

/** The first `n` lines of `text` from `start` (a line start). */
function linesFrom(text: string, start: number, n: number): string[] {
  let end = start;
  for (let i = 0; i < n && end < text.length; i++) {
    const nl = text.indexOf('\n', end);
    end = nl === -1 ? text.length : nl + 1;
  }
  return splitLines(text.slice(start, end));
}

/** '' when the texts are equal. Line endings are compared as written (CRLF shows as a change). */
export function unifiedDiff(before: string, after: string, options: DiffOptions = {}): string {
  if (before === after) return '';
  const context = options.context ?? 3;
  const show = options.mapLine ?? ((l: string) => l);
  const { head, tail, headLines } = changedLines(before, after);
  const afterTail = tail + after.length - before.length;
  // The equal lines around the changed ones that can show as context; those further out never do.
  const lead = linesBefore(before, head, context);
  const ops: Op[] = [
    ...lead.map((line): Op => ({ kind: ' ', line })),
    ...editScript(splitLines(before.slice(head, tail)), splitLines(after.slice(head, afterTail))),
    ...linesFrom(before, tail, context).map((line): Op => ({ kind: ' ', line })),
  ];
  const skipped = headLines - lead.length;
  const out: string[] = [`--- ${options.fromLabel ?? 'before'}`, `+++ ${options.toLabel ?? 'after'}`];
  let i = 0;
  let counted = 0;
  let aLine = 1 + skipped;
  let bLine = 1 + skipped;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is closer than 2*context lines to the previous one.
    let start = i;
    while (start > 0 && i - start < context && ops[start - 1]!.kind === ' ') start--;
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.kind !== ' ') end++;
      let gap = end;
      while (gap < ops.length && ops[gap]!.kind === ' ') gap++;
      if (gap < ops.length && gap - end <= 2 * context) end = gap;
      else {
        end = Math.min(end + context, ops.length);
        break;
      }
    }
    // Counted on from the last hunk, not from the start for each: a file can have thousands of them.
    for (; counted < start; counted++) {
      if (ops[counted]!.kind !== '+') aLine++;
      if (ops[counted]!.kind !== '-') bLine++;
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const op of hunk) {
      const last = op.line.endsWith(NO_EOL);
      out.push(op.kind + show((last ? op.line.slice(0, -1) : op.line).replace(/\r$/, '')));
      if (last) out.push('\\ No newline at end of file');
    }
    i = end;
  }
  return out.join('\n') + '\n';
}
