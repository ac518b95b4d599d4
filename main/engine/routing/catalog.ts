/**
 * What each upstream offers (tools, prompts, resources, resource templates), fetched when it
 * becomes ready and again when it says a list changed. Lists are served to clients from here,
 * so a tools/list never waits on a backend that is already known.
 */
import { EventEmitter } from 'node:events';
import { RpcCode, errorMessage, toRpcError } from '../protocol/errors.ts';
import { HANDLER_SKIPPED_META, type Upstream, type UpstreamStatus } from '../upstreams/types.ts';
import { usableItems } from './list-items.ts';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
export type Item = Record<string, unknown> & { name?: string; uri?: string; uriTemplate?: string };

const LIST_METHOD: Record<ListKind, { method: string; key: string; capability: string }> = {
  tools: { method: 'tools/list', key: 'tools', capability: 'tools' },
  prompts: { method: 'prompts/list', key: 'prompts', capability: 'prompts' },
  resources: { method: 'resources/list', key: 'resources', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', key: 'resourceTemplates', capability: 'resources' },
};

export const LIST_CHANGED: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/** How long a list waits for a backend that is still starting. */
const STARTING_WAIT_MS = 15_000;

/** Pages read of one list, at most: guards against a backend that hands out cursors forever. */
export const MAX_PAGES = 100;

interface Entry {
  lists: Partial<Record<ListKind, Item[]>>;
  /** In-flight refreshes, so concurrent callers share one fetch. */
  loading: Partial<Record<ListKind, Promise<Item[]>>>;
  errors: Partial<Record<ListKind, string>>;
  /** A list_changed came while that list was being read: read it again once that read ends. */
  again: Partial<Record<ListKind, boolean>>;
  /** What the last read left out (list-items.ts), so the same faults are said once. */
  leftOut: Partial<Record<ListKind, string>>;
  /** The last read as the server sent it (JSON): the same answer again is not checked again. */
  raw: Partial<Record<ListKind, string>>;
  /** The last read stopped at MAX_PAGES with pages still to come, so that is said once. */
  cut: Partial<Record<ListKind, boolean>>;
}

export interface CatalogEvents {
  changed: [upstream: Upstream, kind: ListKind];
  /** Items of a server's list that clients could not take were left out; said once per change. */
  'left-out': [upstream: Upstream, kind: ListKind, items: string[]];
  /** A server's list went on past MAX_PAGES pages: the items of those are kept, the rest never read. Said once. */
  cut: [upstream: Upstream, kind: ListKind, items: number];
  /** A read of a list failed while none of it was known (its items are unknown, not none). */
  failed: [upstream: Upstream, kind: ListKind];
}

export class Catalog extends EventEmitter<CatalogEvents> {
  private readonly entries = new Map<Upstream, Entry>();
  /**
   * What each server (by name) listed the last time it answered, kept while it is down or being
   * replaced: its names stay reserved for it (profile-view.ts).
   */
  private readonly lastKnown = new Map<string, Partial<Record<ListKind, Item[]>>>();

  /** Starts tracking an upstream: fetch on ready, refetch on list_changed. Returns an untrack function. */
  track(upstream: Upstream): () => void {
    const entry: Entry = { lists: {}, loading: {}, errors: {}, again: {}, leftOut: {}, raw: {}, cut: {} };
    this.entries.set(upstream, entry);
    // What this server's previous process listed (it was restarted with new settings): clients were
    // told of those, so they are told again if this one goes down before it lists anything (a
    // secret not stored, a command that is not there), or they would go on showing those tools.
    let owed = (Object.keys(LIST_METHOD) as ListKind[]).filter(
      (kind) => this.lastKnown.get(upstream.name)?.[kind]?.length,
    );
    const onReady = () => {
      owed = [];
      entry.lists = {};
      for (const kind of Object.keys(LIST_METHOD) as ListKind[]) void this.refresh(upstream, kind);
    };
    const onNotification = (m: { method: string }) => {
      // The server said its list changed: pass that on even if what we see looks the same.
      if (Object.hasOwn(LIST_CHANGED, m.method))
        for (const kind of LIST_CHANGED[m.method]!) void this.refresh(upstream, kind, true);
    };
    // A server that is down (crashed, restarting, waiting for a login, a handler whose backend is
    // gone) lists nothing until it is ready again; clients are told, as when it comes back.
    const onStatus = (status: UpstreamStatus) => {
      if (status.state === 'ready') return;
      const had = (Object.keys(entry.lists) as ListKind[]).filter((kind) => entry.lists[kind]?.length);
      // Still starting, it lists nothing yet and lists wait for it; down, it is not in them.
      if (status.state !== 'starting') for (const kind of owed.splice(0)) if (!had.includes(kind)) had.push(kind);
      entry.lists = {};
      for (const kind of had) this.emit('changed', upstream, kind);
    };
    upstream.on('ready', onReady);
    upstream.on('notification', onNotification);
    upstream.on('status', onStatus);
    if (upstream.info()) onReady();
    return () => {
      upstream.off('ready', onReady);
      upstream.off('notification', onNotification);
      upstream.off('status', onStatus);
      this.entries.delete(upstream);
    };
  }

  /**
   * The cached list, fetching it first when it is not known yet. Never throws: a failed fetch is an empty list plus an
   * error.
   */
  async list(upstream: Upstream, kind: ListKind): Promise<Item[]> {
    const entry = this.entries.get(upstream);
    if (!entry) return [];
    const known = entry.lists[kind];
    if (!known) return this.refresh(upstream, kind);
    // JSON handlers are asked on every list (their catalog can change at any time and they send
    // no list_changed; the upstream coalesces concurrent asks and applies its TTL), but a list does
    // not wait for the answer: a busy handler's discover queues behind its calls, and held every
    // client's list. What it says applies from the next list on, and a change is announced.
    if (upstream.kind.startsWith('handler-')) void this.refresh(upstream, kind);
    return known;
  }

  /** The read of a list under way now, if any (it never rejects). */
  reading(upstream: Upstream, kind: ListKind): Promise<Item[]> | undefined {
    return this.entries.get(upstream)?.loading[kind];
  }

  /** Synchronous view of what is cached (for routing lookups). */
  cached(upstream: Upstream, kind: ListKind): Item[] | undefined {
    return this.entries.get(upstream)?.lists[kind];
  }

  /** What the server named `server` listed when it last answered. */
  remembered(server: string, kind: ListKind): Item[] | undefined {
    return this.lastKnown.get(server)?.[kind];
  }

  /** Forgets the servers not in `servers` (removed from the config). */
  retainServers(servers: ReadonlySet<string>): void {
    for (const name of this.lastKnown.keys()) if (!servers.has(name)) this.lastKnown.delete(name);
  }

  /** What the last read of a list left out (list-items.ts), one line each: `tool "x" (why)`. */
  leftOut(upstream: Upstream, kind: ListKind): string[] {
    const faults = this.entries.get(upstream)?.leftOut[kind];
    return faults ? faults.split('\n') : [];
  }

  error(upstream: Upstream, kind: ListKind): string | undefined {
    return this.entries.get(upstream)?.errors[kind];
  }

  refresh(upstream: Upstream, kind: ListKind, announce = false): Promise<Item[]> {
    const entry = this.entries.get(upstream);
    if (!entry) return Promise.resolve([]);
    const inFlight = entry.loading[kind];
    if (inFlight) {
      // The server changed its list while it was being read: what comes back may be the old one,
      // so it is read once more afterwards (and the change passed on then).
      if (announce) entry.again[kind] = true;
      return inFlight;
    }
    const promise = this.fetchAll(upstream, kind)
      .then((fetched) => {
        // Down: nothing is known now, which is not the same as an empty list.
        if (fetched === undefined) return entry.lists[kind] ?? [];
        if (fetched.cut !== (entry.cut[kind] === true)) {
          entry.cut[kind] = fetched.cut;
          if (fetched.cut) this.emit('cut', upstream, kind, fetched.items.length);
        }
        // A handler is asked on every list and mostly says the same: checked again only when it did not.
        const raw = JSON.stringify([fetched.items, fetched.skipped]);
        const same = raw === entry.raw[kind] && entry.lists[kind] !== undefined;
        entry.raw[kind] = raw;
        const items = same ? entry.lists[kind]! : this.usable(upstream, kind, fetched, entry);
        const changed = announce || (!same && JSON.stringify(entry.lists[kind]) !== JSON.stringify(items));
        entry.lists[kind] = items;
        delete entry.errors[kind];
        let known = this.lastKnown.get(upstream.name);
        if (!known) this.lastKnown.set(upstream.name, (known = {}));
        known[kind] = items;
        if (changed) this.emit('changed', upstream, kind);
        return items;
      })
      .catch((err: unknown) => {
        const said = entry.errors[kind];
        entry.errors[kind] = errorMessage(err);
        if (entry.lists[kind] === undefined && said !== entry.errors[kind]) this.emit('failed', upstream, kind);
        return entry.lists[kind] ?? [];
      })
      .finally(() => {
        delete entry.loading[kind];
        if (entry.again[kind]) {
          delete entry.again[kind];
          void this.refresh(upstream, kind, true);
        }
      });
    entry.loading[kind] = promise;
    return promise;
  }

  /** The items clients can take (list-items.ts); what is left out is said once per change. */
  private usable(
    upstream: Upstream,
    kind: ListKind,
    fetched: { items: Item[]; skipped: string[] },
    entry: Entry,
  ): Item[] {
    const { items, leftOut: refused } = usableItems(kind, fetched.items);
    // What a JSON handler could not use of its discover answer is left out as well, said the same way.
    const leftOut = [...fetched.skipped, ...refused];
    const faults = leftOut.join('\n');
    if (faults !== (entry.leftOut[kind] ?? '')) {
      entry.leftOut[kind] = faults;
      if (leftOut.length) this.emit('left-out', upstream, kind, leftOut);
    }
    return items;
  }

  /** Every page's items (`cut`: MAX_PAGES were read and the server had more); undefined when the backend is down. */
  private async fetchAll(
    upstream: Upstream,
    kind: ListKind,
  ): Promise<{ items: Item[]; skipped: string[]; cut: boolean } | undefined> {
    const spec = LIST_METHOD[kind];
    // A backend that is down contributes nothing now; its 'ready' event refetches later.
    const info =
      upstream.info() ??
      (upstream.status().state === 'starting' ? await upstream.whenReady(STARTING_WAIT_MS) : undefined);
    if (!info) return undefined;
    if (!(spec.capability in info.capabilities)) return { items: [], skipped: [], cut: false };
    const items: Item[] = [];
    const skipped: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await upstream
        .request(spec.method, cursor === undefined ? {} : { cursor })
        .catch((err: unknown) => {
          // A server with resources need not list templates: "Method not found" says it has none (asked
          // as an error, the list would stay unknown and be asked for again).
          if (kind === 'resourceTemplates' && page === 0 && toRpcError(err).code === RpcCode.MethodNotFound)
            return {} as Record<string, unknown>;
          throw err;
        });
      const got = result[spec.key];
      // A backend's bad entry (null, a string) is skipped, never allowed to break the merged list.
      if (Array.isArray(got)) for (const item of got) if (isPlainObject(item)) items.push(item as Item);
      const meta = result._meta;
      const said = isPlainObject(meta) && upstream.kind.startsWith('handler-') ? meta[HANDLER_SKIPPED_META] : undefined;
      if (Array.isArray(said)) for (const line of said) if (typeof line === 'string') skipped.push(line);
      cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return { items, skipped, cut: cursor !== undefined };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
