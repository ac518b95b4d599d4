import { describe, expect, it } from 'vitest';
import type { TrafficEntry, TrafficTree } from '../../../preload/contract/index.ts';
import { waterfallBar, waterfallSpan } from '../../../renderer/src/lib/waterfall.ts';

const entry = (more: Partial<TrafficEntry>): TrafficEntry => ({
  id: 'x',
  edge: 'client',
  direction: 'in',
  kind: 'request',
  method: 'tools/call',
  startedAt: 1000,
  outcome: 'ok',
  request: { bytes: 10 },
  ...more,
});
const node = (e: TrafficEntry, children: TrafficTree[] = []): TrafficTree => ({ entry: e, children });
const progress = (startedAt: number) =>
  entry({ kind: 'notification', method: 'notifications/progress', outcome: 'delivered', startedAt });

describe('the waterfall of an open exchange', () => {
  it('scales a call that ended by its duration', () => {
    const tree = node(entry({ durationMs: 400 }), [node(entry({ startedAt: 1100, durationMs: 200 }))]);
    expect(waterfallSpan(tree, 99_999)).toBe(400);
    expect(waterfallBar(tree.children[0]!.entry, 1000, 400)).toEqual({ left: 25, width: 50 });
  });

  it('scales a call still running by the time so far: its progress are ticks in order, not full bars', () => {
    const tree = node(entry({ outcome: 'pending' }), [
      node(entry({ startedAt: 1010, outcome: 'pending', edge: 'upstream', direction: 'out' }), [
        node(progress(1500)),
        node(progress(1900)),
      ]),
    ]);
    const span = waterfallSpan(tree, 3000);
    expect(span).toBe(2000);
    expect(waterfallBar(tree.entry, 1000, span)).toEqual({ left: 0, width: 100 });
    // The request it became still waits too: from where it began to now.
    expect(waterfallBar(tree.children[0]!.entry, 1000, span)).toEqual({ left: 0.5, width: 99.5 });
    const [first, second] = tree.children[0]!.children.map((c) => waterfallBar(c.entry, 1000, span));
    expect(first).toEqual({ left: 25, width: 0.5 });
    expect(second).toEqual({ left: 45, width: 0.5 });
    // Later, the same exchanges sit further left.
    expect(waterfallBar(tree.children[0]!.children[0]!.entry, 1000, waterfallSpan(tree, 5000)).left).toBe(12.5);
  });

  it('keeps what the tree records on the scale when this clock is behind the gateway', () => {
    const tree = node(entry({ outcome: 'pending' }), [node(entry({ startedAt: 1600, durationMs: 400 }))]);
    expect(waterfallSpan(tree, 1200)).toBe(1000);
    expect(waterfallBar(tree.children[0]!.entry, 1000, 1000)).toEqual({ left: 60, width: 40 });
  });

  it('draws a full bar when there is nothing to scale by', () => {
    const alone = progress(1000);
    expect(waterfallSpan(node(alone), 5000)).toBe(0);
    expect(waterfallBar(alone, 1000, 0)).toEqual({ left: 0, width: 100 });
  });
});
