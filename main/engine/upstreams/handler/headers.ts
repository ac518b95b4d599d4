/**
 * Which HTTP headers of an MCP client reach a handler, and how (handler contract, "Header
 * forwarding"). Pure functions over the incoming header list.
 *
 * Dropped: hop-by-hop headers (RFC 7230 §6.1) and any header the client's `Connection` names;
 * `Host`; every `Content-*` (the body is ours); `Proxy` and `Proxy-*` (httpoxy); names with `_`
 * (CGI turns `-` into `_`, so `X_Foo` could pose as `X-Foo`); `Authorization` (a client's token
 * for Switchboard is never passed to a backend, security.md). Static headers from config come
 * first; a client value wins. FastCGI gets `HTTP_*` params, so a header can never set a CGI
 * control param (SCRIPT_FILENAME, DOCUMENT_ROOT, PHP_VALUE, ...).
 */

/** Headers as received: one [name, value] pair per line, names in any case, repeats allowed. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

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

const TOKEN = /^[!#$%&'*+.^`|~0-9A-Za-z-]+$/;

/** [name, value, name, value, ...] as node's `IncomingMessage.rawHeaders` gives them. */
export function headerListFromRaw(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Why a client header is not forwarded, or undefined when it is. */
export function droppedBecause(name: string, connectionNamed: ReadonlySet<string> = new Set()): string | undefined {
  const lower = name.toLowerCase();
  if (!TOKEN.test(name)) return name.includes('_') ? 'contains "_"' : 'not a valid header name';
  if (HOP_BY_HOP.has(lower)) return 'hop-by-hop';
  if (connectionNamed.has(lower)) return 'named in Connection';
  if (lower === 'host') return 'Host';
  if (lower.startsWith('content-')) return 'Content-*';
  if (lower === 'proxy' || lower.startsWith('proxy-')) return 'Proxy (httpoxy)';
  if (lower === 'authorization') return 'a client credential';
  return undefined;
}

interface Merged {
  /** As first written (static name, else the client's). */
  name: string;
  values: string[];
}

/** Static headers, then the forwardable client headers replacing them by name. */
function merge(staticHeaders: Readonly<Record<string, string>>, client: HeaderList | undefined): Map<string, Merged> {
  const out = new Map<string, Merged>();
  for (const [name, value] of Object.entries(staticHeaders)) out.set(name.toLowerCase(), { name, values: [value] });
  if (!client) return out;
  const connectionNamed = new Set<string>();
  for (const [name, value] of client) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) if (token.trim()) connectionNamed.add(token.trim().toLowerCase());
  }
  const fromClient = new Map<string, Merged>();
  for (const [name, value] of client) {
    if (droppedBecause(name, connectionNamed) !== undefined) continue;
    const lower = name.toLowerCase();
    const entry = fromClient.get(lower);
    if (entry) entry.values.push(value);
    else fromClient.set(lower, { name, values: [value] });
  }
  for (const [lower, entry] of fromClient)
    out.set(lower, { name: out.get(lower)?.name ?? entry.name, values: entry.values });
  return out;
}

function join(lower: string, values: string[]): string {
  // Cookie is the one request header whose values are joined with "; " (RFC 6265 §5.4).
  return values.join(lower === 'cookie' ? '; ' : ', ');
}

/** Request headers for an HTTP handler (the caller adds Content-Type and friends). */
export function httpHandlerHeaders(
  staticHeaders: Readonly<Record<string, string>>,
  client?: HeaderList,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [lower, { name, values }] of merge(staticHeaders, client)) out[name] = join(lower, values);
  return out;
}

/** `HTTP_*` params for a FastCGI handler: `X-Tenant: a` becomes `HTTP_X_TENANT=a`. */
export function fastcgiHeaderParams(
  staticHeaders: Readonly<Record<string, string>>,
  client?: HeaderList,
): [string, string][] {
  // Keyed by param: a static "X_Foo" and a client "X-Foo" are one param, and the client wins.
  const out = new Map<string, string>();
  for (const [lower, { values }] of merge(staticHeaders, client))
    out.set(`HTTP_${lower.toUpperCase().replaceAll('-', '_')}`, join(lower, values));
  return [...out];
}
