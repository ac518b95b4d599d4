/**
 * Resources a tool's or a prompt's result points at (resource_link and embedded resource blocks).
 * Such a uri need not be listed (the spec says so), and in a profile of several servers nothing
 * else says which server it belongs to: the server whose result named it is remembered for the
 * session, so the client can read it. A uri the profile had to rename (two servers list it, or
 * share the template it matches) is given to the client under the name it lists.
 */
import { SHARED_URI_PREFIX } from './profile-view.ts';

/** Links remembered per session, at most: the oldest go first. */
export const MAX_LINKS_PER_SESSION = 1000;

type Block = Record<string, unknown>;

/** The uri a content block points at, or undefined. */
function uriOf(block: unknown): string | undefined {
  if (typeof block !== 'object' || block === null) return undefined;
  const b = block as Block;
  if (b.type === 'resource_link' && typeof b.uri === 'string') return b.uri;
  const resource = b.resource as Block | undefined;
  if (b.type === 'resource' && typeof resource?.uri === 'string') return resource.uri;
  return undefined;
}

/** The block pointing at `uri` instead (a copy: the result may also be held by the traffic record). */
function pointedAt(block: Block, uri: string): Block {
  return block.type === 'resource_link'
    ? { ...block, uri }
    : { ...block, resource: { ...(block.resource as Block), uri } };
}

/**
 * Remembers in `known` (uri → server) the links in a tools/call or prompts/get `result` from
 * `server` that the profile cannot route to it otherwise; returns the result with links to renamed
 * uris under their listed name. For a result that has a link (hasLink).
 */
export function noteResultLinks(
  result: Record<string, unknown>,
  server: string,
  known: Map<string, string>,
  profile: {
    /** The server a uri is listed for, exactly as written (a renamed one under its new name). */
    listedFor(uri: string): string | undefined;
    /** The server a uri the client sends is routed to (listed, or by a template). */
    routeOf(uri: string): string | undefined;
  },
): Record<string, unknown> {
  let renamed = false;
  const visit = (block: unknown): unknown => {
    const uri = uriOf(block);
    if (uri === undefined) return block;
    const shared = `${SHARED_URI_PREFIX}${encodeURIComponent(server)}/${encodeURIComponent(uri)}`;
    if (profile.listedFor(shared) === server) {
      renamed = true;
      return pointedAt(block as Block, shared);
    }
    const routed = profile.routeOf(uri);
    // Matched by a template the profile had to prefix (two servers share it): named with the prefix.
    const templated = `${SHARED_URI_PREFIX}${encodeURIComponent(server)}/${uri}`;
    if (routed !== server && profile.routeOf(templated) === server) {
      renamed = true;
      return pointedAt(block as Block, templated);
    }
    if (routed !== server) {
      known.delete(uri);
      known.set(uri, server);
      if (known.size > MAX_LINKS_PER_SESSION) known.delete(known.keys().next().value!);
    }
    return block;
  };
  const content = Array.isArray(result.content) ? result.content.map(visit) : undefined;
  const messages = Array.isArray(result.messages)
    ? result.messages.map((m: unknown) => {
        if (typeof m !== 'object' || m === null) return m;
        const before = (m as Block).content;
        const after = visit(before);
        return after === before ? m : { ...(m as Block), content: after };
      })
    : undefined;
  if (!renamed) return result;
  return { ...result, ...(content ? { content } : {}), ...(messages ? { messages } : {}) };
}

/** Whether any block of the result points at a resource (most results: none; ask before noteResultLinks). */
export function hasLink(result: Record<string, unknown>): boolean {
  if (Array.isArray(result.content) && result.content.some((b) => uriOf(b) !== undefined)) return true;
  return (
    Array.isArray(result.messages) &&
    result.messages.some((m: unknown) => uriOf((m as { content?: unknown } | null)?.content) !== undefined)
  );
}
