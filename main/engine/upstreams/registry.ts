/**
 * The running upstreams: one shared instance per enabled server, or, for a server marked
 * `isolated`, one instance per client session (created on first use, stopped with the session).
 * Isolated instances are capped gateway-wide (limits.maxIsolatedProcesses): a session over the cap
 * gets a refusal in its place, lifted when one of them stops. Config reloads swap only the servers
 * that changed.
 */
import { EventEmitter } from 'node:events';
import { deepEqual } from '../config/diff.ts';
import type { Upstream } from './types.ts';

export interface RegistryServer {
  name: string;
  disabled: boolean;
  isolated: boolean;
  /** Given to the running instances when a change keeps them (Upstream.setRequestTimeout). */
  timeoutMs: number;
}

/** What apply() did; `updated`: running servers that took a new entry without a restart. */
export interface AppliedChanges {
  started: string[];
  stopped: string[];
  restarted: string[];
  updated: string[];
}

/** What an isolated instance may take from the client session it is started for. */
export interface SessionContext {
  /** The HTTP headers of the session's latest request (none for stdio and shim clients). */
  headers?: ReadonlyArray<readonly [name: string, value: string]>;
  /** What the client declared it can do (initialize): its server is told it may ask only that of roots. */
  clientCapabilities?: Record<string, unknown>;
}

export interface RegistryEvents {
  added: [upstream: Upstream, server: string, ownerSessionId: string | undefined];
  removed: [upstream: Upstream];
  /** After `removed`, once the instance has stopped (its process is gone). */
  stopped: [upstream: Upstream];
  /** A session refused an isolated instance may have one now: its next request starts it. */
  lifted: [sessionId: string];
}

/** The gateway-wide cap on isolated instances, and what stands in for one over it. */
export interface IsolatedLimit<S> {
  max: () => number;
  /** Answers every request of the session with why (it is not started). */
  refusal: (server: S, max: number) => Upstream;
}

export class UpstreamRegistry<S extends RegistryServer = RegistryServer> extends EventEmitter<RegistryEvents> {
  private servers = new Map<string, S>();
  private readonly shared = new Map<string, Upstream>();
  /** The last apply, restart or stop asked for: each runs after the one before (inTurn). */
  private turn: Promise<void> = Promise.resolve();
  /** server name → session id → instance */
  private readonly isolated = new Map<string, Map<string, Upstream>>();
  private readonly serverOf = new Map<Upstream, string>();
  private readonly ownerOf = new Map<Upstream, string>();
  /** Why an instance was stopped, when a config change (or a pause) did it: see stopReason. */
  private readonly stopReasons = new WeakMap<Upstream, string>();
  /** Stand-ins for isolated instances refused for the cap (in `isolated` too, as their sessions' instance). */
  private readonly refusals = new Set<Upstream>();
  /** Isolated instances removed and not yet stopped: their processes still count against the cap. */
  private isolatedStopping = 0;
  /** `sessionId`: the session an isolated instance is started for. */
  private readonly create: (server: S, session?: SessionContext, sessionId?: string) => Upstream;
  /** Whether a server's new config can keep its running instances (what differs is the gateway's own). */
  private readonly sameInstance: (before: S, now: S) => boolean;
  private readonly limit: IsolatedLimit<S> | undefined;

  constructor(
    create: (server: S, session?: SessionContext, sessionId?: string) => Upstream,
    sameInstance: (a: S, b: S) => boolean = deepEqual,
    limit?: IsolatedLimit<S>,
  ) {
    super();
    this.create = create;
    this.sameInstance = sameInstance;
    this.limit = limit;
  }

  config(name: string): S | undefined {
    return this.servers.get(name);
  }

  names(): string[] {
    return [...this.servers.keys()];
  }

  enabledNames(): string[] {
    return [...this.servers.values()].filter((s) => !s.disabled).map((s) => s.name);
  }

  /** Whether `upstream` stands in for an isolated instance refused for the cap. */
  refused(upstream: Upstream): boolean {
    return this.refusals.has(upstream);
  }

  /** The sessions refused an instance of `name` for the cap, waiting for one to stop. */
  refusedSessions(name: string): number {
    let n = 0;
    for (const refusal of this.refusals) if (this.serverOf.get(refusal) === name) n++;
    return n;
  }

