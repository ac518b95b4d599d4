/**
 * Names every client accepts, that never move. The strictest clients take tool names matching
 * ^[a-zA-Z0-9_-]{1,64}$. A name that already fits is used as is; one that had to be changed
 * (characters replaced, shortened) carries a short hash of the server and the original name, so
 * it is the same whatever else is listed, and two originals never meet on one sanitised name.
 * What is left (two names that fit exactly alike, e.g. two aliases) is settled by a NameBook:
 * a name once given keeps meaning the same tool of the same server, and the newcomer gets the
 * hashed form, whatever the list order and whichever servers happen to be up.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 64;
const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Names a NameBook keeps beyond those in use now (renamed or vanished tools), per profile and kind. */
export const MAX_REMEMBERED_NAMES = 10_000;

export function isValidExposedName(name: string): boolean {
  return VALID.test(name);
}

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `part` in the alphabet clients accept (lossy: see fitName). */
export function sanitize(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/**
 * `candidate` when it is valid as it is; otherwise sanitised and shortened, with a hash of `key`
 * (server and original name) so distinct originals stay distinct and the result never depends
 * on anything else.
 */
export function fitName(candidate: string, key: string = candidate): string {
  if (VALID.test(candidate)) return candidate;
  const hash = shortHash(key);
  return `${sanitize(candidate).slice(0, MAX_NAME_LENGTH - hash.length - 1)}_${hash}`;
}

/** The key a server's item is known by: server and original name. */
export function nameKey(server: string, original: string): string {
  return `${server}\u0000${original}`;
}

/** `server__tool` (separator configurable), made valid. */
export function namespacedName(server: string, name: string, separator: string): string {
  return fitName(`${server}${separator}${name}`, nameKey(server, name));
}

/** The fallback when two originals want the same exposed name: never shadow, disambiguate. */
export function disambiguatedName(exposed: string, server: string, name: string, attempt = 0): string {
  const hash = shortHash(attempt === 0 ? nameKey(server, name) : `${nameKey(server, name)}\u0000${attempt}`, 6);
  return `${exposed.slice(0, MAX_NAME_LENGTH - hash.length - 1)}_${hash}`;
}

export interface NameClaim {
  server: string;
  original: string;
  /** The name it gets when nobody else holds it. */
  wanted: string;
}

/**
 * Which exposed name belongs to which (server, original) in one profile: a name once given is
 * never handed to another item while its holder's server is configured.
 */
export class NameBook {
  private readonly byName = new Map<string, string>();
  private readonly byKey = new Map<string, { wanted: string; exposed: string }>();

  get size(): number {
    return this.byKey.size;
  }

  /** The name given to (server, original), if any; with `wanted`, only if given for that wanted name. */
  nameOf(server: string, original: string, wanted?: string): string | undefined {
    const held = this.byKey.get(nameKey(server, original));
    return held && (wanted === undefined || held.wanted === wanted) ? held.exposed : undefined;
  }

  /** Exposed names for `claims`, by nameKey. New claims are settled in key order, never list order. */
  assign(claims: readonly NameClaim[]): Map<string, string> {
    const out = new Map<string, string>();
    const fresh: (NameClaim & { key: string })[] = [];
    for (const claim of claims) {
      const key = nameKey(claim.server, claim.original);
      if (out.has(key)) continue;
      const held = this.byKey.get(key);
      if (held?.wanted === claim.wanted) {
        out.set(key, held.exposed);
        continue;
      }
      // New, or its wanted name changed (an alias was edited): it competes again.
      if (held) this.release(key);
      fresh.push({ ...claim, key });
      out.set(key, '');
    }
    fresh.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const claim of fresh) {
      let exposed = claim.wanted;
      for (let attempt = 0; this.byName.has(exposed); attempt++)
        exposed = disambiguatedName(claim.wanted, claim.server, claim.original, attempt);
      this.byName.set(exposed, claim.key);
      this.byKey.set(claim.key, { wanted: claim.wanted, exposed });
      out.set(claim.key, exposed);
    }
    return out;
  }

  /**
   * Forgets the names of servers no longer in the profile; past MAX_REMEMBERED_NAMES, also those
   * of items not in use now (`inUse`: nameKeys).
   */
  retain(servers: ReadonlySet<string>, inUse: ReadonlySet<string>): void {
    for (const key of [...this.byKey.keys()]) {
      if (!servers.has(key.slice(0, key.indexOf('\u0000')))) this.release(key);
    }
    if (this.byKey.size <= MAX_REMEMBERED_NAMES) return;
    for (const key of [...this.byKey.keys()]) if (!inUse.has(key)) this.release(key);
  }

  private release(key: string): void {
    const held = this.byKey.get(key);
    if (!held) return;
    this.byKey.delete(key);
    if (this.byName.get(held.exposed) === key) this.byName.delete(held.exposed);
  }
}
