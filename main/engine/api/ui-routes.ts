/**
 * The web UI in headless mode: the built renderer served under /ui on the client listener, and
 * its login. A browser page does not hold the API's token, so the gateway prints a one-time login
 * link (`/ui/#login=CODE`, the code in the fragment so it never reaches a request line or a log);
 * the page trades the code for a session secret, kept in the page's sessionStorage (its origin
 * only) and sent as `Authorization: Bearer` on /api. Never a cookie: browsers send cookies to
 * every port of 127.0.0.1, so any other program listening there would get it. For the same
 * reason a session holds only at the port it was opened on: after the listener moves, the page
 * left at the old address keeps sending its secret there, to whatever took that port. Codes last
 * ten minutes and work once; a session lasts until it is logged out, goes unused for 12 hours, or
 * the gateway stops (the API token is made once per run, so it never changes under a session), and
 * what it holds open (its event streams) ends with it. A logged-in page may ask for a link too (to
 * continue at a new port); the session that opens belongs to the same login, and Log out ends every
 * session of a login, so a copied secret cannot make itself a login that outlives it. Only this
 * machine is answered (the Host/Origin guard has also run before any of this).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { checkJsonContentType, readBody } from '../downstream/http-guard.ts';
import { sendJson } from '../downstream/streamable-http.ts';
import { isLoopbackHost } from '../egress/user-url.ts';

export const UI_PREFIX = '/ui';
const LOGIN_PATH = `${UI_PREFIX}/login`;
/** POST with the API's bearer token: a new login link (`switchboard ui`). */
const NEW_LINK_PATH = `${UI_PREFIX}/login-link`;
/** POST with a session's bearer secret: that session ends (the page's Log out). */
const LOGOUT_PATH = `${UI_PREFIX}/logout`;
const CODE_TTL_MS = 10 * 60 * 1000;
/** A session unused this long is over. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Codes waiting to be used and sessions kept, at most: the oldest code, the longest unused session go first. */
const MAX_CODES = 32;
const MAX_SESSIONS = 64;
/** A login's body is `{"code": "..."}`, some 50 bytes. */
const MAX_LOGIN_BYTES = 4096;

/**
 * Our own scripts and styles only (no inline script, no eval), the API on this origin, no frames.
 * Styles set from script (element.style) are allowed by CSP; style attributes are not used.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Why /ui and /api refuse another machine. */
export const LOCAL_ONLY =
  'the web UI and the control API answer on this machine only; from another one, reach them through ' +
  'an SSH tunnel (ssh -L)';

/** The file types a renderer build has (anything else is not served). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The token of `Authorization: Bearer <token>`, if the request has one. */
export function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** Why /api refuses a web UI session sent to another port than the one it was opened on. */
export const OTHER_PORT =
  'a web UI login holds only at the address it was made at (this one was made at another port, so it may ' +
  'have been sent to another program since: it is ended); run "switchboard ui" for a login link here';

/** What a request's bearer token is to the web UI's sessions. */
export type SessionCheck = 'admitted' | 'other-port' | 'unknown';

export interface UiSessionsOptions {
  /** A session unused this long is over. Default 12 hours (SESSION_IDLE_MS). */
  idleMs?: number;
  /**
   * A session ended, however (logged out, unused too long, sent to another port, pushed out by newer
   * ones): the SHA-256 digest of its secret in hex, so that what it holds open ends with it.
   */
  onEnded?: (secretDigest: string) => void;
}

/** Longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A session: when it was last used, the port it was opened on, and its login (the digest of the first
 * session a link from `switchboard ui` opened; the sessions opened with links their pages asked for share it).
 */
interface Session {
  used: number;
  port: number | undefined;
  login: string;
}

/** Login codes and the sessions they opened, in memory. */
export class UiSessions {
  /** Digests of the codes: when each expires, and the login it continues (made by a logged-in page). */
  private readonly codes = new Map<string, { expires: number; login: string | undefined }>();
  /** By the digests of their secrets (never the secrets), in the order of last use, the longest unused first. */
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;
  private readonly idleMs: number;
  private readonly onEnded: ((secretDigest: string) => void) | undefined;
  /** Wakes when the longest unused session would run out, to end it (and its streams) then. */
  private expiry: NodeJS.Timeout | undefined;

  constructor(now: () => number = Date.now, options: UiSessionsOptions = {}) {
    this.now = now;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.onEnded = options.onEnded;
  }

