import { describe, expect, it } from 'vitest';
import type { TrafficEntry, TrafficTree } from '../../../preload/contract/index.ts';
import { RUN_MIN, childGroups } from '../../../renderer/src/lib/tree-runs.ts';

let next = 0;
function node(partial: Partial<TrafficEntry>, children: TrafficTree[] = []): TrafficTree {
  const id = String(next++).padStart(6, '0');
  const entry: TrafficEntry = {
    id,
    edge: 'upstream',
    direction: 'in',
    kind: 'notification',
    method: 'notifications/progress',
    startedAt: 1000 + next,
    outcome: 'delivered',
    request: { bytes: 10 },
    ...partial,
  };
  return { entry, children };
}
const sizes = (children: TrafficTree[]) => childGroups(children).map((g) => g.nodes.length);

describe('the children of an exchange in the open tree', () => {
  it('takes a run of alike notifications together, from RUN_MIN on', () => {
    const call = node({ kind: 'request', method: 'tools/call', edge: 'upstream', direction: 'out' });
    const many = Array.from({ length: RUN_MIN }, () => node({}));
    const few = Array.from({ length: RUN_MIN - 1 }, () => node({ edge: 'client', direction: 'out' }));
    expect(sizes([call, ...many, ...few])).toEqual([1, RUN_MIN, ...few.map(() => 1)]);
  });

  it('breaks a run at another method, another way, or a notification that caused something', () => {
    const a = Array.from({ length: 3 }, () => node({}));
    const log = node({ method: 'notifications/message' });
    const b = Array.from({ length: RUN_MIN }, () => node({}));
    const out = Array.from({ length: RUN_MIN }, () => node({ edge: 'client', direction: 'out' }));
    const passedOn = node({}, [node({ edge: 'client', direction: 'out' })]);
    expect(sizes([...a, log, ...b, ...out, passedOn])).toEqual([1, 1, 1, 1, RUN_MIN, RUN_MIN, 1]);
  });

  it('puts them in the order they began, whatever order the gateway listed them in', () => {
    const progress = Array.from({ length: RUN_MIN }, () => node({ edge: 'client', direction: 'out' }));
    const upstream = node({ kind: 'request', method: 'tools/call', edge: 'upstream', direction: 'out' });
    const groups = childGroups([upstream, progress[0]!, progress[1]!, ...progress.slice(2)].reverse());
    expect(groups.map((g) => g.nodes.map((n) => n.entry.id))).toEqual([
      progress.map((n) => n.entry.id),
      [upstream.entry.id],
    ]);
  });
});
