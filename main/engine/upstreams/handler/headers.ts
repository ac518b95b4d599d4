/**
 * The headers of one handler request (handler contract, "Header forwarding"): the static headers
 * from config, then the client headers the server entry allows (upstreams/client-headers.ts
 * decides which). A configured header keeps its value unless the entry lets clients override
 * it. FastCGI gets `HTTP_*` params, so a header can never set a CGI control param
 * (SCRIPT_FILENAME, DOCUMENT_ROOT, PHP_VALUE, ...).
 */
import { DEFAULT_HANDLER_FORWARD } from '../../config/header-rules.ts';
import { ClientHeaderPolicy, joinValues, type ForwardRule, type HeaderList } from '../client-headers.ts';

export type { HeaderList } from '../client-headers.ts';

/** What a handler entry without forwardHeaders / overridableHeaders gets. */
export const DEFAULT_HANDLER_RULE: ForwardRule = { forwardHeaders: DEFAULT_HANDLER_FORWARD, overridableHeaders: [] };

/** [name, value, name, value, ...] as node's `IncomingMessage.rawHeaders` gives them. */
export function headerListFromRaw(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

interface Merged {
  /** As first written (static name, else the client's). */
  name: string;
  value: string;
}

/** Static headers, then the client's where the policy lets them in (replacing an overridable static one). */
function merge(
  staticHeaders: Readonly<Record<string, string>>,
  client: HeaderList | undefined,
  policy: ClientHeaderPolicy,
): Map<string, Merged> {
  const out = new Map<string, Merged>();
  for (const [name, value] of Object.entries(staticHeaders)) out.set(name.toLowerCase(), { name, value });
  for (const [lower, { name, values }] of policy.pick(client))
    out.set(lower, { name: out.get(lower)?.name ?? name, value: joinValues(values) });
  return out;
}

/** The policy for static headers and a rule; the transports build it once. */
export function handlerHeaderPolicy(
  staticHeaders: Readonly<Record<string, string>>,
  rule: ForwardRule = DEFAULT_HANDLER_RULE,
): ClientHeaderPolicy {
  return new ClientHeaderPolicy(rule, Object.keys(staticHeaders));
}

/** Request headers for an HTTP handler (the caller adds Content-Type and friends). */
export function httpHandlerHeaders(
  staticHeaders: Readonly<Record<string, string>>,
  client?: HeaderList,
  policy: ClientHeaderPolicy = handlerHeaderPolicy(staticHeaders),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value } of merge(staticHeaders, client, policy).values()) out[name] = value;
  return out;
}

/** `HTTP_*` params for a FastCGI handler: `X-Tenant: a` becomes `HTTP_X_TENANT=a`. */
export function fastcgiHeaderParams(
  staticHeaders: Readonly<Record<string, string>>,
  client?: HeaderList,
  policy: ClientHeaderPolicy = handlerHeaderPolicy(staticHeaders),
): [string, string][] {
  // Keyed by param: a static "X_Foo" and a client "X-Foo" are one param; the client's replaces it
  // only where the entry allows overriding X-Foo.
  const out = new Map<string, string>();
  for (const [lower, { value }] of merge(staticHeaders, client, policy)) {
    const param = `HTTP_${lower.toUpperCase().replaceAll('-', '_')}`;
    if (out.has(param) && !policy.overrides(lower)) continue;
    out.set(param, value);
  }
  return [...out];
}