  /** Every running instance, shared and isolated (and the refusals standing in for some). */
  all(): Upstream[] {
    const out = [...this.shared.values()];
    for (const m of this.isolated.values()) out.push(...m.values());
    return out;
  }

  server(upstream: Upstream): string | undefined {
    return this.serverOf.get(upstream);
  }

  /** The session an isolated instance belongs to. */
  owner(upstream: Upstream): string | undefined {
    return this.ownerOf.get(upstream);
  }

  /**
   * Why `upstream` was stopped, following `server "x"`: `was removed from the config`, `was turned
   * off in the config`, `was restarted with its new settings`, or what apply() was given. Undefined
   * for one still running, or stopped with its session or the gateway.
   */
  stopReason(upstream: Upstream): string | undefined {
    return this.stopReasons.get(upstream);
  }

  sharedInstance(name: string): Upstream | undefined {
    return this.shared.get(name);
  }

  /** The instance a session talks to for this server, starting an isolated one (for `session`) if needed. */
  forSession(name: string, sessionId: string, session?: SessionContext): Upstream | undefined {
    const server = this.servers.get(name);
    if (!server || server.disabled) return undefined;
    if (!server.isolated) return this.shared.get(name);
    let perSession = this.isolated.get(name);
    if (!perSession) this.isolated.set(name, (perSession = new Map()));
    let upstream = perSession.get(sessionId);
    if (!upstream) {
      const max = this.limit?.max() ?? Infinity;
      const over = this.isolatedRunning() >= max;
      upstream = over ? this.limit!.refusal(server, max) : this.create(server, session, sessionId);
      if (over) this.refusals.add(upstream);
      perSession.set(sessionId, upstream);
      this.track(upstream, name, sessionId);
      upstream.start();
    }
    return upstream;
  }

  /** Like forSession, but never starts anything. */
  existingForSession(name: string, sessionId: string): Upstream | undefined {
    const server = this.servers.get(name);
    if (!server || server.disabled) return undefined;
    return server.isolated ? this.isolated.get(name)?.get(sessionId) : this.shared.get(name);
  }

  /** Isolated processes running or stopping, which the cap counts. */
  private isolatedRunning(): number {
    let n = this.isolatedStopping - this.refusals.size;
    for (const perSession of this.isolated.values()) n += perSession.size;
    return n;
  }

  /** An isolated instance has stopped (or the cap was raised): every session refused one may try again. */
  retryRefusals(): void {
    const sessions = new Set<string>();
    for (const refusal of [...this.refusals]) {
      const name = this.serverOf.get(refusal);
      const sessionId = this.ownerOf.get(refusal);
      if (name === undefined || sessionId === undefined) continue;
      this.isolated.get(name)?.delete(sessionId);
      void this.untrack(refusal);
      sessions.add(sessionId);
    }
    for (const sessionId of sessions) this.emit('lifted', sessionId);
  }

