/**
 * Resource subscriptions: server slot → original uri → the sessions subscribed (each with the uri
 * it knows, which differs when a shared uri had to be renamed). The upstream hears one subscribe
 * for the first subscriber (whose answer the others that come meanwhile wait for, and share) and
 * one unsubscribe after the last, and is asked again after it
 * restarted. A slot is a server (and, for an isolated one, its session): Restart in the app or an
 * edit of the server's entry replaces its upstream, and the new one takes over the subscriptions.
 */
import type { Params } from '../protocol/jsonrpc.ts';
import type { Upstream } from '../upstreams/types.ts';
import { logFailure } from '../log.ts';
import { GatewayError } from '../protocol/errors.ts';
import { MAX_SUBSCRIPTIONS, type Session } from '../downstream/session.ts';

/** The part of an upstream subscriptions use. */
export type SubscribedUpstream = Pick<Upstream, 'info' | 'request'>;

/** Where a client's uri lives: its upstream and the uri that upstream knows. */
export interface ResourceTarget {
  upstream: SubscribedUpstream;
  original: string;
}

interface Slot {
  /** The upstream serving the slot now; undefined between its removal and its replacement. */
  upstream: SubscribedUpstream | undefined;
  byUri: Map<string, Map<Session, string>>;
}

export class Subscriptions {
  private readonly slots = new Map<unknown, Slot>();
  /** The subscribe a uri's first subscriber sent, while its server has not answered it (by holders). */
  private readonly asking = new WeakMap<Map<Session, string>, Promise<unknown>>();
  /** Where a failure nobody awaits is written, as a warning about that upstream's server. */
  private readonly warn: (upstream: SubscribedUpstream) => (text: string) => void;
  /** The slot an upstream serves (default: the upstream itself, which is never replaced). */
  private readonly slotOf: (upstream: SubscribedUpstream) => unknown;

  constructor(
    warn: (upstream: SubscribedUpstream) => (text: string) => void = () => () => undefined,
    slotOf: (upstream: SubscribedUpstream) => unknown = (upstream) => upstream,
  ) {
    this.warn = warn;
    this.slotOf = slotOf;
  }

