/**
 * Words for HTTP and network failures of a remote MCP server. Messages name the URL without
 * userinfo, query or fragment (those can carry tokens) and never include header values.
 */
import { EGRESS_REFUSED } from '../egress/connector.ts';

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

/** Whether a fetch failure means no connection was ever made (refused, no such host, TLS rejected). */
export function neverConnected(err: unknown): boolean {
  const code = networkCode(err);
  return code !== undefined && (NEVER_CONNECTED.has(code) || /CERT|SSL|TLS/.test(code));
}

/** A fetch that threw (no HTTP response at all), as e.g. `cannot connect to http://h/mcp (connection refused)`. */
export function describeNetworkFailure(err: unknown, url: string | URL): string {
  const code = networkCode(err);
  const shown = displayUrl(url);
  if (code === EGRESS_REFUSED) return `refused to connect to ${shown}: ${egressReason(err)}`;
  if (code && /CERT|SSL|TLS/.test(code)) return `cannot connect to ${shown} (TLS certificate problem: ${code})`;
  const text = code ? (NETWORK_TEXT[code] ?? `${innermostMessage(err)}`) : innermostMessage(err);
  return code && NEVER_CONNECTED.has(code)
    ? `cannot connect to ${shown} (${text})`
    : `lost the connection to ${shown} (${text})`;
}

/** An HTTP error status as a short phrase, with the server's own explanation when it gave a short one. */
export function describeHttpFailure(status: number, url: string | URL, body?: string): string {
  let text = `HTTP ${status} from ${displayUrl(url)}`;
  const hint = bodyHint(body);
  if (hint) text += `: ${hint}`;
  // Whether credentials went with it is not known here: the hint fits both.
  if (status === 401) text += ' (it wants credentials: a key or token in a header of its entry, or an OAuth login)';
  if (status === 403) text += ' (it refuses access with the credentials sent, or to this address)';
  return text;
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
