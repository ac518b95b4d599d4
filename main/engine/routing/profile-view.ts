/**
 * The merged catalog one client sees: every tool and prompt of the profile's servers under a
 * name that is valid and unique, every resource under a URI that routes back to exactly one
 * server. Collisions are disambiguated, never shadowed, and names never move (naming.ts).
 * A server that is not ready is not listed, but what it offered when it was last up still holds
 * its names and routes: a call for one of its tools says that server is unavailable instead of
 * reaching another server that would otherwise have been given the name.
 */
import type { Upstream } from '../upstreams/types.ts';
import { withJsonText } from '../protocol/json-text.ts';
import type { Catalog, Item, ListKind } from './catalog.ts';
import { compileFilter, type NameFilter } from './filters.ts';
import { fitName, nameKey, namespacedName, type NameBook, type NameClaim } from './naming.ts';
import { matchesTemplate } from './uri-template.ts';

export interface ViewMember {
  server: string;
  upstream: Upstream;
  tools?: NameFilter;
  prompts?: NameFilter;
}

export interface Route {
  server: string;
  upstream: Upstream;
  /** The name or URI the upstream knows. */
  original: string;
}

/** Prefix for resource URIs that two servers share, so each still routes to its own server. */
export const SHARED_URI_PREFIX = 'switchboard://resource/';

export const LIST_KINDS: readonly ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];

/** One member's lists: `listed` kinds are shown; the others (its last known lists) only hold names and routes. */
export interface MemberLists {
  member: ViewMember;
  lists: Record<ListKind, Item[]>;
  listed: Record<ListKind, boolean>;
}

/** Names given so far in one profile, per kind (tools and prompts are separate name spaces). */
export interface NameBooks {
  tools: NameBook;
  prompts: NameBook;
}

export interface ProfileViewData {
  tools: Item[];
  prompts: Item[];
  resources: Item[];
  resourceTemplates: Item[];
  toolRoutes: Map<string, Route>;
  promptRoutes: Map<string, Route>;
  resourceRoutes: Map<string, Route>;
  /** `prefix`: what a shared template was given in front (a uri matched by it loses it again upstream). */
  templateRoutes: { template: string; prefix: string; route: Route }[];
  /** upstream + original uri → exposed uri, for resources/updated. */
  exposedUri: Map<Upstream, Map<string, string>>;
  /** Servers whose lists were not known in time (still starting, or slow to list). */
  pending: string[];
}

type ListKey = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
const answers = new WeakMap<ProfileViewData, Partial<Record<ListKey, Record<string, unknown>>>>();

/**
 * The view's answer to a list request, made once per view with its JSON text (json-text.ts):
 * views are rebuilt when a list changes, never edited, so every client of the profile gets the
 * same answer without it being serialised again.
 */
export function listAnswer(view: ProfileViewData, key: ListKey): Record<string, unknown> {
  let made = answers.get(view);
  if (!made) answers.set(view, (made = {}));
  return (made[key] ??= withJsonText({ [key]: view[key] }));
}

export function buildProfileView(
  members: readonly MemberLists[],
  separator: string,
  books: NameBooks,
  pending: string[] = [],
): ProfileViewData {
  const ordered = [...members].sort((a, b) => (a.member.server < b.member.server ? -1 : 1));
  const view: ProfileViewData = {
    tools: [],
    prompts: [],
    resources: [],
    resourceTemplates: [],
    toolRoutes: new Map(),
    promptRoutes: new Map(),
    resourceRoutes: new Map(),
    templateRoutes: [],
    exposedUri: new Map(),
    pending,
  };

  addNamed(ordered, 'tools', separator, books.tools, view.tools, view.toolRoutes);
  addNamed(ordered, 'prompts', separator, books.prompts, view.prompts, view.promptRoutes);

  // Resources keep their URIs (clients and models quote them) unless two servers share one.
  const owners = countOwners(ordered, (lists) => lists.resources.map((r) => r.uri));
  const templateOwners = countOwners(ordered, (lists) => lists.resourceTemplates.map((t) => t.uriTemplate));
  for (const { member, lists, listed } of ordered) {
    const uriMap = new Map<string, string>();
    view.exposedUri.set(member.upstream, uriMap);
    for (const r of lists.resources) {
      if (typeof r.uri !== 'string' || uriMap.has(r.uri)) continue;
      const exposed =
        (owners.get(r.uri) ?? 0) > 1
          ? `${SHARED_URI_PREFIX}${encodeURIComponent(member.server)}/${encodeURIComponent(r.uri)}`
          : r.uri;
      uriMap.set(r.uri, exposed);
      view.resourceRoutes.set(exposed, { server: member.server, upstream: member.upstream, original: r.uri });
      if (listed.resources) view.resources.push(exposed === r.uri ? r : { ...r, uri: exposed });
    }
    for (const t of lists.resourceTemplates) {
      if (typeof t.uriTemplate !== 'string') continue;
      // A template two servers share is shown under each server's prefix, as a shared resource is;
      // it stays a template (not encoded), so what a client expands from it starts with the prefix.
      const prefix =
        (templateOwners.get(t.uriTemplate) ?? 0) > 1 ? `${SHARED_URI_PREFIX}${encodeURIComponent(member.server)}/` : '';
      const template = prefix + t.uriTemplate;
      view.templateRoutes.push({
        template,
        prefix,
        route: { server: member.server, upstream: member.upstream, original: t.uriTemplate },
      });
      if (listed.resourceTemplates) view.resourceTemplates.push(prefix ? { ...t, uriTemplate: template } : t);
    }
  }
  return view;
}

