/**
 * Resource subscriptions: upstream → original uri → the sessions subscribed (each with the uri
 * it knows, which differs when a shared uri had to be renamed). The upstream hears one
 * subscribe for the first subscriber and one unsubscribe after the last, and is asked again
 * after it restarted.
 */
import type { Params } from '../protocol/jsonrpc.ts';
import type { Session } from '../downstream/session.ts';
import type { Upstream } from '../upstreams/types.ts';
import { logFailure } from '../log.ts';

/** The part of an upstream subscriptions use. */
export type SubscribedUpstream = Pick<Upstream, 'info' | 'request'>;

/** Where a client's uri lives: its upstream and the uri that upstream knows. */
export interface ResourceTarget {
  upstream: SubscribedUpstream;
  original: string;
}

export class Subscriptions {
  private readonly byUpstream = new Map<SubscribedUpstream, Map<string, Map<Session, string>>>();
  /** Where a failure nobody awaits is written, as a warning about that upstream's server. */
  private readonly warn: (upstream: SubscribedUpstream) => (text: string) => void;

  constructor(warn: (upstream: SubscribedUpstream) => (text: string) => void = () => () => undefined) {
    this.warn = warn;
  }

  /** Subscribes `session` to `uri`; fails (and forgets it) when the upstream refuses. */
  async subscribe(session: Session, uri: string, target: ResourceTarget): Promise<void> {
    let byUri = this.byUpstream.get(target.upstream);
    if (!byUri) this.byUpstream.set(target.upstream, (byUri = new Map()));
    let holders = byUri.get(target.original);
    const first = !holders || holders.size === 0;
    if (!holders) byUri.set(target.original, (holders = new Map()));
    holders.set(session, uri);
    session.subscriptions.add(uri);
    const capabilities = target.upstream.info()?.capabilities.resources as { subscribe?: unknown } | undefined;
    if (first && capabilities?.subscribe) {
      try {
        await target.upstream.request('resources/subscribe', { uri: target.original });
      } catch (err) {
        holders.delete(session);
        session.subscriptions.delete(uri);
        throw err;
      }
    }
  }

  async unsubscribe(session: Session, uri: string, target: ResourceTarget): Promise<void> {
    session.subscriptions.delete(uri);
    const holders = this.byUpstream.get(target.upstream)?.get(target.original);
    if (holders?.delete(session) && holders.size === 0) {
      this.byUpstream.get(target.upstream)?.delete(target.original);
      await target.upstream.request('resources/unsubscribe', { uri: target.original });
    }
  }

  /** A session ended: uris nobody else holds are unsubscribed upstream. */
  dropSession(session: Session): void {
    for (const [upstream, byUri] of this.byUpstream) {
      for (const [uri, holders] of byUri) {
        if (holders.delete(session) && holders.size === 0) {
          byUri.delete(uri);
          upstream
            .request('resources/unsubscribe', { uri })
            .catch(logFailure(this.warn(upstream), `could not unsubscribe from ${uri}`));
        }
      }
    }
  }

  /** After a backend restarted: its subscriptions are gone; ask again. */
  restore(upstream: SubscribedUpstream): void {
    for (const uri of this.byUpstream.get(upstream)?.keys() ?? []) {
      upstream
        .request('resources/subscribe', { uri })
        .catch(
          logFailure(
            this.warn(upstream),
            `could not subscribe to ${uri} again after a restart; its clients get no updates`,
          ),
        );
    }
  }

  /** The upstream is gone (removed from the config). */
  forget(upstream: SubscribedUpstream): void {
    this.byUpstream.delete(upstream);
  }

  /** Passes an upstream's notifications/resources/updated to its subscribers, each with its own uri. */
  deliver(upstream: SubscribedUpstream, method: string, params: Params): void {
    const uri = params.uri;
    if (typeof uri !== 'string') return;
    for (const [session, exposed] of this.byUpstream.get(upstream)?.get(uri) ?? []) {
      session.notify(method, { ...params, uri: exposed });
    }
  }
}
