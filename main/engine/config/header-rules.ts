/**
 * Which HTTP headers of an MCP client may be passed on to a backend (JSON handlers and remote MCP
 * servers): only names the server entry allows (`forwardHeaders`), and never the ones below,
 * whatever it says. A header the entry sets itself (`headers`) keeps its configured value unless
 * the entry lets clients replace it (`overridableHeaders`). Shared by validation (config errors)
 * and the upstreams (upstreams/client-headers.ts).
 */

/**
 * Client headers a JSON handler gets when its entry has no `forwardHeaders`: what describes the
 * client (language, user agent, trace context) and carries no credential or routing authority.
 */
export const DEFAULT_HANDLER_FORWARD = ['Accept-Language', 'User-Agent', 'traceparent', 'tracestate'] as const;

/** Remote MCP servers are third parties: nothing of the client's reaches them unless the entry says so. */
export const DEFAULT_REMOTE_FORWARD = [] as const;

/** `forwardHeaders: ["*"]`: every client header except the never-forwarded ones. */
export const FORWARD_ALL = '*';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** Headers Switchboard negotiates with the backend itself. */
const OURS = new Set(['accept', 'accept-encoding', 'expect', 'last-event-id']);

const TOKEN = /^[!#$%&'*+.^`|~0-9A-Za-z-]+$/;

/** Why a client header is never passed on, or undefined when a server entry may allow it. */
export function neverForwarded(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name))
    return name.includes('_') ? 'its name contains "_", which CGI would read as "-"' : 'not a valid header name';
  if (HOP_BY_HOP.has(lower)) return 'a hop-by-hop header, meant for Switchboard alone';
  if (lower === 'host') return 'Host names Switchboard, not the backend';
  if (lower.startsWith('content-')) return 'Content-* describe the body, which Switchboard writes';
  if (lower === 'proxy' || lower.startsWith('proxy-')) return 'Proxy headers are an attack on CGI (httpoxy)';
  if (lower === 'authorization') return "the client's credential for Switchboard, never a backend's";
  if (lower === 'cookie') return "the client's cookies for Switchboard, never a backend's";
  if (lower.startsWith('mcp-')) return "the client's MCP session with Switchboard (ids, versions)";
  if (OURS.has(lower)) return 'Switchboard sets it for the backend itself';
  return undefined;
}
