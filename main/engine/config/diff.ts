/**
 * What changed between two configs, so a reload restarts only the servers whose entries
 * changed and leaves every other process (and its sessions) alone.
 */
import type { ResolvedConfig } from './schema.ts';

export interface ConfigDiff {
  added: string[];
  removed: string[];
  /** Entry differs in any way (command, env, filters, disabled, timeouts...). */
  changed: string[];
  unchanged: string[];
  profilesChanged: boolean;
  /**
   * The profiles by name, for the reload's log line. The implicit "default" (every server) is
   * not counted as changed when only the servers did: those are said already.
   */
  profiles: { added: string[]; removed: string[]; changed: string[] };
  /** Either listener's settings (below): each is reopened only when its own changed. */
  listenChanged: boolean;
  httpListenChanged: boolean;
  socketListenChanged: boolean;
  /** namespaceSeparator, timeouts or limits. */
  settingsChanged: boolean;
}

export function diffConfigs(prev: ResolvedConfig, next: ResolvedConfig): ConfigDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const [name, server] of Object.entries(next.servers)) {
    if (!Object.hasOwn(prev.servers, name)) added.push(name);
    else if (deepEqual(prev.servers[name], server)) unchanged.push(name);
    else changed.push(name);
  }
  const removed = Object.keys(prev.servers).filter((name) => !Object.hasOwn(next.servers, name));
  const profiles = {
    added: Object.keys(next.profiles).filter((name) => !Object.hasOwn(prev.profiles, name)),
    removed: Object.keys(prev.profiles).filter((name) => !Object.hasOwn(next.profiles, name)),
    changed: Object.keys(next.profiles).filter((name) => {
      const before = prev.profiles[name];
      const after = next.profiles[name]!;
      return before !== undefined && !(before.implicit && after.implicit) && !deepEqual(before, after);
    }),
  };
  return {
    added,
    removed,
    changed,
    unchanged,
    profilesChanged: !deepEqual(prev.profiles, next.profiles),
    profiles,
    listenChanged: !deepEqual(prev.listen, next.listen),
    httpListenChanged: !deepEqual(prev.listen.http, next.listen.http),
    socketListenChanged: prev.listen.socket !== next.listen.socket,
    settingsChanged:
      prev.namespaceSeparator !== next.namespaceSeparator ||
      !deepEqual(prev.timeouts, next.timeouts) ||
      !deepEqual(prev.limits, next.limits) ||
      !deepEqual(prev.traffic, next.traffic),
  };
}

/** Structural equality for JSON-like values; object key order is ignored, array order is not. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keysA = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const keysB = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}
