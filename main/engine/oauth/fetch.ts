/**
 * The fetch of a remote server with OAuth: every request carries the session's access token, and
 * an answer saying the token is missing, stale or too narrow (401, or 403 `insufficient_scope`)
 * is retried once with the token the session recovers. A second 401 means no renewal can help: the
 * server needs a login (oauth/session.ts refusedAgain); any other second refusal is the server's answer.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { OAuthSession } from './session.ts';

export function withOAuth(next: FetchLike, session: OAuthSession): FetchLike {
  return async (url, init) => {
    // Most remote servers never ask for a token: no await, no work on their path.
    const token = session.dormant() ? undefined : await session.accessToken();
    const first = await next(url, withBearer(init, token));
    const here = answeredHere(first, url);
    // The server itself took it (not a login page a redirect led to): a "needs login" is over.
    if (first.ok && here) session.accepted(token);
    if (!asksForToken(first) || !here || !session.answers(first)) return first;
    // Read the challenge before the body is let go: recover() needs its headers only.
    const recovered = session.recover(first, token);
    try {
      await first.body?.cancel();
    } catch {
      // A body that already broke off has nothing left to let go.
    }
    const token2 = await recovered;
    const second = await next(url, withBearer(init, token2));
    const secondHere = answeredHere(second, url);
    if (second.ok && secondHere) session.accepted(token2);
    // The new token is refused too: renewing cannot help (the server moved to another authorization server).
    if (second.status === 401 && secondHere && session.answers(second)) {
      const refused = session.refusedAgain(second, token2);
      try {
        await second.body?.cancel();
      } catch {
        // As above.
      }
      await refused;
    }
    return second;
  };
}

/**
 * Whether the answer came from the server itself, not from another origin a redirect led to: only
 * the server's own challenge may start a login, or say where its authorization server is.
 */
function answeredHere(response: Response, requested: string | URL): boolean {
  if (!response.url) return true;
  try {
    return new URL(response.url).origin === new URL(String(requested)).origin;
  } catch {
    return false;
  }
}

/** A refusal a token could answer: 401, or 403 with `insufficient_scope` (WebSocket handshakes too). */
export function asksForToken(response: Response): boolean {
  if (response.status === 401) return true;
  if (response.status !== 403) return false;
  return /\binsufficient_scope\b/.test(response.headers.get('www-authenticate') ?? '');
}

function withBearer(init: RequestInit | undefined, token: string | undefined): RequestInit | undefined {
  if (token === undefined) return init;
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}
