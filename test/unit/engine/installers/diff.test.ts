/**
 * The diff a preview shows: read back, it turns the file before into the file after, at the line
 * numbers the lines have, and it takes out and puts in no more lines than must change. Checked on
 * many small texts made of a few repeated lines (where equal lines make several diffs possible),
 * changed at their start, middle and end.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EDITS, unifiedDiff } from '../../../../main/engine/installers/diff.ts';

/** A last line with no newline after it ends in "\n" here: as in `diff -u`, it differs from the same line with one. */
const lines = (text: string) => {
  if (text === '') return [];
  const list = text.split('\n');
  if (list[list.length - 1] === '') list.pop();
  else list[list.length - 1] += '\n';
  return list;
};

const NO_EOL = '\\ No newline at end of file';

/** `before`'s lines with the diff's hunks applied, checking each hunk's lines where its header says. */
function applyDiff(before: string, diff: string): string[] {
  const from = lines(before);
  const out: string[] = [];
  let at = 0;
  // "\ No newline at end of file" says so of the line above it.
  const printed = diff.split('\n').slice(2, -1);
  const diffLines = printed.flatMap((l, i) => (l === NO_EOL ? [] : printed[i + 1] === NO_EOL ? [l + '\n'] : [l]));
  for (const line of diffLines) {
    const header = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(line);
    if (header) {
      const start = Number(header[2]) === 0 ? Number(header[1]) : Number(header[1]) - 1;
      expect(out.length + (start - at)).toBe(Number(header[4]) === 0 ? Number(header[3]) : Number(header[3]) - 1);
      while (at < start) out.push(from[at++]!);
    } else if (line.startsWith('+')) out.push(line.slice(1));
    else {
      expect(from[at]).toBe(line.slice(1));
      if (line.startsWith(' ')) out.push(from[at]!);
      at++;
    }
  }
  return [...out, ...from.slice(at)];
}

/** The fewest lines taken out and put in to turn `a` into `b` (n + m - 2 * longest common subsequence). */
function fewestChanges(a: string[], b: string[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const next = [0];
    for (let j = 0; j < b.length; j++) next.push(x === b[j] ? row[j]! + 1 : Math.max(row[j + 1]!, next[j]!));
    row = next;
  }
  return a.length + b.length - 2 * row[b.length]!;
}

