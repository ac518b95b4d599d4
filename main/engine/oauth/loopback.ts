/**
 * The loopback redirect listener of a login (RFC 8252 §7.3): an HTTP server on 127.0.0.1 that
 * waits for the browser to come back from the authorization server with a code. Every request is
 * checked: the path, the method and the `state` this login made; anything else is answered with
 * an error page and the listener keeps waiting. It takes one good answer (a code, or the
 * authorization server's error), then closes; it also closes when the login is given up.
 */
import type { Server, ServerResponse } from 'node:http';
import { proofMatches } from '../../shared/hello.ts';
import { errorMessage, GatewayError } from '../protocol/errors.ts';

export interface CallbackResult {
  code: string;
  /** The authorization response's `iss` parameter (RFC 9207), when the server sent one. */
  iss?: string;
}

export interface CallbackListener {
  /** `http://127.0.0.1:PORT/callback`. */
  redirectUri: string;
  /** The code, or why the login failed (the server's error, a bad `iss`, the time limit). */
  result: Promise<CallbackResult>;
  /**
   * The address the browser ended on, handed over by the user when the browser could not reach
   * this listener (a gateway on another machine): checked exactly as a request to it would be.
   * Throws, saying why, when it is not this login's answer.
   */
  deliver(address: string): void;
  close(): void;
}

export interface CallbackOptions {
  /** The port to listen on; 0 or a busy port: one the system picks (unless `exactPort`). */
  port?: number;
  /** That port or none: a busy one is an error saying so (a redirect URI registered by hand). */
  exactPort?: boolean;
  /** The `state` the authorization request carried. */
  state: string;
  timeoutMs: number;
  /** What the page says the login was for. */
  label: string;
  /** Checks the answer's other parameters (the issuer); throws to refuse it. */
  check?: (params: URLSearchParams) => void;
}

export const CALLBACK_PATH = '/callback';

export async function listenForCallback(opts: CallbackOptions): Promise<CallbackListener> {
  const { createServer } = process.getBuiltinModule('node:http');
  let settle!: { resolve: (r: CallbackResult) => void; reject: (e: Error) => void };
  const result = new Promise<CallbackResult>((resolve, reject) => (settle = { resolve, reject }));
  // Awaited by the login; a login given up before it looked must not leave it unhandled.
  void Promise.allSettled([result]);
  let done = false;
  /** Takes a final outcome (once); whether it was taken. */
  const take = (outcome: Outcome): boolean => {
    if (done || !outcome.final) return false;
    done = true;
    if ('code' in outcome) settle.resolve(outcome.code);
    else settle.reject(outcome.error);
    return true;
  };
  const server: Server = createServer((req, res) => {
    const outcome = answer(req.method ?? 'GET', req.url ?? '/', opts);
    page(res, outcome.status, outcome.title, outcome.text);
    // The page goes out first; the listener takes nothing after its one answer.
    if (take(outcome)) res.on('finish', () => close());
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  const port = await listen(server, opts.port ?? 0, opts.exactPort === true);
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    settle.reject(
      new GatewayError(
        'unauthorized',
        `the login to ${opts.label} was not completed within ${Math.round(opts.timeoutMs / 1000)} s`,
      ),
    );
    close();
  }, opts.timeoutMs);
  timer.unref();
  const close = (): void => {
    clearTimeout(timer);
    if (!done) {
      done = true;
      settle.reject(new GatewayError('request_cancelled', `the login to ${opts.label} was cancelled`));
    }
    server.close();
    server.closeAllConnections();
  };
  const redirectUri = `http://127.0.0.1:${port}${CALLBACK_PATH}`;
  const deliver = (address: string): void => {
    let url: URL;
    try {
      url = new URL(address.trim());
    } catch {
      throw new GatewayError('invalid_request', 'that is not an address: paste the whole address from the browser');
    }
    if (done) throw new GatewayError('invalid_request', `no login to ${opts.label} is waiting for an answer`);
    // The browser was sent to this listener's address: anything else is not this login's answer.
    if (`${url.protocol}//${url.host}` !== new URL(redirectUri).origin)
      throw new GatewayError('invalid_request', `that address is not this login's (${redirectUri}…)`);
    const outcome = answer('GET', `${url.pathname}${url.search}`, opts);
    if (!outcome.final) throw new GatewayError('invalid_request', outcome.text);
    take(outcome);
    close();
    if ('error' in outcome) throw outcome.error;
  };
  return { redirectUri, result, deliver, close };
}

type Outcome = { status: number; title: string; text: string } & (
  { final: false } | { final: true; code: CallbackResult } | { final: true; error: Error }
);

function answer(method: string, target: string, opts: CallbackOptions): Outcome {
  const url = new URL(target, 'http://127.0.0.1');
  const wrong = (status: number, text: string): Outcome => ({ status, title: 'Not this login', text, final: false });
  if (method !== 'GET') return wrong(405, 'This address only takes the browser coming back from a login.');
  if (url.pathname !== CALLBACK_PATH) return wrong(404, 'This is not the login callback address.');
  const state = url.searchParams.get('state');
  // Compared in constant time, so the state cannot be guessed byte by byte from response times.
  if (state === null || !proofMatches(state, opts.state))
    return wrong(400, 'This answer does not belong to the login Switchboard is waiting for (its state differs).');
  const fail = (text: string): Outcome => ({
    status: 400,
    title: 'Login failed',
    text,
    final: true,
    error: new GatewayError('unauthorized', `the login to ${opts.label} failed: ${text}`),
  });
  const error = url.searchParams.get('error');
  if (error !== null) {
    const description = url.searchParams.get('error_description');
    return fail(`the authorization server said ${error}${description ? ` (${description.slice(0, 300)})` : ''}`);
  }
  const code = url.searchParams.get('code');
  if (!code) return fail('the answer has no authorization code');
  try {
    opts.check?.(url.searchParams);
  } catch (err) {
    return fail(errorMessage(err));
  }
  const iss = url.searchParams.get('iss');
  return {
    status: 200,
    title: 'Logged in',
    text: `Switchboard is logged in to ${opts.label}. You can close this tab.`,
    final: true,
    code: iss === null ? { code } : { code, iss },
  };
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body =
    `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
    `<body style="font-family: system-ui, sans-serif; margin: 3em"><h1>${escape(title)}</h1>` +
    `<p>${escape(text)}</p></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(body);
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Listens on 127.0.0.1:`port`, or on a port the system picks when that one is taken. */
function listen(server: Server, port: number, exact: boolean): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : p);
      });
    });
  return attempt(port).catch((err: NodeJS.ErrnoException) => {
    if (port === 0 || err.code !== 'EADDRINUSE') throw err;
    if (exact)
      throw new GatewayError(
        'upstream_unavailable',
        `the login's redirect port ${port} (oauth.redirectPort) is in use by another program: free it, or ` +
          'register another port with the authorization server and set it here',
      );
    return attempt(0);
  });
}
