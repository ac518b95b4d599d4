/**
 * The client headers one backend gets (JSON handlers and remote MCP servers alike): the names its
 * entry allows in `forwardHeaders` (or every name, for "*"), never the ones config/header-rules.ts
 * rules out nor any the client's `Connection` names, and never one the entry sets itself in
 * `headers` unless it is listed in `overridableHeaders`. Built once per upstream; per request it
 * only walks the client's header list.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { FORWARD_ALL, neverForwarded } from '../config/header-rules.ts';

/** Headers as received: one [name, value] pair per line, names in any case, repeats allowed. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

export interface ForwardRule {
  /** Client header names passed on; "*" for all of them. */
  forwardHeaders: readonly string[];
  /** Names set in `headers` that a client's header of the same name replaces. */
  overridableHeaders: readonly string[];
}

/** One forwarded header: the client's first spelling of its name, every value in order. */
export interface Forwarded {
  name: string;
  values: string[];
}

export class ClientHeaderPolicy {
  readonly #all: boolean;
  readonly #allowed: ReadonlySet<string>;
  readonly #overridable: ReadonlySet<string>;
  readonly #configured: ReadonlySet<string>;
  /** Nothing is ever forwarded: callers skip the work entirely. */
  readonly none: boolean;

  constructor(rule: ForwardRule, configured: Iterable<string>) {
    // "_" counts as "-": CGI maps both to one HTTP_* param, so a configured X_Foo is X-Foo too.
    const lower = (names: Iterable<string>) => new Set([...names].map((n) => n.toLowerCase().replaceAll('_', '-')));
    this.#all = rule.forwardHeaders.includes(FORWARD_ALL);
    this.#overridable = lower(rule.overridableHeaders);
    this.#allowed = new Set([...lower(rule.forwardHeaders), ...this.#overridable]);
    this.#configured = lower(configured);
    this.none = !this.#all && this.#allowed.size === 0;
  }

  /** Whether a client value for this name replaces the configured one. */
  overrides(lowerName: string): boolean {
    return this.#overridable.has(lowerName.replaceAll('_', '-'));
  }

  /** The client's headers this backend gets, by lower-cased name. */
  pick(client: HeaderList | undefined): Map<string, Forwarded> {
    const out = new Map<string, Forwarded>();
    if (!client || this.none) return out;
    let connectionNamed: Set<string> | undefined;
    for (const [name, value] of client) {
      if (name.toLowerCase() !== 'connection') continue;
      connectionNamed ??= new Set();
      for (const token of value.split(',')) if (token.trim()) connectionNamed.add(token.trim().toLowerCase());
    }
    for (const [name, value] of client) {
      const lower = name.toLowerCase();
      if (!this.#all && !this.#allowed.has(lower)) continue;
      if (this.#configured.has(lower) && !this.#overridable.has(lower)) continue;
      if (connectionNamed?.has(lower) || neverForwarded(name) !== undefined) continue;
      const entry = out.get(lower);
      if (entry) entry.values.push(value);
      else out.set(lower, { name, values: [value] });
    }
    return out;
  }
}

/** Values of one header on one line: Cookie would join with "; " (RFC 6265), but Cookie is never forwarded. */
export function joinValues(values: readonly string[]): string {
  return values.join(', ');
}

/** The picked headers as one value per name (lower-cased names). */
export function forwardedRecord(picked: Map<string, Forwarded>): Record<string, string> | undefined {
  if (picked.size === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [lower, { values }] of picked) out[lower] = joinValues(values);
  return out;
}

// Remote MCP transports send from deep inside the SDK; the headers of the client request that
// caused a send ride along in async context to the fetch that carries it.
const forwarded = new AsyncLocalStorage<Record<string, string>>();

/** Runs `send` with these client headers attached to every HTTP request it makes. */
export function withClientHeaders<T>(headers: Record<string, string>, send: () => T): T {
  return forwarded.run(headers, send);
}

/**
 * Runs `work` as the gateway's own, outside any client's request: what it starts (a reconnect, a
 * new session's initialize and event stream) must not carry the headers of the request during
 * which the connection happened to be lost.
 */
export function asGateway<T>(work: () => T): T {
  return forwarded.exit(work);
}

/** The client headers of the request being sent, if any (lower-cased names). */
export function currentClientHeaders(): Record<string, string> | undefined {
  return forwarded.getStore();
}
