/**
 * The open exchange's waterfall: where in the root call's time each exchange of its tree ran, as
 * a bar in percent of the track. Plain data, tested on its own (test/unit/renderer/waterfall.test.ts).
 */
import type { TrafficEntry, TrafficTree } from '../../../preload/contract/index.ts';

/**
 * The milliseconds the track stands for, from the root's start. A call that ended: its duration.
 * One still running: the time so far (`now`), so what it caused sits on a real scale; never less
 * than the latest moment the tree itself records, in case this clock is behind the gateway's.
 */
export function waterfallSpan(tree: TrafficTree, now: number): number {
  const root = tree.entry;
  if (root.outcome !== 'pending') return root.durationMs ?? 0;
  let latest = now;
  const visit = (node: TrafficTree): void => {
    latest = Math.max(latest, node.entry.startedAt + (node.entry.durationMs ?? 0));
    node.children.forEach(visit);
  };
  visit(tree);
  return Math.max(0, latest - root.startedAt);
}

/** The thinnest bar, in percent: a notification (an instant) or a quick request still shows. */
const MIN_WIDTH = 0.5;

/** Where `e` ran on a track of `span` ms from `rootStart`: its left edge and width, in percent. */
export function waterfallBar(e: TrafficEntry, rootStart: number, span: number): { left: number; width: number } {
  // Nothing to scale by (a notification on its own, a call answered within the same millisecond).
  if (span <= 0) return { left: 0, width: 100 };
  const left = Math.max(0, Math.min(100 - MIN_WIDTH, ((e.startedAt - rootStart) / span) * 100));
  // A request still waiting runs to the end of the track: until now.
  const width = e.outcome === 'pending' ? 100 - left : ((e.durationMs ?? 0) / span) * 100;
  return { left, width: Math.max(MIN_WIDTH, Math.min(100 - left, width)) };
}
