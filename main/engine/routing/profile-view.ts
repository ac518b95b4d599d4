/**
 * The merged catalog one client sees: every tool and prompt of the profile's servers under a
 * name that is valid and unique, every resource under a URI that routes back to exactly one
 * server. Collisions are disambiguated, never shadowed.
 */
import type { Upstream } from '../upstreams/types.ts';
import type { Catalog, Item, ListKind } from './catalog.ts';
import { compileFilter, type NameFilter } from './filters.ts';
import { disambiguatedName, fitName, namespacedName } from './naming.ts';
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

export interface ProfileViewData {
  tools: Item[];
  prompts: Item[];
  resources: Item[];
  resourceTemplates: Item[];
  toolRoutes: Map<string, Route>;
  promptRoutes: Map<string, Route>;
  resourceRoutes: Map<string, Route>;
  templateRoutes: { template: string; route: Route }[];
  /** upstream + original uri → exposed uri, for resources/updated. */
  exposedUri: Map<Upstream, Map<string, string>>;
}

export async function buildProfileView(
  members: ViewMember[],
  catalog: Catalog,
  separator: string,
): Promise<ProfileViewData> {
  const ordered = [...members].sort((a, b) => a.server.localeCompare(b.server));
  const lists = await Promise.all(
    ordered.map(async (m) => {
      const [tools, prompts, resources, resourceTemplates] = await Promise.all(
        (['tools', 'prompts', 'resources', 'resourceTemplates'] as ListKind[]).map((k) => catalog.list(m.upstream, k)),
      );
      return {
        member: m,
        tools: tools!,
        prompts: prompts!,
        resources: resources!,
        resourceTemplates: resourceTemplates!,
      };
    }),
  );

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
  };

  for (const { member, tools, prompts } of lists) {
    addNamed(member, tools, member.tools, separator, view.tools, view.toolRoutes);
    addNamed(member, prompts, member.prompts, separator, view.prompts, view.promptRoutes);
  }

  // Resources keep their URIs (clients and models quote them) unless two servers share one.
  const owners = new Map<string, number>();
  for (const { resources } of lists) {
    for (const r of resources) if (typeof r.uri === 'string') owners.set(r.uri, (owners.get(r.uri) ?? 0) + 1);
  }
  for (const { member, resources, resourceTemplates } of lists) {
    const uriMap = new Map<string, string>();
    view.exposedUri.set(member.upstream, uriMap);
    for (const r of resources) {
      if (typeof r.uri !== 'string') continue;
      const exposed =
        (owners.get(r.uri) ?? 0) > 1
          ? `${SHARED_URI_PREFIX}${encodeURIComponent(member.server)}/${encodeURIComponent(r.uri)}`
          : r.uri;
      uriMap.set(r.uri, exposed);
      view.resourceRoutes.set(exposed, { server: member.server, upstream: member.upstream, original: r.uri });
      view.resources.push(exposed === r.uri ? r : { ...r, uri: exposed });
    }
    for (const t of resourceTemplates) {
      if (typeof t.uriTemplate !== 'string') continue;
      view.templateRoutes.push({
        template: t.uriTemplate,
        route: { server: member.server, upstream: member.upstream, original: t.uriTemplate },
      });
      view.resourceTemplates.push(t);
    }
  }
  return view;
}

function addNamed(
  member: ViewMember,
  items: Item[],
  filterConfig: NameFilter | undefined,
  separator: string,
  out: Item[],
  routes: Map<string, Route>,
): void {
  const filter = compileFilter(filterConfig);
  for (const item of items) {
    const original = item.name;
    if (typeof original !== 'string' || !filter.includes(original)) continue;
    const alias = filter.alias(original);
    let exposed = alias !== undefined ? fitName(alias) : namespacedName(member.server, original, separator);
    if (routes.has(exposed)) exposed = disambiguatedName(exposed, member.server, original);
    routes.set(exposed, { server: member.server, upstream: member.upstream, original });
    out.push({ ...item, name: exposed });
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
  return alias !== undefined ? fitName(alias) : namespacedName(server, original, separator);
}

/** Finds the server for a resource URI: listed resources first, then templates, in server order. */
export function routeResource(view: ProfileViewData, uri: string): Route | undefined {
  const direct = view.resourceRoutes.get(uri);
  if (direct) return direct;
  if (uri.startsWith(SHARED_URI_PREFIX)) {
    const [server, encoded] = uri.slice(SHARED_URI_PREFIX.length).split('/');
    const original = encoded === undefined ? undefined : decodeURIComponent(encoded);
    for (const route of view.resourceRoutes.values()) {
      if (route.server === decodeURIComponent(server ?? '') && route.original === original) return route;
    }
  }
  for (const { template, route } of view.templateRoutes) {
    if (matchesTemplate(template, uri)) return { ...route, original: uri };
  }
  return undefined;
}
