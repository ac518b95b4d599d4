/**
 * Words for HTTP and network failures of a remote MCP server. Messages name the URL without
 * userinfo, query or fragment (those can carry tokens) and never include header values.
 */
import { EGRESS_REFUSED } from '../egress/connector.ts';
import { GatewayError } from '../protocol/errors.ts';
import { htmlGist } from './html-gist.ts';

/** The URL as shown in messages: scheme, host, port and path only. */
export function displayUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const NETWORK_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
};

const UNKNOWN_ISSUER =
  "the server's certificate comes from a certificate authority this computer does not trust (or the server " +
  'leaves out its intermediate certificate)';

/**
 * TLS failures as a user can act on them. Node words some for its own command line ("try running
 * Node.js with --use-system-ca"), others not at all (a bare OpenSSL code).
 */
const TLS_TEXT: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed, and this computer does not trust it",
  SELF_SIGNED_CERT_IN_CHAIN: UNKNOWN_ISSUER,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNKNOWN_ISSUER,
  UNABLE_TO_GET_ISSUER_CERT: UNKNOWN_ISSUER,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNKNOWN_ISSUER,
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet (is this computer's clock right?)",
  CERT_REVOKED: "the server's certificate has been revoked",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is for another host name",
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on that port (is the address http://, not https://?)',
};

/** Whether an error code is a TLS failure: a certificate refused, or no TLS handshake at all. */
export function isTlsCode(code: string): boolean {
  return code in TLS_TEXT || /CERT|SSL|TLS/.test(code);
}

/** Whether a TLS failure is the certificate's (not, say, a port without TLS). */
export function isCertificateCode(code: string): boolean {
  return /CERT|ISSUER|SIGNATURE/.test(code);
}

/** A TLS failure in words, its code kept for a search: `the server's certificate has expired; CERT_HAS_EXPIRED`. */
export function describeTlsFailure(code: string): string {
  return `TLS: ${TLS_TEXT[code] ?? 'the secure connection could not be set up'}; ${code}`;
}

/** Codes meaning no connection was ever made, so nothing we sent can have arrived. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  EGRESS_REFUSED,
]);

/**
 * The innermost error code in a fetch failure (`TypeError: fetch failed` wraps the socket error, sometimes in an
 * AggregateError).
 */
function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const errors = (current as { errors?: unknown }).errors;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function innermostMessage(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    message = current.message || message;
    current = current.cause;
  }
  return message;
}

/** The egress policy's own words (the innermost error carrying its code). */
function egressReason(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if ((current as { code?: unknown }).code === EGRESS_REFUSED) return current.message;
    current = current.cause;
  }
  return innermostMessage(err);
}

/** Whether a failure is the network's (a fetch that got no HTTP response: refused, reset, no such host, TLS). */
export function isNetworkFailure(err: unknown): boolean {
  return !(err instanceof GatewayError) && networkCode(err) !== undefined;
}

/** Whether a fetch failure means no connection was ever made (refused, no such host, TLS refused). */
export function neverConnected(err: unknown): boolean {
  const code = networkCode(err);
  return code !== undefined && (NEVER_CONNECTED.has(code) || isTlsCode(code));
}

/** A fetch that threw (no HTTP response at all), as e.g. `cannot connect to http://h/mcp (connection refused)`. */
export function describeNetworkFailure(err: unknown, url: string | URL): string {
  const code = networkCode(err);
  const shown = displayUrl(url);
  if (code === EGRESS_REFUSED) return `refused to connect to ${shown}: ${egressReason(err)}`;
  if (code && isTlsCode(code)) return `cannot connect to ${shown} (${describeTlsFailure(code)})`;
  const text = code ? (NETWORK_TEXT[code] ?? `${innermostMessage(err)}`) : innermostMessage(err);
  return code && NEVER_CONNECTED.has(code)
    ? `cannot connect to ${shown} (${text})`
    : `lost the connection to ${shown} (${text})`;
}

/** An HTTP error status as a short phrase, with the server's own explanation when it gave a short one. */
export function describeHttpFailure(status: number, url: string | URL, body?: string): string {
  let text = `HTTP ${status} from ${displayUrl(url)}`;
  const hint = bodyHint(body);
  const page = hint === undefined && body !== undefined && isHtml(body) ? htmlGist(body) : '';
  if (hint) text += `: ${hint}`;
  // An error page says what went wrong ("502 Bad Gateway: nginx"): a proxy's, or the server's own.
  else if (page) text += ` (an HTML page: ${page})`;
  // Whether credentials went with it is not known here: the hint fits both.
  if (status === 401) text += ' (it wants credentials: a key or token in a header of its entry, or an OAuth login)';
  if (status === 403) text += ' (it refuses access with the credentials sent, or to this address)';
  return text;
}

/**
 * A success that is a web page, not MCP: the URL is a site's (its docs, a page that answers every
 * path) or a login page a proxy put in the way, rather than the server's MCP endpoint.
 */
export function describeWebPage(url: string | URL, body: string | undefined): string {
  const page = body === undefined ? '' : htmlGist(body);
  return (
    `${displayUrl(url)} answered with an HTML page${page ? ` (${page})` : ''}, not MCP: is that the server's MCP ` +
    'address? (a login page or a proxy in the way answers like this too)'
  );
}

/** Whether a body is markup (an error page, a site's page), by its start. */
export function isHtml(body: string): boolean {
  return /^\s*</.test(body);
}

/**
 * A redirect the SDK's transport did not follow: one to another origin (it follows those within
 * the server's origin only, so the entry's headers and the session never go to another server),
 * or one that would turn the POST into a GET. Says where it leads, so the entry can be changed.
 */
export function describeRedirect(status: number, url: string | URL, location: string): string {
  let origin: string | undefined;
  try {
    origin = new URL(location).origin;
  } catch {
    return `HTTP ${status} from ${displayUrl(url)}: a redirect to an address that is not valid`;
  }
  const text = `HTTP ${status} from ${displayUrl(url)}: it moved to ${displayUrl(location)}`;
  return origin === new URL(url).origin
    ? `${text}, with a redirect that would turn the request into a GET: put that URL in the entry`
    : `${text}, another origin, where requests are not followed (the server's headers and session belong to ` +
        'this one): if that is the server, put its URL in the entry';
}

/** The JSON-RPC error message from an error body, or its plain text if short; nothing for HTML pages. */
export function bodyHint(body: string | undefined): string | undefined {
  if (!body) return undefined;
  const trimmed = body.trim();
  if (trimmed === '' || trimmed.startsWith('<')) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
    if (typeof message === 'string' && message !== '') return clip(message);
    return undefined;
  } catch {
    return clip(trimmed);
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}
