/**
 * Tasks (the tasks extension): which upstream runs each task id and which client created it, so
 * tasks/get, tasks/result and tasks/cancel follow the task to its upstream, and only for the
 * client that created it; tasks/list is merged from every upstream of a profile and shows a
 * client its own tasks only. A shared upstream knows every client's tasks: without this, one
 * client could read or cancel another's.
 *
 * The owner is the session id; a 2026-07-28 (stateless) client has no session, so its tasks
 * belong to the stateless clients of that profile, for which the task id is the handle.
 */
import type { Upstream } from '../upstreams/types.ts';

/** The part of an upstream the task table uses. */
export type TaskUpstream = Pick<Upstream, 'info' | 'request'>;

/** Task ids remembered at most; the oldest are forgotten first. */
export const MAX_TASKS = 10_000;

interface TaskEntry {
  upstream: TaskUpstream;
  owner: string;
}

export class TaskOwners {
  private readonly tasks = new Map<string, TaskEntry>();

  /** The upstream running `taskId`, if `owner` created it. */
  owner(taskId: string, owner: string): TaskUpstream | undefined {
    const entry = this.tasks.get(taskId);
    return entry?.owner === owner ? entry.upstream : undefined;
  }

  /** Who created `taskId` (for routing its status notifications). */
  creator(taskId: string, upstream: TaskUpstream): string | undefined {
    const entry = this.tasks.get(taskId);
    return entry?.upstream === upstream ? entry.owner : undefined;
  }

  /** Remembers the task a result says the upstream created for `owner`, if any. */
  noteResult(result: Record<string, unknown>, upstream: TaskUpstream, owner: string): void {
    const task = result.task as { taskId?: unknown } | undefined;
    if (typeof task?.taskId !== 'string') return;
    this.tasks.delete(task.taskId);
    this.tasks.set(task.taskId, { upstream, owner });
    if (this.tasks.size > MAX_TASKS) this.tasks.delete(this.tasks.keys().next().value!);
  }

  /** The owner is gone (its session ended): nobody may reach its tasks any more. */
  dropOwner(owner: string): void {
    for (const [id, entry] of this.tasks) if (entry.owner === owner) this.tasks.delete(id);
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
          const tasks = Array.isArray(result.tasks) ? (result.tasks as { taskId?: unknown }[]) : [];
          return tasks.filter((t) => typeof t.taskId === 'string' && this.owner(t.taskId, owner) === u);
        }),
    );
    return { tasks: lists.flat() };
  }
}