  /**
   * A new one-time login code, valid for ten minutes; made for a logged-in page (`madeFor`, the request
   * carrying its secret), the session it opens belongs to that page's login.
   */
  newCode(madeFor?: IncomingMessage): string {
    const code = randomBytes(24).toString('base64url');
    const login = madeFor && this.sessionOf(madeFor)?.login;
    this.codes.set(digest(code).toString('hex'), { expires: this.now() + CODE_TTL_MS, login });
    while (this.codes.size > MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    return code;
  }

  /**
   * Uses a code up: the session secret it opens, valid at `port` (the listener's port the code came
   * in on) only, or undefined for an unknown, used or expired code.
   */
  redeem(code: string, port: number | undefined): string | undefined {
    const key = digest(code).toString('hex');
    const made = this.codes.get(key);
    this.codes.delete(key);
    if (made === undefined || made.expires < this.now()) return undefined;
    const secret = randomBytes(32).toString('base64url');
    const session = digest(secret).toString('hex');
    this.sessions.set(session, { used: this.now(), port, login: made.login ?? session });
    while (this.sessions.size > MAX_SESSIONS) this.drop(this.sessions.keys().next().value!);
    this.watchExpiry();
    return secret;
  }

  /**
   * Whether the request carries (as its bearer token) the secret of a live session opened here.
   * Looked up by its SHA-256 digest: how long the lookup takes says nothing about the secret.
   */
  admits(req: IncomingMessage): boolean {
    return this.check(req) === 'admitted';
  }

  /**
   * As `admits`, saying also when the secret is a live session's but came in on another port: it
   * has left the page it was given to (see the module's comment), so that session is ended.
   */
  check(req: IncomingMessage): SessionCheck {
    const secret = bearerOf(req);
    if (secret === undefined) return 'unknown';
    const key = digest(secret).toString('hex');
    const session = this.sessions.get(key);
    if (session === undefined) return 'unknown';
    if (this.now() - session.used > this.idleMs) {
      this.drop(key);
      return 'unknown';
    }
    if (session.port !== req.socket.localPort) {
      this.drop(key);
      return 'other-port';
    }
    this.sessions.delete(key);
    // Kept in the order of last use, so the one evicted past MAX_SESSIONS is the longest unused, not the first
    // opened (a tab in use all day, while others were opened and left since).
    this.sessions.set(key, { ...session, used: this.now() });
    return 'admitted';
  }

  /**
   * Logs out: ends the session whose secret the request carries (at whichever port), every other session of its
   * login and the codes its pages asked for; whether there was one.
   */
  end(req: IncomingMessage): boolean {
    const session = this.sessionOf(req);
    if (session === undefined) return false;
    for (const [key, made] of this.codes) if (made.login === session.login) this.codes.delete(key);
    for (const [key, other] of this.sessions) if (other.login === session.login) this.drop(key);
    return true;
  }

  /** The session whose secret the request carries, live or not yet found out to be over. */
  private sessionOf(req: IncomingMessage): Session | undefined {
    const secret = bearerOf(req);
    return secret === undefined ? undefined : this.sessions.get(digest(secret).toString('hex'));
  }

  private drop(key: string): boolean {
    if (!this.sessions.delete(key)) return false;
    this.onEnded?.(key);
    return true;
  }

  /**
   * Ends the sessions unused for too long when they run out, not only when next presented: an event
   * stream opened with one asks nothing more of it.
   */
  private watchExpiry(): void {
    if (this.expiry !== undefined) return;
    const oldest = this.sessions.values().next().value;
    if (oldest === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, oldest.used + this.idleMs - this.now() + 1));
    this.expiry = setTimeout(() => {
      this.expiry = undefined;
      for (const [key, session] of this.sessions) {
        if (this.now() - session.used <= this.idleMs) break;
        this.drop(key);
      }
      this.watchExpiry();
    }, delay);
    // A gateway that stops has no sessions left to end.
    this.expiry.unref();
  }
}

/** Whether a peer address is this machine (127/8, ::1, IPv4-mapped 127/8). */
export function isLoopbackPeer(address: string | undefined): boolean {
  return address !== undefined && isLoopbackHost(address);
}

/** The two ends of a connection (a net.Socket). */
type Peer = { remoteAddress?: string | undefined; localAddress?: string | undefined };

/**
 * Whether a connection comes from this machine: from a loopback address, or from the very address
 * it reached (a browser or `switchboard ui` here dialling the listener's LAN address, an `ssh -L`
 * forward to it). Only this machine can open a TCP connection whose source is one of its own
 * addresses: the answer to a forged one goes back to this machine, never to the forger.
 */
export function isLocalPeer(socket: Peer): boolean {
  const remote = socket.remoteAddress;
  return isLoopbackPeer(remote) || (remote !== undefined && remote === socket.localAddress);
}

export function isUiPath(pathname: string): boolean {
  return pathname === UI_PREFIX || pathname.startsWith(`${UI_PREFIX}/`);
}

export interface UiRoutesOptions {
  /** The built renderer (index.html and assets); absent or missing: /ui says how to build it. */
  dir: string | undefined;
  sessions: UiSessions;
  /** Whether a request carries the API's bearer token or a session's (to make a new login link). */
  authorizes: (req: IncomingMessage) => boolean;
  /**
   * A new login link: for `switchboard ui`, or for the logged-in page the request comes from (the session
   * it opens belongs to that page's login).
   */
  newLink: (req: IncomingMessage) => string | undefined;
}