/** How many servers offer each key (a uri, a template): a server listing one twice counts once. */
function countOwners(
  ordered: readonly MemberLists[],
  keysOf: (lists: MemberLists['lists']) => unknown[],
): Map<string, number> {
  const owners = new Map<string, number>();
  for (const { lists } of ordered) {
    for (const key of new Set(keysOf(lists))) {
      if (typeof key === 'string') owners.set(key, (owners.get(key) ?? 0) + 1);
    }
  }
  return owners;
}

function addNamed(
  members: readonly MemberLists[],
  kind: 'tools' | 'prompts',
  separator: string,
  book: NameBook,
  out: Item[],
  routes: Map<string, Route>,
): void {
  const claims: NameClaim[] = [];
  const entries: { member: ViewMember; item: Item; original: string; listed: boolean }[] = [];
  for (const { member, lists, listed } of members) {
    const filter = compileFilter(member[kind]);
    for (const item of lists[kind]) {
      const original = item.name;
      if (typeof original !== 'string' || !filter.includes(original)) continue;
      const alias = filter.alias(original);
      const wanted =
        alias !== undefined
          ? fitName(alias, nameKey(member.server, original))
          : namespacedName(member.server, original, separator);
      claims.push({ server: member.server, original, wanted });
      entries.push({ member, item, original, listed: listed[kind] });
    }
  }
  const names = book.assign(claims);
  book.retain(new Set(members.map((m) => m.member.server)), new Set(names.keys()));
  for (const { member, item, original, listed } of entries) {
    const exposed = names.get(nameKey(member.server, original))!;
    // A backend that lists one name twice gets it once.
    if (routes.has(exposed)) continue;
    routes.set(exposed, { server: member.server, upstream: member.upstream, original });
    if (listed) out.push({ ...item, name: exposed });
  }
}

/** The name a tool is exposed under when nothing collides with it (for display). */
export function exposedToolName(
  server: string,
  original: string,
  filter: NameFilter | undefined,
  separator: string,
): string {
  const alias = compileFilter(filter).alias(original);
  return alias !== undefined ? fitName(alias, nameKey(server, original)) : namespacedName(server, original, separator);
}

/** Finds the server for a resource URI: listed resources first, then the most specific template that matches. */
export function routeResource(view: ProfileViewData, uri: string): Route | undefined {
  const direct = view.resourceRoutes.get(uri);
  if (direct) return direct;
  if (uri.startsWith(SHARED_URI_PREFIX)) {
    const rest = uri.slice(SHARED_URI_PREFIX.length);
    const slash = rest.indexOf('/');
    const server = slash === -1 ? undefined : decoded(rest.slice(0, slash));
    // Listed percent-encoded; also taken as written (`…/fx/fixture://fx/about`, as a shared template's
    // uris are): an encoded uri has no ':' left in it, a written one has its scheme's.
    const inner = rest.slice(slash + 1);
    const original = inner.includes(':') ? inner : decoded(inner);
    for (const route of view.resourceRoutes.values()) {
      if (route.server === server && route.original === original) return route;
    }
  }
  // Of the templates that match, the most specific (the most fixed text: `file:///notes/{n}` before
  // `file:///{+path}`), else the first in server order.
  let best: { literal: number; route: Route } | undefined;
  for (const { template, prefix, route } of view.templateRoutes) {
    if (!matchesTemplate(template, uri)) continue;
    const literal = template.replace(/\{[^}]*\}/g, '').length;
    if (!best || literal > best.literal) best = { literal, route: { ...route, original: uri.slice(prefix.length) } };
  }
  return best?.route;
}

/** A uri part decoded; a client's malformed escape (`%E0%A4`) matches nothing instead of throwing. */
function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export interface Gathered {
  lists: MemberLists[];
  /** Members whose lists were not all known by the deadline (still starting, or slow to answer a list). */
  late: ViewMember[];
}

/** A member's lists as known now: those not known yet are its last known ones, which hold names but are not shown. */
export function knownLists(member: ViewMember, catalog: Catalog): MemberLists {
  const lists = {} as Record<ListKind, Item[]>;
  const listed = {} as Record<ListKind, boolean>;
  for (const kind of LIST_KINDS) {
    const cached = catalog.cached(member.upstream, kind);
    listed[kind] = cached !== undefined;
    lists[kind] = cached ?? catalog.remembered(member.server, kind) ?? [];
  }
  return { member, lists, listed };
}

/**
 * Each member's lists, waiting at most `waitMs` (members for which `impatient` is true: not at
 * all) for those not known yet. What is not known by then is left out of the listing; its last
 * known lists still hold names and routes.
 */
export async function gatherLists(
  members: readonly ViewMember[],
  catalog: Catalog,
  waitMs: number,
  impatient: (member: ViewMember) => boolean = () => false,
): Promise<Gathered> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
  // Lists already cached resolve within a few microtasks: a macrotask later they are in.
  const now = new Promise<false>((resolve) => setImmediate(() => resolve(false)));
  try {
    const results = await Promise.all(
      members.map(async (member) => {
        const fetching = Promise.all(LIST_KINDS.map((k) => catalog.list(member.upstream, k))).then(() => true);
        const done = await Promise.race([fetching, impatient(member) ? now : deadline]);
        return { entry: knownLists(member, catalog), late: !done };
      }),
    );
    return { lists: results.map((r) => r.entry), late: results.filter((r) => r.late).map((r) => r.entry.member) };
  } finally {
    clearTimeout(timer);
  }
}