describe('unifiedDiff', () => {
  it('turns the text before into the text after, with as few changed lines as can be', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pieces = ['{', '}', '},', '  "a": 1', '', 'x'];
    const text = (n: number) =>
      Array.from({ length: n }, () => pieces[Math.floor(random() * pieces.length)]).join('\n');
    for (let round = 0; round < 3000; round++) {
      const before = text(Math.floor(random() * 14)) + (random() < 0.8 ? '\n' : '');
      let after = before;
      for (let edit = 0; edit < 1 + Math.floor(random() * 3); edit++) {
        const at = Math.floor(random() * (after.length + 1));
        after = after.slice(0, at) + text(Math.floor(random() * 3)) + after.slice(at + Math.floor(random() * 6));
      }
      const diff = unifiedDiff(before, after, { context: Math.floor(random() * 4) });
      const changed = diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l)).length;
      expect(applyDiff(before, diff), JSON.stringify({ before, after })).toEqual(lines(after));
      expect(changed, JSON.stringify({ before, after })).toBe(fewestChanges(lines(before), lines(after)));
    }
  });

  it('finds a change at the very first or last character of a long text, and none in equal texts', () => {
    // Longer than the blocks the shared start and end are compared in, so each block size is passed through.
    const body = Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`).join('\n');
    const at = (text: string, i: number, c: string) => text.slice(0, i) + c + text.slice(i + 1);
    // Each with the number of lines that must change: the one line out and in, or every line.
    const cases: [string, string, number][] = [
      [body, at(body, 0, 'L'), 2],
      [body, at(body, body.length - 1, '1'), 2],
      [body + '\n', at(body, body.length - 1, '1') + '\n', 2],
      ['', 'a\nb\n', 2],
      ['a\nb', '', 2],
      ['x', '', 1],
      ['', 'x', 1],
    ];
    for (const [before, after, changes] of cases) {
      const diff = unifiedDiff(before, after);
      const changed = diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
      expect(applyDiff(before, diff)).toEqual(lines(after));
      expect(changed.length).toBe(changes);
    }
    expect(unifiedDiff(body, (' ' + body).slice(1))).toBe('');
    expect(unifiedDiff('', '')).toBe('');
  });

  it('says "\\ No newline at end of file" below a last line that has none, as diff -u does', () => {
    const entry = '{\n  "mcpServers": {\n    "a": {}\n  }\n}';
    const added = entry.replace('"a": {}', '"a": {},\n    "b": {}');
    expect(unifiedDiff(entry, added)).toBe(
      '--- before\n+++ after\n@@ -1,5 +1,6 @@\n {\n   "mcpServers": {\n-    "a": {}\n+    "a": {},\n+    "b": {}\n' +
        '   }\n }\n\\ No newline at end of file\n',
    );
    // Only the final newline changes: the last line is shown out and in, each as it ends.
    expect(unifiedDiff('a\nb', 'a\nb\n')).toBe(
      '--- before\n+++ after\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n',
    );
    expect(unifiedDiff('a\nb\n', 'a\nb')).toBe(
      '--- before\n+++ after\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n',
    );
  });

  it('numbers the lines of a change deep in a long text as the file has them', () => {
    const before = Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const after = before.replace('line 4000\n', 'line 4000\nnew\n');
    expect(unifiedDiff(before, after, { fromLabel: 'f', toLabel: 'f' })).toBe(
      '--- f\n+++ f\n@@ -3998,6 +3998,7 @@\n' +
        ' line 3998\n line 3999\n line 4000\n+new\n line 4001\n line 4002\n line 4003\n',
    );
  });

  it('shows a change of more than MAX_EDITS lines as all removed, then all added, and fewer as the fewest', () => {
    const text = (count: number, changedEvery: number) =>
      Array.from({ length: count }, (_, i) => (i % changedEvery === 1 ? `changed ${i}` : `line ${i}`)).join('\n') +
      '\n';
    const changes = (diff: string) =>
      diff
        .split('\n')
        .slice(2)
        .filter((l) => l.startsWith('-') || l.startsWith('+'));
    // Every other line changed: the fewest changes alternate, one line out and one in, in many hunks.
    const small = MAX_EDITS / 2 - 2;
    const few = unifiedDiff(text(small, 1e9), text(small, 2));
    expect(applyDiff(text(small, 1e9), few)).toEqual(lines(text(small, 2)));
    expect(changes(few)).toHaveLength(fewestChanges(lines(text(small, 1e9)), lines(text(small, 2))));
    // Past the bound, and not as many lines after as before: one hunk, every line of the changed part
    // taken out, then every line put in.
    const big = MAX_EDITS + 200;
    const before = text(big, 1e9);
    const after = text(big, 2) + 'one more\n';
    const diff = unifiedDiff(before, after);
    expect(applyDiff(before, diff)).toEqual(lines(after));
    const shown = changes(diff);
    const firstAdded = shown.findIndex((l) => l.startsWith('+'));
    expect(shown.slice(0, firstAdded).every((l) => l.startsWith('-'))).toBe(true);
    expect(shown.slice(firstAdded).every((l) => l.startsWith('+'))).toBe(true);
    expect(diff.match(/^@@ /gm)).toHaveLength(1);
  });

  it('pairs lines edited in place all over a long text line by line past MAX_EDITS, not as one replacement', () => {
    const count = 40 * (MAX_EDITS + 100);
    const before = Array.from({ length: count }, (_, i) => `"key${i}": ${i},`).join('\n') + '\n';
    const after = before.replace(/^"key(\d*0)": (\d+),$/gm, (_, key: string) => `"key${key}": "edited",`);
    const diff = unifiedDiff(before, after);
    expect(applyDiff(before, diff)).toEqual(lines(after));
    const shown = diff.split('\n').slice(2);
    const edits = count / 10;
    expect(shown.filter((l) => l.startsWith('-'))).toHaveLength(edits);
    expect(shown.filter((l) => l.startsWith('+'))).toHaveLength(edits);
    // Only the edits and their context: not the 80 000 lines between the first and the last.
    expect(shown.length).toBeLessThan(edits * 12);
  });
});