  /** Subscribes `session` to `uri`; fails (and forgets it) when the upstream refuses. */
  async subscribe(session: Session, uri: string, target: ResourceTarget): Promise<void> {
    if (session.subscriptions.size >= MAX_SUBSCRIPTIONS && !session.subscriptions.has(uri))
      throw new GatewayError(
        'invalid_request',
        `resources/subscribe: this client is subscribed to ${MAX_SUBSCRIPTIONS} resources, the most one ` +
          `client may be; unsubscribe from one first (${uri} was not subscribed)`,
      );
    const key = this.slotOf(target.upstream);
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { upstream: target.upstream, byUri: new Map() }));
    slot.upstream = target.upstream;
    let holders = slot.byUri.get(target.original);
    const first = !holders || holders.size === 0;
    if (!holders) slot.byUri.set(target.original, (holders = new Map()));
    holders.set(session, uri);
    session.subscriptions.add(uri);
    // Subscribers that come while the server is still answering the first wait for that answer:
    // told yes at once, they would hold a subscription the server may yet refuse.
    let answer = this.asking.get(holders);
    if (first && canSubscribe(target.upstream)) {
      answer = target.upstream.request('resources/subscribe', { uri: target.original });
      this.asking.set(holders, answer);
    }
    if (!answer) return;
    try {
      await answer;
    } catch (err) {
      if (holders.get(session) === uri) {
        holders.delete(session);
        session.subscriptions.delete(uri);
      }
      if (holders.size === 0 && slot.byUri.get(target.original) === holders) slot.byUri.delete(target.original);
      throw err;
    } finally {
      if (this.asking.get(holders) === answer) this.asking.delete(holders);
    }
  }

  async unsubscribe(session: Session, uri: string, target: ResourceTarget): Promise<void> {
    const slot = this.slots.get(this.slotOf(target.upstream));
    const holders = slot?.byUri.get(target.original);
    // Held where the uri led when it was subscribed to: its server has left the profile since, and
    // the uri leads elsewhere now (to the one server left, which may serve uris it does not list).
    if (holders?.get(session) !== uri) {
      this.forget(session, uri);
      return;
    }
    session.subscriptions.delete(uri);
    if (slot && holders.delete(session) && holders.size === 0) {
      slot.byUri.delete(target.original);
      if (slot.byUri.size === 0) this.slots.delete(this.slotOf(target.upstream));
      // The client is unsubscribed whatever the server says: no update reaches it from here on. A
      // server that is down is not asked (it lost its subscriptions, and is asked again only for
      // those still held once it is back); one that refuses is noted in the log.
      if (!canSubscribe(target.upstream)) return;
      await target.upstream
        .request('resources/unsubscribe', { uri: target.original })
        .catch(logFailure(this.warn(target.upstream), `could not unsubscribe from ${target.original}`));
    }
  }

  /**
   * Unsubscribes `session` from a uri that no longer leads anywhere (its server left the profile,
   * or stopped listing it), wherever it was held. False when the session did not hold it.
   */
  forget(session: Session, uri: string): boolean {
    if (!session.subscriptions.delete(uri)) return false;
    this.release(session, uri);
    return true;
  }

  /** A session ended: uris nobody else holds are unsubscribed upstream. */
  dropSession(session: Session): void {
    this.release(session);
  }

  /** Lets go of what `session` holds (only its `uri`, when given); a uri left with no holder is unsubscribed. */
  private release(session: Session, uri?: string): void {
    for (const [key, slot] of this.slots) {
      for (const [original, holders] of slot.byUri) {
        if ((uri !== undefined && holders.get(session) !== uri) || !holders.delete(session) || holders.size > 0)
          continue;
        slot.byUri.delete(original);
        const upstream = slot.upstream;
        upstream
          ?.request('resources/unsubscribe', { uri: original })
          .catch(logFailure(this.warn(upstream), `could not unsubscribe from ${original}`));
      }
      if (slot.byUri.size === 0) this.slots.delete(key);
    }
  }

  /** After a backend (re)started, or replaced the one before it: it knows of no subscriptions; ask again. */
  restore(upstream: SubscribedUpstream): void {
    const slot = this.slots.get(this.slotOf(upstream));
    if (!slot) return;
    slot.upstream = upstream;
    if (!canSubscribe(upstream)) return;
    for (const uri of slot.byUri.keys()) {
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

  /**
   * The upstream was stopped: nothing is sent to it any more. Its subscribers stay, for the
   * upstream that replaces it (a restart); they are dropped with their sessions.
   */
  detach(upstream: SubscribedUpstream): void {
    const slot = this.slots.get(this.slotOf(upstream));
    if (slot?.upstream === upstream) slot.upstream = undefined;
  }

  /**
   * Passes an upstream's notifications/resources/updated to its subscribers, each with its own uri,
   * once each. The uri may be a sub-resource of the one subscribed to (the spec allows it): those
   * subscribers hear it too, with the uri as the server sent it, or, where their uri was renamed,
   * with the one they subscribed to.
   */
  deliver(upstream: SubscribedUpstream, method: string, params: Params): void {
    const uri = params.uri;
    if (typeof uri !== 'string') return;
    const slot = this.slots.get(this.slotOf(upstream));
    if (slot?.upstream !== upstream) return;
    const told = new Set<Session>();
    for (const [session, exposed] of slot.byUri.get(uri) ?? []) {
      told.add(session);
      session.notify(method, { ...params, uri: exposed });
    }
    for (const [subscribed, sessions] of slot.byUri) {
      if (subscribed === uri || !isSubResource(uri, subscribed)) continue;
      for (const [session, exposed] of sessions) {
        if (told.has(session)) continue;
        told.add(session);
        session.notify(method, { ...params, uri: exposed === subscribed ? uri : exposed });
      }
    }
  }
}

/** `uri` lies under `parent`: `file:///a/b` under `file:///a` and `file:///a/`. */
function isSubResource(uri: string, parent: string): boolean {
  if (!uri.startsWith(parent) || uri.length === parent.length) return false;
  return parent.endsWith('/') || uri[parent.length] === '/';
}

function canSubscribe(upstream: SubscribedUpstream): boolean {
  const resources = upstream.info()?.capabilities.resources as { subscribe?: unknown } | undefined;
  return Boolean(resources?.subscribe);
}
