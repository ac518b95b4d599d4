/**
 * Words for failures to reach a remote address (no HTTP response: refused, no such host, TLS, the
 * egress policy), shared by remote MCP servers, handlers and OAuth. Messages name the URL without
 * userinfo, query or fragment (those can carry tokens).
 */
import { GatewayError } from '../protocol/errors.ts';
import { fetchPortRefusal } from './bad-ports.ts';
import { EGRESS_REFUSED } from './connector.ts';

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

const BAD_PORT_ELSEWHERE =
  'it led to a port web requests never connect to, one of the Fetch standard\'s "bad ports" (mail, X11, IRC, SIP ...)';

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
  // fetch refuses some ports before dialling, with no code: the config's check cannot see a port from ${env:…},
  // nor one a redirect or an authorization server's metadata leads to.
  if (!code && innermostMessage(err) === 'bad port')
    return `cannot connect to ${shown} (${fetchPortRefusal(new URL(url)) ?? BAD_PORT_ELSEWHERE})`;
  const text = code ? (NETWORK_TEXT[code] ?? `${innermostMessage(err)}`) : innermostMessage(err);
  return code && NEVER_CONNECTED.has(code)
    ? `cannot connect to ${shown} (${text})`
    : `lost the connection to ${shown} (${text})`;
}