  /** Stops the isolated instances of a session that ended. */
  async releaseSession(sessionId: string): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const perSession of this.isolated.values()) {
      const upstream = perSession.get(sessionId);
      if (upstream) {
        perSession.delete(sessionId);
        stopping.push(this.untrack(upstream));
      }
    }
    await Promise.all(stopping);
  }

  /**
   * Makes the running set match `servers`: unchanged servers keep running untouched;
   * changed ones are restarted, removed ones stopped, new ones started. `leftOut`: why the servers
   * not in `servers` stop (see stopReason), when it is not that they left the config.
   */
  apply(servers: S[], leftOut?: string): Promise<AppliedChanges> {
    return this.inTurn(() => this.applyNow(servers, leftOut));
  }

  private async applyNow(servers: S[], leftOut = 'was removed from the config'): Promise<AppliedChanges> {
    const next = new Map(servers.map((s) => [s.name, s]));
    const started: string[] = [];
    const stopped: string[] = [];
    const restarted: string[] = [];
    const updated: string[] = [];
    const stopping: Promise<void>[] = [];
    for (const [name, prev] of this.servers) {
      const now = next.get(name);
      if (now && this.sameInstance(prev, now)) {
        if (!now.disabled && !deepEqual(prev, now)) updated.push(name);
        // Its requests from now on wait as long as the new entry says; those in flight keep their limit.
        for (const upstream of this.instancesOf(name)) upstream.setRequestTimeout(now.timeoutMs);
        continue;
      }
      const why = !now
        ? leftOut
        : now.disabled
          ? 'was turned off in the config'
          : 'was restarted with its new settings';
      stopping.push(this.stopServer(name, why));
      if (!now) stopped.push(name);
    }
    for (const name of stopped) this.servers.delete(name);
    // Record changed configs before waiting, so nothing started meanwhile uses the old one.
    const previous = new Map(this.servers);
    for (const [name, server] of next) this.servers.set(name, server);
    await Promise.all(stopping);
    for (const [name, server] of next) {
      const prev = previous.get(name);
      const changed = !prev || !this.sameInstance(prev, server);
      if (!changed) continue;
      // Turned off is stopped, turned on is started: "restarted" only for one that runs before and after.
      if (server.disabled) {
        if (prev && !prev.disabled) stopped.push(name);
      } else if (prev && !prev.disabled) restarted.push(name);
      else started.push(name);
      if (!server.disabled && !server.isolated) await this.startShared(server);
    }
    return { started, stopped, restarted, updated };
  }

  /** The shared instance of a server and those it runs for each session. */
  private instancesOf(name: string): Upstream[] {
    const shared = this.shared.get(name);
    return [...(shared ? [shared] : []), ...(this.isolated.get(name)?.values() ?? [])];
  }

  /** Restarts one server (all its instances), e.g. from the UI. */
  restart(name: string): Promise<void> {
    return this.inTurn(async () => {
      const server = this.servers.get(name);
      if (!server) return;
      await this.stopServer(name, 'was restarted');
      if (!server.disabled && !server.isolated) await this.startShared(server);
    });
  }

  stopAll(): Promise<void> {
    return this.inTurn(async () => {
      await Promise.all([...this.servers.keys()].map((n) => this.stopServer(n)));
    });
  }

  /**
   * Runs `work` after every apply, restart and stop asked for before it: two at once would each
   * start an instance of a server, and the one replaced would run on, untracked.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    // Its caller hears of a failure; the next in turn runs either way.
    this.turn = Promise.allSettled([run]).then(() => undefined);
    return run;
  }

  /** Starts the shared instance of `server`, stopping one still there (never two at once). */
  private async startShared(server: S): Promise<void> {
    const left = this.shared.get(server.name);
    if (left) {
      this.shared.delete(server.name);
      await this.untrack(left);
    }
    const upstream = this.create(server);
    this.shared.set(server.name, upstream);
    this.track(upstream, server.name, undefined);
    upstream.start();
  }

  private async stopServer(name: string, why?: string): Promise<void> {
    const stopping: Promise<void>[] = [];
    const shared = this.shared.get(name);
    if (shared) {
      this.shared.delete(name);
      stopping.push(this.untrack(shared, why));
    }
    const perSession = this.isolated.get(name);
    if (perSession) {
      this.isolated.delete(name);
      for (const upstream of perSession.values()) stopping.push(this.untrack(upstream, why));
    }
    await Promise.all(stopping);
  }

  private track(upstream: Upstream, name: string, owner: string | undefined): void {
    this.serverOf.set(upstream, name);
    if (owner !== undefined) this.ownerOf.set(upstream, owner);
    this.emit('added', upstream, name, owner);
  }

  private async untrack(upstream: Upstream, why?: string): Promise<void> {
    if (why !== undefined) this.stopReasons.set(upstream, why);
    // An isolated process counts against the cap until it has exited.
    const counted = this.ownerOf.has(upstream) && !this.refusals.delete(upstream);
    if (counted) this.isolatedStopping++;
    this.emit('removed', upstream);
    this.serverOf.delete(upstream);
    this.ownerOf.delete(upstream);
    try {
      await upstream.stop();
    } finally {
      this.emit('stopped', upstream);
      if (counted) {
        this.isolatedStopping--;
        if (this.refusals.size) this.retryRefusals();
      }
    }
  }
}
