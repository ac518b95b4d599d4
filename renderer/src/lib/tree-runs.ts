/**
 * The children of an exchange in the open tree, with long runs of one notification taken together:
 * a call that reports its progress hundreds of times would else bury its answer and its questions
 * under as many payloads (and as many stops for the keyboard). Plain data, tested on its own.
 */
import type { TrafficTree } from '../../../preload/contract/index.ts';

/** A run this long, or longer, of the same notification one way is shown as one line, closed. */
export const RUN_MIN = 6;

/** One child, or a run of at least RUN_MIN notifications in a row, of one method, one way. */
export interface ChildGroup {
  nodes: TrafficTree[];
}

const sameKind = (a: TrafficTree, b: TrafficTree) =>
  a.entry.kind === 'notification' &&
  b.entry.kind === 'notification' &&
  a.entry.method === b.entry.method &&
  a.entry.edge === b.entry.edge &&
  a.entry.direction === b.entry.direction &&
  // A notification that caused something (passed on to a client) is shown as its own tree.
  a.children.length === 0 &&
  b.children.length === 0;

/**
 * The children in the order they began (ids sort so; the gateway may list a request that waited
 * after what it caused meanwhile), a run of RUN_MIN or more alike notifications as one group.
 */
export function childGroups(children: readonly TrafficTree[]): ChildGroup[] {
  const ordered = [...children].sort((a, b) => (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0));
  const groups: ChildGroup[] = [];
  let run: TrafficTree[] = [];
  const close = () => {
    if (run.length >= RUN_MIN) groups.push({ nodes: run });
    else for (const node of run) groups.push({ nodes: [node] });
    run = [];
  };
  for (const child of ordered) {
    if (run.length > 0 && !sameKind(run[0]!, child)) close();
    run.push(child);
  }
  close();
  return groups;
}
