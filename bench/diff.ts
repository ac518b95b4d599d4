#!/usr/bin/env node
/**
 * `node bench/diff.ts`: the time a preview's diff (main/engine/installers/diff.ts) takes for texts
 * whose changed part is long: lines added to an empty file, every line rewritten, every other line
 * rewritten. The gateway computes it on its event loop, so every client waits that long.
 *
 *   node bench/diff.ts               1 000 and 3 000 lines, 3 rounds each
 *   node bench/diff.ts --rounds 5
 */
import { parseArgs } from 'node:util';
import { unifiedDiff } from '../main/engine/installers/diff.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Math.max(1, Number(values.rounds));

const text = (count: number, changed: (i: number) => boolean) =>
  Array.from({ length: count }, (_, i) => (changed(i) ? `changed line ${i}` : `line ${i}`)).join('\n') + '\n';

for (const count of [1000, 3000]) {
  const same = text(count, () => false);
  const cases: [string, string, string][] = [
    ['added to an empty file', '', same],
    ['every line rewritten', same, text(count, () => true)],
    ['every other line rewritten', same, text(count, (i) => i % 2 === 1)],
  ];
  for (const [name, before, after] of cases) {
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now();
      unifiedDiff(before, after);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(`${count} lines, ${name}: median ${times[times.length >> 1]!.toFixed(0)} ms`);
  }
}
