/**
 * Progress tokens. A forwarded request that asks for progress carries a token of ours upstream,
 * unguessable and bound to the upstream it went to, so no backend can report progress into
 * another client's request; the client sees its own token again. A request that created a task
 * keeps its token until the task ends (the tasks extension: progress goes on for the task's life).
 */
import { randomBytes } from 'node:crypto';
import { isValidId, type Params, type RequestId } from '../protocol/jsonrpc.ts';
import type { Session } from '../downstream/session.ts';
import type { Upstream } from '../upstreams/types.ts';

interface ProgressRoute {
  /** Only this upstream may report progress on the token. */
  upstream: Upstream;
  session: Session;
  /** As the client wrote it: a number JSON.parse would round is kept as its text. */
  clientToken: RequestId;
  /** The client's request, while it is in flight (its progress goes with its answer). */
  requestId: RequestId | undefined;
  /** Marked with each report's time while the request is in flight (it restarts the request's timeout). */
  clock: { progressAt?: number } | undefined;
}

/** Tasks whose progress is still passed on, at most; the oldest are let go first. */
export const MAX_TASK_PROGRESS = 10_000;

export class ProgressTokens {
  private seq = 0;
  private readonly routes = new Map<string, ProgressRoute>();
  /** Upstream and task id → the token of the request that created it, until the task ends. */
  private readonly tasks = new Map<string, string>();
  /** Task ids are each upstream's own (two may use the same): keys tell the upstreams apart. */
  private readonly upstreamKeys = new WeakMap<Upstream, number>();
  private nextUpstreamKey = 0;

  /**
   * The params to send upstream: the client's progress token, if it gave one, replaced by one
   * of ours. `token` (set when replaced) must be released once the request has ended.
   */
  bind(
    params: Params,
    upstream: Upstream,
    session: Session,
    requestId: RequestId,
    clock?: { progressAt?: number },
  ): { params: Params; token?: string } {
    const meta = params._meta as Record<string, unknown> | undefined;
    const clientToken = meta?.progressToken;
    if (!isValidId(clientToken)) return { params };
    const token = `sb-${++this.seq}-${randomBytes(6).toString('hex')}`;
    this.routes.set(token, { upstream, session, clientToken, requestId, clock });
    return { params: { ...params, _meta: { ...meta, progressToken: token } }, token };
  }

  release(token: string | undefined): void {
    if (token !== undefined) this.routes.delete(token);
  }

  /**
   * The request ended by creating task `taskId`: its token stays valid until the task ends. Its
   * progress now goes to the client's session as such (the request is answered).
   */
  keepForTask(token: string, taskId: string): void {
    const route = this.routes.get(token);
    if (!route) return;
    route.requestId = undefined;
    route.clock = undefined;
    const key = this.taskKey(route.upstream, taskId);
    const before = this.tasks.get(key);
    if (before !== undefined) this.routes.delete(before);
    this.tasks.delete(key);
    this.tasks.set(key, token);
    if (this.tasks.size > MAX_TASK_PROGRESS) {
      const [oldest, oldToken] = this.tasks.entries().next().value!;
      this.tasks.delete(oldest);
      this.routes.delete(oldToken);
    }
  }

  /** Task `taskId` of `upstream` ended (completed, failed, cancelled): its progress ends too. */
  taskEnded(upstream: Upstream, taskId: string): void {
    const key = this.taskKey(upstream, taskId);
    const token = this.tasks.get(key);
    if (token === undefined) return;
    this.tasks.delete(key);
    this.routes.delete(token);
  }

  private taskKey(upstream: Upstream, taskId: string): string {
    let key = this.upstreamKeys.get(upstream);
    if (key === undefined) this.upstreamKeys.set(upstream, (key = ++this.nextUpstreamKey));
    return `${key}\0${taskId}`;
  }

  /** A session ended: nothing more is reported to it. */
  dropSession(session: Session): void {
    for (const [key, token] of this.tasks) {
      if (this.routes.get(token)?.session !== session) continue;
      this.tasks.delete(key);
      this.routes.delete(token);
    }
  }

  /** Passes an upstream's notifications/progress to the client that asked for it. */
  deliver(upstream: Upstream, method: string, params: Params): void {
    const route = typeof params.progressToken === 'string' ? this.routes.get(params.progressToken) : undefined;
    // Progress for a request that already completed, or from another upstream, is dropped.
    if (!route || route.upstream !== upstream) return;
    if (route.clock) route.clock.progressAt = Date.now();
    route.session.notify(method, { ...params, progressToken: route.clientToken }, route.requestId);
  }
}