/** Handles /ui and everything under it; returns false for other paths. */
export function createUiRoutes(options: UiRoutesOptions) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (!isUiPath(url.pathname)) return false;
    if (!isLocalPeer(req.socket)) {
      sendJson(res, 403, { error: LOCAL_ONLY });
      return true;
    }
    if (url.pathname === LOGIN_PATH) {
      await login(req, res, options.sessions);
      return true;
    }
    if (url.pathname === NEW_LINK_PATH) {
      if (req.method !== 'POST') sendJson(res, 405, { error: `${NEW_LINK_PATH} takes POST` }, { allow: 'POST' });
      else if (!options.authorizes(req))
        sendJson(res, 401, { error: `${NEW_LINK_PATH} needs "Authorization: Bearer <api token or UI session>"` });
      else sendJson(res, 200, { url: options.newLink(req) }, { 'cache-control': 'no-store' });
      return true;
    }
    if (url.pathname === LOGOUT_PATH) {
      logout(req, res, options);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `${req.method ?? '?'} is not allowed on ${url.pathname}` }, { allow: 'GET, HEAD' });
      return true;
    }
    if (url.pathname === UI_PREFIX) {
      res.writeHead(308, { location: `${UI_PREFIX}/`, ...SECURITY_HEADERS }).end();
      return true;
    }
    await serveFile(req, res, options.dir, url.pathname.slice(UI_PREFIX.length));
    return true;
  };
}

async function login(req: IncomingMessage, res: ServerResponse, sessions: UiSessions): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: `${LOGIN_PATH} takes POST {"code": "..."}` }, { allow: 'POST' });
    return;
  }
  const refusal = checkJsonContentType(req);
  if (refusal) {
    sendJson(res, 415, { error: refusal.message });
    return;
  }
  const body = await readBody(req, MAX_LOGIN_BYTES);
  if (body === undefined) {
    sendJson(res, 413, { error: `${LOGIN_PATH} takes a body of at most ${MAX_LOGIN_BYTES} bytes: {"code": "..."}` });
    return;
  }
  let code: unknown;
  try {
    code = (JSON.parse(body.toString('utf8')) as { code?: unknown })?.code;
  } catch {
    code = undefined;
  }
  if (typeof code !== 'string' || code === '') {
    sendJson(res, 400, { error: `${LOGIN_PATH} takes {"code": "..."}: the code from the login link` });
    return;
  }
  const secret = sessions.redeem(code, req.socket.localPort);
  if (secret === undefined) {
    sendJson(res, 401, {
      error: 'This login link was used already or has expired. Run "switchboard ui" for a new one.',
    });
    return;
  }
  sendJson(res, 200, { session: secret }, { 'cache-control': 'no-store', ...SECURITY_HEADERS });
}

/** Ends the session the request carries; 204 also when it had ended already (there is nothing left to end). */
function logout(req: IncomingMessage, res: ServerResponse, options: UiRoutesOptions): void {
  const secret = bearerOf(req);
  if (req.method !== 'POST') sendJson(res, 405, { error: `${LOGOUT_PATH} takes POST` }, { allow: 'POST' });
  else if (secret === undefined)
    sendJson(res, 401, { error: `${LOGOUT_PATH} needs "Authorization: Bearer <session>": the login to end` });
  else {
    options.sessions.end(req);
    res.writeHead(204, { 'cache-control': 'no-store', ...SECURITY_HEADERS }).end();
  }
  req.resume();
}

async function serveFile(req: IncomingMessage, res: ServerResponse, dir: string | undefined, path: string) {
  const file = dir === undefined ? undefined : resolveStaticFile(dir, path);
  if (file === null) {
    sendJson(res, 404, { error: `Not found: ${UI_PREFIX}${path}` });
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file?.path ?? '');
  } catch {
    const notBuilt = path === '/' || path === '/index.html';
    sendJson(
      res,
      404,
      notBuilt
        ? { error: 'The web UI is not built in this copy of Switchboard: run "npm run build", then reload.' }
        : { error: `Not found: ${UI_PREFIX}${path}` },
    );
    return;
  }
  const html = file!.contentType.startsWith('text/html');
  res.writeHead(200, {
    'content-type': file!.contentType,
    'content-length': body.length,
    // index.html names the hashed assets of this build: always fetched again; the assets never change.
    'cache-control': html ? 'no-cache' : 'public, max-age=31536000, immutable',
    ...(html ? { 'content-security-policy': UI_CONTENT_SECURITY_POLICY } : {}),
    ...SECURITY_HEADERS,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The file for a path under the renderer's directory, or null for one that would leave it, has
 * an unknown type, or is not a plain path. `/` is index.html. Used by the desktop app's
 * `switchboard://app` scheme too.
 */
export function resolveStaticFile(dir: string, path: string): { path: string; contentType: string } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded === '' || decoded === '/') decoded = '/index.html';
  const root = resolve(dir);
  const file = resolve(root, `.${decoded}`);
  const rel = relative(root, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
  return contentType === undefined ? null : { path: file, contentType };
}
