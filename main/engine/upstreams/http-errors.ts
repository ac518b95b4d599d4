/**
 * Words for HTTP and network failures of a remote MCP server. Messages name the URL without
 * userinfo, query or fragment (those can carry tokens) and never include header values.
 */
import { displayUrl } from '../egress/network-errors.ts';
import { htmlGist, isHtml } from '../egress/html-gist.ts';
import { describeRetryAfter } from './retry-after.ts';

/**
 * An HTTP error status as a short phrase, with the server's own explanation when it gave a short one,
 * and the wait it asked for (Retry-After, in ms).
 */
export function describeHttpFailure(status: number, url: string | URL, body?: string, retryAfterMs?: number): string {
  let text = `HTTP ${status} from ${displayUrl(url)}`;
  const hint = bodyHint(body);
  const page = hint === undefined && body !== undefined && isHtml(body) ? htmlGist(body) : '';
  if (hint) text += `: ${hint}`;
  // An error page says what went wrong ("502 Bad Gateway: nginx"): a proxy's, or the server's own.
  else if (page) text += ` (an HTML page: ${page})`;
  // Whether credentials went with it is not known here: the hint fits both.
  if (status === 401) text += ' (it wants credentials: a key or token in a header of its entry, or an OAuth login)';
  if (status === 403) text += ' (it refuses access with the credentials sent, or to this address)';
  if (retryAfterMs !== undefined) text += `; ${describeRetryAfter(retryAfterMs)}`;
  else if (status === 429) text += ' (too many requests: it limits how often it may be called)';
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
