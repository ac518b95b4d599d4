/**
 * Tasks (the tasks extension): which upstream runs each task id, so tasks/get, tasks/result and
 * tasks/cancel follow the task, and one tasks/list merged from every upstream of a profile.
 */
import type { Upstream } from '../upstreams/types.ts';

/** The part of an upstream the task table uses. */
export type TaskUpstream = Pick<Upstream, 'info' | 'request'>;

/** Task ids remembered at most; the oldest are forgotten first. */
export const MAX_TASKS = 10_000;

export class TaskOwners {
  private readonly owners = new Map<string, TaskUpstream>();

  owner(taskId: string): TaskUpstream | undefined {
    return this.owners.get(taskId);
  }

  /** Remembers the task a result says the upstream created, if any. */
  noteResult(result: Record<string, unknown>, upstream: TaskUpstream): void {
    const task = result.task as { taskId?: unknown } | undefined;
    if (typeof task?.taskId === 'string') this.remember(task.taskId, upstream);
  }

  /** Every task these upstreams know about, in one list; an upstream that fails adds none. */
  async list(upstreams: readonly TaskUpstream[], signal: AbortSignal): Promise<Record<string, unknown>> {
    const lists = await Promise.all(
      upstreams
        .filter((u) => u.info()?.capabilities.tasks)
        .map(async (u) => {
          const result = await u.request('tasks/list', {}, { signal }).catch(() => ({ tasks: [] }));
          const tasks = Array.isArray(result.tasks) ? (result.tasks as { taskId?: unknown }[]) : [];
          for (const t of tasks) if (typeof t.taskId === 'string') this.remember(t.taskId, u);
          return tasks;
        }),
    );
    return { tasks: lists.flat() };
  }

  private remember(taskId: string, upstream: TaskUpstream): void {
    this.owners.set(taskId, upstream);
    if (this.owners.size > MAX_TASKS) this.owners.delete(this.owners.keys().next().value!);
  }
}
