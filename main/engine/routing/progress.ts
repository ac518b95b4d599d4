/**
 * Progress tokens. A forwarded request that asks for progress carries a token of ours upstream,
 * unguessable and bound to the upstream it went to, so no backend can report progress into
 * another client's request; the client sees its own token again.
 */
import { randomBytes } from 'node:crypto';
import type { Params, RequestId } from '../protocol/jsonrpc.ts';
import type { Session } from '../downstream/session.ts';
import type { Upstream } from '../upstreams/types.ts';

interface ProgressRoute {
  /** Only this upstream may report progress on the token. */
  upstream: Upstream;
  session: Session;
  clientToken: string | number;
  requestId: RequestId;
}

export class ProgressTokens {
  private seq = 0;
  private readonly routes = new Map<string, ProgressRoute>();

  /**
   * The params to send upstream: the client's progress token, if it gave one, replaced by one
   * of ours. `token` (set when replaced) must be released once the request has ended.
   */
  bind(params: Params, upstream: Upstream, session: Session, requestId: RequestId): { params: Params; token?: string } {
    const meta = params._meta as Record<string, unknown> | undefined;
    const clientToken = meta?.progressToken;
    if (typeof clientToken !== 'string' && typeof clientToken !== 'number') return { params };
    const token = `sb-${++this.seq}-${randomBytes(6).toString('hex')}`;
    this.routes.set(token, { upstream, session, clientToken, requestId });
    return { params: { ...params, _meta: { ...meta, progressToken: token } }, token };
  }

  release(token: string | undefined): void {
    if (token !== undefined) this.routes.delete(token);
  }

  /** Passes an upstream's notifications/progress to the client that asked for it. */
  deliver(upstream: Upstream, method: string, params: Params): void {
    const route = typeof params.progressToken === 'string' ? this.routes.get(params.progressToken) : undefined;
    // Progress for a request that already completed, or from another upstream, is dropped.
    if (route && route.upstream === upstream)
      route.session.notify(method, { ...params, progressToken: route.clientToken }, route.requestId);
  }
}
