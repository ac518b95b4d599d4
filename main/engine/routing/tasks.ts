/**
 * Tasks (the tasks extension): which upstream runs each task id and which client created it, so
 * tasks/get, tasks/result and tasks/cancel follow the task to its upstream, and only for the
 * client that created it; tasks/list is merged from every upstream of a profile and shows a
 * client its own tasks only. A shared upstream knows every client's tasks: without this, one
 * client could read or cancel another's.
 *
 * Task ids are each upstream's own, and two may hand out the same one (servers that count): the
 * second gets another id for its clients (`task-1~2`), translated both ways, so neither task
 * shadows the other.
 *
 * The owner is the session id; a 2026-07-28 (stateless) client has no session, so its tasks
 * belong to the stateless clients of that profile, for which the task id is the handle.
 */
import type { Upstream } from '../upstreams/types.ts';

/** The part of an upstream the task table uses. */
export type TaskUpstream = Pick<Upstream, 'info' | 'request'>;

/** Task ids remembered at most; the oldest are forgotten first. */
export const MAX_TASKS = 10_000;

/** The tasks extension's `_meta` key naming the task a message is about. */
export const RELATED_TASK = 'io.modelcontextprotocol/related-task';

interface TaskEntry {
  upstream: TaskUpstream;
  owner: string;
  /** The id the upstream knows it by. */
  original: string;
}

export class TaskOwners {
  /** By the id clients know. */
  private readonly tasks = new Map<string, TaskEntry>();
  /** Upstream and its own id → the id clients know. */
  private readonly exposed = new Map<string, string>();
  private readonly upstreamKeys = new WeakMap<TaskUpstream, number>();
  private nextUpstreamKey = 0;

  /** Where `taskId` (as clients know it) runs and what its upstream calls it, if `owner` created it. */
  route(taskId: string, owner: string): { upstream: TaskUpstream; original: string } | undefined {
    const entry = this.tasks.get(taskId);
    return entry?.owner === owner ? { upstream: entry.upstream, original: entry.original } : undefined;
  }

  /** Who created the upstream's task `original` (for routing what it sends about it). */
  creator(original: string, upstream: TaskUpstream): string | undefined {
    const id = this.exposedId(upstream, original);
    return id === undefined ? undefined : this.tasks.get(id)?.owner;
  }

  /** The id clients know the upstream's task `original` by, if the gateway saw it created. */
  exposedId(upstream: TaskUpstream, original: string): string | undefined {
    return this.exposed.get(this.key(upstream, original));
  }

  /**
   * Remembers the task a result says the upstream created for `owner`, if any; returns the result
   * as the client gets it (with the id clients know the task by).
   */
  noteResult(result: Record<string, unknown>, upstream: TaskUpstream, owner: string): Record<string, unknown> {
    const task = result.task as { taskId?: unknown } | undefined;
    if (typeof task?.taskId !== 'string') return result;
    const original = task.taskId;
    const key = this.key(upstream, original);
    let id = this.exposed.get(key);
    if (id === undefined) {
      id = original;
      for (let n = 2; this.tasks.has(id); n++) id = `${original}~${n}`;
    }
    this.tasks.delete(id);
    this.tasks.set(id, { upstream, owner, original });
    this.exposed.set(key, id);
    if (this.tasks.size > MAX_TASKS) this.forget(this.tasks.keys().next().value!);
    return id === original ? result : { ...result, task: { ...task, taskId: id } };
  }

  /** A message from the upstream about its tasks, with their ids as clients know them (`taskId`, related-task). */
  toClient<T extends Record<string, unknown>>(upstream: TaskUpstream, message: T): T {
    let out = message;
    if (typeof message.taskId === 'string') {
      const id = this.exposedId(upstream, message.taskId);
      if (id !== undefined && id !== message.taskId) out = { ...out, taskId: id };
    }
    const meta = message._meta as Record<string, unknown> | undefined;
    const related = meta?.[RELATED_TASK] as { taskId?: unknown } | undefined;
    if (typeof related?.taskId === 'string') {
      const id = this.exposedId(upstream, related.taskId);
      if (id !== undefined && id !== related.taskId)
        out = { ...out, _meta: { ...meta, [RELATED_TASK]: { ...related, taskId: id } } };
    }
    return out;
  }

  /** The owner is gone (its session ended): nobody may reach its tasks any more. */
  dropOwner(owner: string): void {
    for (const [id, entry] of this.tasks) if (entry.owner === owner) this.forget(id);
  }

  /**
   * `owner`'s tasks that these upstreams know about, in one list; an upstream that fails adds
   * none. Tasks the gateway did not see `owner` create are left out, whoever created them.
   */
  async list(upstreams: readonly TaskUpstream[], owner: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const lists = await Promise.all(
      upstreams
        .filter((u) => u.info()?.capabilities.tasks)
        .map(async (u) => {
          // A backend that cannot list adds nothing; the others still answer.
          const result = await u.request('tasks/list', {}, { signal }).catch(() => ({ tasks: [] }));
          const tasks = Array.isArray(result.tasks) ? (result.tasks as Record<string, unknown>[]) : [];
          return tasks
            .filter((t) => typeof t?.taskId === 'string')
            .map((t) => this.toClient(u, t))
            .filter((t) => this.route(t.taskId as string, owner)?.upstream === u);
        }),
    );
    return { tasks: lists.flat() };
  }

  private forget(id: string): void {
    const entry = this.tasks.get(id);
    if (!entry) return;
    this.tasks.delete(id);
    this.exposed.delete(this.key(entry.upstream, entry.original));
  }

  private key(upstream: TaskUpstream, original: string): string {
    let key = this.upstreamKeys.get(upstream);
    if (key === undefined) this.upstreamKeys.set(upstream, (key = ++this.nextUpstreamKey));
    return `${key}\0${original}`;
  }
}
