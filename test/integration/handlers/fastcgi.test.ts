/**
 * FastCGI handlers going wrong, against real servers: php-fpm running a script that misbehaves
 * on purpose, node-fastcgi, and a raw FastCGI server for replies no library would send. Every
 * error names the server and the cause; the raw reply and stderr stay on the error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HandlerError } from '../../../main/engine/upstreams/handler/errors.ts';
import {
  createHandlerUpstream,
  type HandlerUpstreamDeps,
} from '../../../main/engine/upstreams/handler/handler-upstream.ts';
import { FastcgiClient, FastcgiError } from '../../../main/engine/upstreams/handler/fastcgi/index.ts';
import { encodeRecord, RecordType } from '../../../main/engine/upstreams/handler/fastcgi/records.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { freePort } from '../../fixtures/servers/http-everything.ts';
import { EXAMPLE_PHP, MISBEHAVE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';
import {
  jsonResponder,
  raw,
  startFastcgiHandler,
  startRawFastcgi,
  type TestServer,
} from '../../fixtures/handlers/servers.ts';
import { FAST_BACKOFF, specFor } from './helpers.ts';

const DISCOVER = JSON.stringify({ tools: [{ name: 'go' }] });

const upstreams: Upstream[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const u of upstreams.splice(0)) await u.stop();
  for (const s of servers.splice(0)) await s.close();
});

function upstream(
  name: string,
  address: string,
  extra: Parameters<typeof specFor>[2] = {},
  deps: HandlerUpstreamDeps = {},
): Upstream {
  const u = createHandlerUpstream(specFor(name, address, { entrypoint: '/srv/app/handler.php', ...extra }), {
    backoff: FAST_BACKOFF,
    ...deps,
  });
  upstreams.push(u);
  u.start();
  return u;
}

/** The line of misbehave.php that starts with `code`. */
function lineOf(code: string): number {
  const lines = readFileSync(MISBEHAVE_PHP, 'utf8').split('\n');
  return lines.findIndex((line) => line.trim().startsWith(code)) + 1;
}

async function failure(promise: Promise<unknown>): Promise<HandlerError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandlerError);
  return err as HandlerError;
}

/** A raw server answering discover properly and `go` with `reply(requestId)`. */
async function rawServer(reply: (id: number, socket: import('node:net').Socket) => void): Promise<TestServer> {
  const server = await startRawFastcgi((req, socket) => {
    const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string };
    if (envelope.type === 'discover') socket.write(raw.reply(req.requestId, DISCOVER));
    else reply(req.requestId, socket);
  });
  servers.push(server);
  return server;
}

describe('php-fpm running a script that goes wrong', () => {
  let fpm: PhpFpm;
  let u: Upstream;
  beforeAll(async () => {
    fpm = await startPhpFpm({ listen: 'tcp' });
  });
  afterAll(async () => {
    await fpm?.stop();
  });

  beforeAll(async () => {
    u = createHandlerUpstream(
      specFor('misbehave', fpm.address, { entrypoint: MISBEHAVE_PHP, timeoutMs: 5000, forwardHeaders: ['*'] }),
      {
        backoff: FAST_BACKOFF,
      },
    );
    u.start();
    await u.whenReady(5000);
  });
  afterAll(async () => {
    await u?.stop();
  });

  const where = () => `FastCGI ${fpm.address} (${MISBEHAVE_PHP})`;

  it('a PHP fatal error: HTTP 500 with the PHP message from FastCGI stderr', async () => {
    const err = await failure(u.request('tools/call', { name: 'fatal', arguments: {} }));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toMatch(
      new RegExp(
        `^server "misbehave": handler at ${escape(where())} answered HTTP 500 \\(an empty body\\); stderr: ` +
          (`PHP message: PHP Fatal error: Uncaught Error: Call to undefined function ` +
            `undefined_function_for_the_test\\(\\)`),
      ),
    );
    expect(err.status).toBe(500);
    expect(err.stderr).toContain('Stack trace:');
  });

  it("a throttled call (429) says how long PHP's Retry-After asks to wait", async () => {
    const err = await failure(u.request('tools/call', { name: 'rate_limited', arguments: {} }));
    expect(err.message).toBe(
      `server "misbehave": handler at ${where()} answered HTTP 429 (Too Many Attempts.); it asks to wait 2 min ` +
        'before trying again (Retry-After)',
    );
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('a fatal error after warnings: the message quotes the fatal error, not only the warnings before it', async () => {
    const err = await failure(u.request('tools/call', { name: 'warn_then_fatal', arguments: {} }));
    expect(err.stderr).toContain('Undefined array key "customer_name_3"');
    expect(err.message).toMatch(/; stderr: PHP message: PHP Fatal error: +Uncaught Error: Class "PDOx" not found/);
  });

  it('an HTML page instead of JSON', async () => {
    const err = await failure(u.request('tools/call', { name: 'html', arguments: {} }));
    expect(err.code).toBe('upstream_protocol');
    expect(err.message).toBe(
      `server "misbehave": handler at ${where()} answered HTML instead of JSON: Maintenance mode: Back soon`,
    );
    expect(err.raw).toContain('<h1>Back soon</h1>');
  });

  it('json_encode failing on text that is not UTF-8: the empty reply says how PHP got there', async () => {
    const err = await failure(u.request('tools/call', { name: 'latin1', arguments: {} }));
    expect(err.code).toBe('upstream_protocol');
    expect(err.message).toBe(
      `server "misbehave": handler at ${where()} answered with an empty body instead of JSON (a PHP script ` +
        'prints nothing when it has no echo, or when json_encode fails: it returns false for text that is not ' +
        'UTF-8 and for NAN or INF; json_encode($reply, JSON_THROW_ON_ERROR) makes that an error that says why)',
    );
  });

  it('a Latin-1 byte in JSON built by hand: which byte, where, and the text before it', async () => {
    const err = await failure(u.request('tools/call', { name: 'latin1_echo', arguments: {} }));
    expect(err.code).toBe('upstream_protocol');
    expect(err.message).toBe(
      `server "misbehave": handler at ${where()} answered with bytes that are not valid UTF-8 (JSON must be ` +
        'UTF-8): byte 0xE9 at offset 47 (text in Latin-1 or Windows-1252, such as from a database connection or ' +
        'a file not read as UTF-8?), right after: nt":[{"type":"text","text":"Table at Caf',
    );
  });

  it('honours a CGI Status header', async () => {
    const err = await failure(u.request('tools/call', { name: 'teapot', arguments: {} }));
    expect(err.message).toBe(`server "misbehave": handler at ${where()} answered HTTP 418 (short and stout)`);
    expect(err.status).toBe(418);
  });

  it('a Location header: a redirect, named with its path (not its query) and not followed', async () => {
    const err = await failure(u.request('tools/call', { name: 'redirect', arguments: {} }));
    expect(err.status).toBe(302);
    expect(err.message).toBe(
      `server "misbehave": handler at ${where()} answered HTTP 302, a redirect to /login.php, which is not followed`,
    );
  });

  it('a script printing past the limit: refused while it prints, naming the limit; php-fpm keeps serving', async () => {
    const spec = specFor('small', fpm.address, { entrypoint: MISBEHAVE_PHP, timeoutMs: 5000 });
    const small = createHandlerUpstream(spec, { backoff: FAST_BACKOFF, maxReplyBytes: 65_536 });
    upstreams.push(small);
    small.start();
    await small.whenReady(5000);
    const err = await failure(small.request('tools/call', { name: 'huge', arguments: { mib: 4 } }));
    expect(err.code).toBe('message_too_large');
    expect(err.message).toBe(
      `server "small": the reply from FastCGI server ${fpm.address} is larger than 65536 bytes ` +
        '(limits.maxResponseBytes)',
    );
    expect(await small.request('tools/call', { name: 'slow', arguments: { ms: 1 } })).toEqual({
      content: [{ type: 'text', text: 'slept' }],
    });
  });

  it('a warning on stderr does not fail a good reply', async () => {
    expect(await u.request('tools/call', { name: 'warning', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'ok despite the warning' }],
    });
  });

  it('a script slower than the timeout: a timeout error, and the server keeps serving', async () => {
    const err = await failure(u.request('tools/call', { name: 'slow', arguments: { ms: 2000 } }, { timeoutMs: 300 }));
    expect(err.code).toBe('request_timeout');
    expect(err.message).toBe(
      `server "misbehave": no complete reply from FastCGI server ${fpm.address} within 300 ms (nothing of it came: ` +
        "the script is still running, or every worker of the pool is busy; php-fpm's pm.max_children sets how many " +
        'there are. php-fpm runs a request it took to its end, also one still queued when the call gave up on it: ' +
        'a "pool" no larger than pm.max_children keeps the wait in Switchboard, where a call that times out never ' +
        'reaches php-fpm)',
    );
    expect(await u.request('tools/call', { name: 'slow', arguments: { ms: 1 } })).toEqual({
      content: [{ type: 'text', text: 'slept' }],
    });
  });

  it('sends the CGI params from config and client headers only as HTTP_*', async () => {
    const result = await u.request(
      'tools/call',
      { name: 'params', arguments: {} },
      {
        clientHeaders: [
          ['X-Tenant', 'acme'],
          ['x-tenant', 'beta'],
          ['Host', 'evil.example'],
          ['Proxy', 'http://evil.example'],
          ['Content-Type', 'text/plain'],
          ['Script_Filename', '/etc/passwd'],
          ['Connection', 'keep-alive, X-Hop'],
          ['X-Hop', 'gone'],
          ['Authorization', 'Bearer client-token'],
        ],
      },
    );
    const seen = result.structuredContent as Record<string, string>;
    expect(seen).toMatchObject({
      SCRIPT_FILENAME: MISBEHAVE_PHP,
      SCRIPT_NAME: '/misbehave.php',
      REQUEST_URI: '/misbehave.php',
      DOCUMENT_ROOT: path.dirname(MISBEHAVE_PHP),
      REQUEST_METHOD: 'POST',
      CONTENT_TYPE: 'application/json',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      HTTP_X_TENANT: 'acme, beta',
    });
    expect(Number(seen.CONTENT_LENGTH)).toBeGreaterThan(50);
    for (const dropped of [
      'HTTP_HOST',
      'HTTP_PROXY',
      'HTTP_CONTENT_TYPE',
      'HTTP_SCRIPT_FILENAME',
      'HTTP_CONNECTION',
      'HTTP_X_HOP',
      'HTTP_AUTHORIZATION',
    ])
      expect(seen).not.toHaveProperty(dropped);
  });

  it('a missing entrypoint: php-fpm says so and the error shows it', async () => {
    const missing = createHandlerUpstream(specFor('missing', fpm.address, { entrypoint: '/srv/nowhere/mcp.php' }), {
      backoff: FAST_BACKOFF,
    });
    upstreams.push(missing);
    missing.start();
    await expect.poll(() => missing.status().state).toBe('backoff');
    expect(missing.status().lastError).toBe(
      `handler at FastCGI ${fpm.address} (/srv/nowhere/mcp.php) answered HTTP 404 (File not found.); stderr: ` +
        `Primary script unknown (php-fpm found no script at that path: "entrypoint" must be its absolute path as ` +
        `php-fpm sees it, inside its container or chroot if it runs in one)`,
    );
  });
});

describe('php-fpm printing errors into the reply (display_errors on, as php.ini-development has it)', () => {
  let fpm: PhpFpm;
  let u: Upstream;
  beforeAll(async () => {
    fpm = await startPhpFpm({ listen: 'unix', displayErrors: true });
    u = createHandlerUpstream(specFor('dev', fpm.address, { entrypoint: MISBEHAVE_PHP, timeoutMs: 5000 }), {
      backoff: FAST_BACKOFF,
    });
    u.start();
    await u.whenReady(5000);
  });
  afterAll(async () => {
    await u?.stop();
    await fpm?.stop();
  });
  const where = () => `FastCGI ${fpm.address} (${MISBEHAVE_PHP})`;
  const hint =
    ' (PHP printed its error into the reply: set display_errors off for the pool, and with log_errors on it ' +
    'comes on FastCGI stderr instead)';

  it("a warning before the JSON is named as PHP's, with how to keep it out of the reply", async () => {
    const err = await failure(u.request('tools/call', { name: 'undefined_key', arguments: {} }));
    expect(err.code).toBe('upstream_protocol');
    const warning = `Undefined array key "city" in ${MISBEHAVE_PHP} on line ${lineOf('$city = $args')}`;
    expect(err.message).toBe(
      `server "dev": handler at ${where()} answered HTML instead of JSON: Warning : ${warning} ` +
        `{"content":[{"type":"text","text":"weather in "}]}${hint}; stderr: PHP message: PHP Warning: ${warning}`,
    );
  });

  it("a script's plain words are text, not HTML, though PHP labels them text/html", async () => {
    const err = await failure(u.request('tools/call', { name: 'die', arguments: {} }));
    expect(err.message).toBe(`server "dev": handler at ${where()} answered text instead of JSON: database down`);
  });
});

describe('php-fpm: static headers, keep-alive and the pool', () => {
  it('static headers become HTTP_* params; a client value wins only where the entry allows it', async () => {
    const fpm = await startPhpFpm({ listen: 'unix' });
    try {
      const u = upstream('static', fpm.address, {
        entrypoint: MISBEHAVE_PHP,
        headers: { 'X-Tenant': 'from-config', 'X-Api-Key': 'k' },
        overridableHeaders: ['X-Tenant'],
      });
      await u.whenReady(5000);
      const plain = (await u.request('tools/call', { name: 'params', arguments: {} })).structuredContent as Record<
        string,
        string
      >;
      expect(plain).toMatchObject({ HTTP_X_TENANT: 'from-config', HTTP_X_API_KEY: 'k' });
      const client = (
        await u.request(
          'tools/call',
          { name: 'params', arguments: {} },
          {
            clientHeaders: [
              ['x-tenant', 'from-client'],
              ['X-Api-Key', 'from-client'],
            ],
          },
        )
      ).structuredContent as Record<string, string>;
      expect(client).toMatchObject({ HTTP_X_TENANT: 'from-client', HTTP_X_API_KEY: 'k' });
    } finally {
      await fpm.stop();
    }
  });

  it('reuses connections to php-fpm and waits for a free one when all are busy', async () => {
    const fpm = await startPhpFpm({ listen: 'tcp', children: 2 });
    const client = new FastcgiClient({ target: fpm.target, pool: 2 });
    try {
      const body = Buffer.from(
        JSON.stringify({ type: 'call_tool', session_id: null, request_id: 'r', name: 'slow', arguments: { ms: 100 } }),
      );
      const params = [
        ['SCRIPT_FILENAME', MISBEHAVE_PHP],
        ['REQUEST_METHOD', 'POST'],
        ['CONTENT_LENGTH', String(body.length)],
      ] as const;
      const started = Date.now();
      const replies = await Promise.all(
        Array.from({ length: 6 }, () => client.request({ params, body, timeoutMs: 5000, maxBytes: 1 << 20 })),
      );
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      // Two at a time: three waves of 100 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      // Concurrent requests get their own connections (a kept one would pin a php-fpm worker);
      // one is kept when the burst is over (the others count as open until their sockets' close
      // events, a turn or more later on a busy machine). Still open 300 ms after its reply, it shows
      // that php-fpm keeps connections, and sequential requests, which may not be sent twice, reuse it.
      await expect
        .poll(() => client.stats())
        .toMatchObject({ open: 1, busy: 0, waiting: 0, keepAlive: true, keepsConnections: true });
      const connects = client.stats().connects;
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        await client.request({ params, body, timeoutMs: 5000, maxBytes: 1 << 20 });
      }
      expect(client.stats().connects).toBe(connects);
      // php-fpm kept that connection across requests, so a finished one is now handed straight to
      // the next request (idle at once, no quiet period for sequential calls to wait out).
      expect(client.stats()).toMatchObject({ idle: 1, open: 1 });
      for (let i = 0; i < 3; i++) await client.request({ params, body, timeoutMs: 5000, maxBytes: 1 << 20 });
      expect(client.stats()).toMatchObject({ idle: 1, open: 1, connects });
    } finally {
      await client.close();
      await fpm.stop();
    }
  });

  it('a call php-fpm queues while its only worker is busy times out naming the pool as a cause', async () => {
    const fpm = await startPhpFpm({ listen: 'tcp', children: 1 });
    try {
      const u = upstream('one-worker', fpm.address, { entrypoint: MISBEHAVE_PHP, timeoutMs: 5000, pool: 4 });
      await u.whenReady(10_000);
      const busy = u.request('tools/call', { name: 'slow', arguments: { ms: 1500 } });
      await new Promise((r) => setTimeout(r, 100));
      const err = await failure(u.request('tools/call', { name: 'slow', arguments: { ms: 1 } }, { timeoutMs: 500 }));
      expect(err.code).toBe('request_timeout');
      expect(err.message).toContain("every worker of the pool is busy; php-fpm's pm.max_children sets how many");
      expect(await busy).toEqual({ content: [{ type: 'text', text: 'slept' }] });
    } finally {
      await fpm.stop();
    }
  });

  it("calls given up in php-fpm's queue still run, as the timeout says; a pool of its size holds them", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-booked-'));
    const fpms = [await startPhpFpm({ listen: 'tcp', children: 1 }), await startPhpFpm({ listen: 'tcp', children: 1 })];
    try {
      /** Four calls of 500 ms at once, each with its time limit; what failed, and which calls took effect. */
      const burst = async (u: Upstream, file: string, limits: number[]) => {
        const results = await Promise.allSettled(
          limits.map((timeoutMs, i) =>
            u.request('tools/call', { name: 'book', arguments: { ms: 500, file, n: i + 1 } }, { timeoutMs }),
          ),
        );
        // Whatever is still running or queued in php-fpm has ended by then.
        await new Promise((r) => setTimeout(r, 2500));
        const booked = await readFile(file, 'utf8').then((text) => text.trim().split('\n').map(Number).sort());
        const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
        return { failed, booked };
      };
      // More connections than workers: php-fpm takes all four and runs each in turn, given up or not.
      const wide = upstream('wide', fpms[0]!.address, { entrypoint: MISBEHAVE_PHP, pool: 4 });
      await wide.whenReady(10_000);
      const overflowing = await burst(wide, path.join(dir, 'wide'), [800, 800, 800, 800]);
      expect(overflowing.booked).toEqual([1, 2, 3, 4]);
      expect(overflowing.failed).toHaveLength(3);
      for (const message of overflowing.failed)
        expect(message).toContain(
          'php-fpm runs a request it took to its end, also one still queued when the call gave up on it: ' +
            'a "pool" no larger than pm.max_children keeps the wait in Switchboard, where a call that times out ' +
            'never reaches php-fpm)',
        );
      // As many connections as workers: the two calls that time out waiting for one are never sent.
      const narrow = upstream('narrow', fpms[1]!.address, { entrypoint: MISBEHAVE_PHP, pool: 1 });
      await narrow.whenReady(10_000);
      const waiting = await burst(narrow, path.join(dir, 'narrow'), [3000, 3000, 700, 700]);
      expect(waiting.booked).toEqual([1, 2]);
      expect(waiting.failed).toHaveLength(2);
      for (const message of waiting.failed) expect(message).toContain('all 1 connections to FastCGI server');
    } finally {
      for (const fpm of fpms) await fpm.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs calls made while the handler starts side by side, not one after another', async () => {
    const fpm = await startPhpFpm({ listen: 'tcp', children: 4 });
    try {
      const u = upstream('burst', fpm.address, { entrypoint: MISBEHAVE_PHP, timeoutMs: 2500, pool: 16 });
      const started = Date.now();
      // As the router holds calls for a server that is starting: they all go when it is ready.
      const calls = [0, 1, 2].map(() =>
        u.whenReady(5000).then(() => u.request('tools/call', { name: 'slow', arguments: { ms: 700 } })),
      );
      await Promise.all(calls);
      // Side by side about 0.7 s; one after another over 2.1 s.
      expect(Date.now() - started).toBeLessThan(1800);
    } finally {
      await fpm.stop();
    }
  });

  it('the example under php-fpm with fewer workers than connections still answers everything', async () => {
    const fpm = await startPhpFpm({ listen: 'unix', children: 2 });
    try {
      const u = upstream('busy', fpm.address, { entrypoint: EXAMPLE_PHP, pool: 16 });
      await u.whenReady(5000);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          u.request('tools/call', { name: 'get_weather', arguments: { city: `C${i}` } }),
        ),
      );
      expect(results.every((r) => !r.isError)).toBe(true);
    } finally {
      await fpm.stop();
    }
  });
});

describe('FastCGI servers that break the protocol', () => {
  it('garbage instead of FastCGI records', async () => {
    const server = await rawServer((_id, socket) => socket.write('HTTP/1.1 200 OK\r\n\r\nthis is not FastCGI'));
    const u = upstream('garbage', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('upstream_protocol');
    expect(err.message).toBe(
      `server "garbage": FastCGI server ${server.address} sent bytes that are not FastCGI: not a FastCGI ` +
        `reply (first bytes "HTTP/1.1 200 OK\\r")`,
    );
  });

  it('a connection closed mid-reply keeps what arrived', async () => {
    const server = await rawServer((id, socket) => {
      socket.write(raw.stdout(id, 'Content-Type: application/json\r\n\r\n{"content":[{"type":"te'));
      setTimeout(() => socket.destroy(), 20);
    });
    const u = upstream('crash', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('upstream_closed');
    expect(err.message).toMatch(
      new RegExp(
        `^server "crash": FastCGI server ${escape(server.address)} (closed|reset) the connection mid-reply ` +
          `\\(after 57 bytes of output\\)$`,
      ),
    );
    expect(err.raw).toBe('Content-Type: application/json\r\n\r\n{"content":[{"type":"te');
  });

  it('a connection closed before any reply', async () => {
    const server = await rawServer((_id, socket) => socket.end());
    const u = upstream('hangup', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.message).toBe(`server "hangup": FastCGI server ${server.address} closed the connection before replying`);
  });

  it('an invalid Status header', async () => {
    const server = await rawServer((id, socket) =>
      socket.write(raw.reply(id, '{"content":[]}', 'Status: abc\r\nContent-Type: application/json')),
    );
    const u = upstream('status', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.message).toBe(
      'server "status": invalid CGI "Status: abc" header (expected a 3-digit code, e.g. "Status: 404 Not Found")',
    );
  });

  it("CGI headers without end are refused at 16 KiB, as an HTTP handler's are; a body that long is read", async () => {
    const line = (i: number) => `X-Pad-${i}: ${'a'.repeat(100)}\r\n`;
    const lines = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join('');
    const long = JSON.stringify({ content: [{ type: 'text', text: 'x'.repeat(40_000) }] });
    const server = await startRawFastcgi((req, socket) => {
      const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string; name?: string };
      const id = req.requestId;
      const reply = (text: string) => socket.write(Buffer.concat([raw.stdout(id, text), raw.end(id)]));
      if (envelope.type === 'discover') socket.write(raw.reply(id, DISCOVER));
      else if (envelope.name === 'endless') {
        // A header line a record, until the connection is closed.
        let i = 0;
        const pump = (): void => {
          while (!socket.destroyed)
            if (!socket.write(raw.stdout(id, line(i++)))) return void socket.once('drain', pump);
        };
        pump();
      } else if (envelope.name === 'ended') reply(`${lines(200)}Content-Type: application/json\r\n\r\n{"content":[]}`);
      else if (envelope.name === 'bare') reply(long);
      else reply(`${lines(20)}Content-Type: application/json\r\n\r\n${long}`);
    });
    servers.push(server);
    const u = upstream('headers', server.address, { timeoutMs: 20_000 }, { maxReplyBytes: 4 << 20 });
    await u.whenReady(5000);
    // 10 lines of 111 bytes, 90 of 112, then 45 of 113 and the start of one more: 146 in 16 KiB.
    const refused =
      `server "headers": FastCGI server ${server.address} sent a CGI header block over 16384 bytes without its ` +
      'end, more than Switchboard reads: 146 header lines (the first "X-Pad-0") and no blank line in the first ' +
      '16384 bytes of its output';
    for (const name of ['endless', 'ended']) {
      const started = Date.now();
      const err = await failure(u.request('tools/call', { name, arguments: {} }));
      expect(err.code).toBe('upstream_protocol');
      expect(err.message).toBe(refused);
      expect(err.raw).toBe(lines(37).slice(0, 4096));
      // Ended as the headers came, not by the size limit or the timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    for (const name of ['bare', 'headed'])
      expect(await u.request('tools/call', { name, arguments: {} })).toMatchObject({
        content: [{ type: 'text', text: 'x'.repeat(40_000) }],
      });
  });

  it("headers named like an object's own (constructor, __proto__) are read as any other", async () => {
    const headers = 'Constructor: a\r\n__proto__: b\r\nconstructor: c\r\nContent-Type: application/json';
    const server = await rawServer((id, socket) => socket.write(raw.reply(id, '{"content":[]}', headers)));
    const client = new FastcgiClient({ target: { host: '127.0.0.1', port: server.port }, pool: 1 });
    try {
      const reply = await client.request({
        params: [],
        body: Buffer.from('{"type":"call_tool"}'),
        timeoutMs: 5000,
        maxBytes: 1 << 20,
      });
      expect(Object.entries(reply.headers)).toEqual([
        ['constructor', 'a, c'],
        ['__proto__', 'b'],
        ['content-type', 'application/json'],
      ]);
    } finally {
      await client.close();
    }
  });

  it('an error keeps the start of the output, not all of it', async () => {
    // 1 MiB of output, then the connection closes mid-reply.
    const server = await rawServer((id, socket) => {
      const chunk = raw.stdout(id, Buffer.alloc(65_528, 'x'));
      socket.write(Buffer.concat([raw.stdout(id, 'Content-Type: text/plain\r\n\r\n'), ...Array(16).fill(chunk)]));
      socket.end();
    });
    const client = new FastcgiClient({ target: { host: '127.0.0.1', port: server.port }, pool: 1 });
    try {
      const err = (await client
        .request({ params: [], body: Buffer.from('{"type":"call_tool"}'), timeoutMs: 5000, maxBytes: 4 << 20 })
        .catch((e: unknown) => e)) as FastcgiError;
      expect(err).toBeInstanceOf(FastcgiError);
      expect(err.message).toMatch(/closed the connection mid-reply \(after 1048476 bytes of output\)$/);
      expect(err.partial!.toString()).toBe(`Content-Type: text/plain\r\n\r\n${'x'.repeat(4097 - 28)}`);
      // A copy: not a view that holds on to the whole output.
      expect(err.partial!.buffer.byteLength).toBeLessThan(1 << 20);
    } finally {
      await client.close();
    }
  });

  it('a non-zero application status, with what the script wrote on stderr', async () => {
    const server = await rawServer((id, socket) =>
      socket.write(
        Buffer.concat([
          raw.stderr(id, 'boom: database unreachable\nat line 3'),
          raw.stdout(id, 'Content-Type: application/json\r\n\r\n{}'),
          raw.end(id, 3),
        ]),
      ),
    );
    const u = upstream('exit3', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('upstream_error');
    expect(err.message).toBe(
      `server "exit3": FastCGI ${server.address} (/srv/app/handler.php): the script ended with status 3: ` +
        `boom: database unreachable`,
    );
    expect(err.stderr).toBe('boom: database unreachable\nat line 3');
  });

  it('stderr: a character split over two records reads whole, and a long one is cut between characters', async () => {
    const e = Buffer.from('é'); // two bytes
    const server = await rawServer((id, socket) =>
      socket.write(
        Buffer.concat([
          // "café!" with its é split over two records, then 5000 bytes of é: the 4 KiB kept end mid-é.
          encodeRecord(RecordType.Stderr, id, Buffer.concat([Buffer.from('caf'), e.subarray(0, 1)])),
          encodeRecord(RecordType.Stderr, id, Buffer.concat([e.subarray(1), Buffer.from('!\n')])),
          encodeRecord(RecordType.Stderr, id, Buffer.from('é'.repeat(2500))),
          raw.stdout(id, 'Content-Type: application/json\r\n\r\n{}'),
          raw.end(id, 3),
        ]),
      ),
    );
    const u = upstream('accents', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.message).toMatch(/the script ended with status 3: café!$/);
    // 7 bytes of "café!\n", then 4089 of é: 2044 whole ones; the byte of the one cut is counted as left out.
    expect(err.stderr).toBe(`café!\n${'é'.repeat(2044)}\n[${5000 - 4088} more bytes of stderr not kept]`);
  });

  it('a timeout after bytes that are no whole reply says they came, not that nothing did', async () => {
    const reply = 'Content-Type: application/json\r\n\r\n{"content":[]}';
    const server = await startRawFastcgi((req, socket) => {
      const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string; name?: string };
      const id = req.requestId;
      if (envelope.type === 'discover') socket.write(raw.reply(id, DISCOVER));
      else if (envelope.name === 'cut') {
        // A header promising 60000 bytes, then 48.
        const record = raw.stdout(id, reply);
        record.writeUInt16BE(60_000, 4);
        socket.write(record);
      } else if (envelope.name === 'unended') socket.write(raw.stdout(id, reply));
      // The whole reply, for a request id that is not this one.
      else socket.write(Buffer.concat([raw.stdout(id + 1, reply), raw.end(id + 1)]));
    });
    servers.push(server);
    const u = upstream('broken', server.address, { timeoutMs: 400 });
    await u.whenReady(5000);
    const message = async (name: string) => (await failure(u.request('tools/call', { name, arguments: {} }))).message;
    const timedOut = `server "broken": no complete reply from FastCGI server ${server.address} within 400 ms`;
    expect(await message('cut')).toBe(`${timedOut} (56 bytes came, but not its FCGI_END_REQUEST record)`);
    expect(await message('unended')).toBe(`${timedOut} (56 bytes came, but not its FCGI_END_REQUEST record)`);
    expect(await message('other')).toBe(
      `${timedOut} (80 bytes came, but not its FCGI_END_REQUEST record; they were records for request id 2, ` +
        'and this request is id 1)',
    );
  });

  it('an overloaded server (FCGI_OVERLOADED)', async () => {
    const server = await rawServer((id, socket) => socket.write(raw.end(id, 0, 2)));
    const u = upstream('overloaded', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.message).toBe(
      `server "overloaded": FastCGI server ${server.address} refused the request: it is overloaded (FCGI_OVERLOADED)`,
    );
  });

  it('a reply with none of the three kinds, and bare JSON without CGI headers', async () => {
    const server = await rawServer((id, socket) =>
      socket.write(Buffer.concat([raw.stdout(id, '{"result":"ok"}'), raw.end(id)])),
    );
    const u = upstream('nokind', server.address);
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('upstream_protocol');
    expect(err.message).toBe('server "nokind": handler reply has no elicit, error or content (it has "result")');
    expect(err.raw).toBe('{"result":"ok"}');
  });

  it('a reply larger than the limit', async () => {
    const server = await rawServer((id, socket) =>
      socket.write(
        Buffer.concat([
          raw.stdout(
            id,
            `Content-Type: application/json\r\n\r\n{"content":[{"type":"text","text":"${'x'.repeat(5000)}"}]}`,
          ),
          raw.end(id),
        ]),
      ),
    );
    const u = upstream('big', server.address, {}, { maxReplyBytes: 4096 });
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('message_too_large');
    expect(err.message).toBe(
      `server "big": the reply from FastCGI server ${server.address} is larger than 4096 bytes ` +
        '(limits.maxResponseBytes)',
    );
  });

  it('records for other request ids count toward the limit, and the error says what came', async () => {
    // The start of a reply, then records for request ids 2 and 3 until the server is stopped.
    const server = await rawServer((id, socket) => {
      const start = raw.stdout(id, 'Content-Type: application/json\r\n\r\n{"content":[');
      const others = Array.from({ length: 400 }, (_, i) => raw.stdout(id + 1 + (i % 2), 'x'));
      socket.write(Buffer.concat([start, ...others]));
    });
    const u = upstream('others', server.address, {}, { maxReplyBytes: 4096 });
    await u.whenReady(5000);
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('message_too_large');
    // 56 bytes of output, then 253 records of 16 bytes: the first past 4096.
    expect(err.message).toBe(
      `server "others": FastCGI server ${server.address} sent more than 4096 bytes for one request ` +
        '(limits.maxResponseBytes): 56 bytes of its output, 4048 bytes of records for request ids other than this ' +
        "request's (1), the first 2",
    );
  });

  it('a connection with bytes after its reply is not used again: the next call is not misread', async () => {
    // The discover's reply is followed by the start of a record nobody asked for. Kept, that
    // connection would read the next reply with those 4 bytes in front: nothing whole, a timeout.
    let replies = 0;
    const server = await startRawFastcgi((req, socket) => {
      const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string };
      const reply = raw.reply(req.requestId, envelope.type === 'discover' ? DISCOVER : '{"content":[]}');
      socket.write(replies++ === 0 ? Buffer.concat([reply, Buffer.from([1, 6, 0, 1])]) : reply);
    });
    servers.push(server);
    const u = upstream('trailing', server.address, { timeoutMs: 1000 });
    await u.whenReady(5000);
    // Long enough for a kept connection to show the server keeps connections.
    await new Promise((r) => setTimeout(r, 400));
    expect(await u.request('tools/call', { name: 'go', arguments: {} })).toMatchObject({ content: [] });
    expect(server.connections().total).toBe(2);
  });

  it('keeps one connection for sequential requests to a server that allows it', async () => {
    const server = await rawServer((id, socket) =>
      socket.write(raw.reply(id, '{"content":[{"type":"text","text":"ok"}]}')),
    );
    const u = upstream('keep', server.address);
    await u.whenReady(5000);
    // Right after the discover, tool calls open connections of their own: the server has not yet
    // shown that it keeps connections (see the late closer below).
    for (let i = 0; i < 3; i++) await u.request('tools/call', { name: 'go', arguments: {} });
    expect(server.connections().total).toBe(4);
    // The discover connection, still open 300 ms after its reply, shows it: then one is used.
    await new Promise((r) => setTimeout(r, 400));
    for (let i = 0; i < 5; i++) await u.request('tools/call', { name: 'go', arguments: {} });
    expect(server.connections().total).toBe(4);
  });
});

describe('node-fastcgi: real servers, slow ones, and the pool bound', () => {
  const slow = (ms: number) =>
    jsonResponder(async ({ envelope }) => {
      if (envelope.type === 'discover') return { tools: [{ name: 'wait' }] };
      await new Promise((r) => setTimeout(r, ms));
      return { content: [{ type: 'text', text: `waited ${ms}` }] };
    });

  it('never opens more connections than the pool allows; the rest wait their turn', async () => {
    const server = await startFastcgiHandler(slow(100));
    servers.push(server);
    const u = upstream('bounded', server.address, { pool: 2 });
    await u.whenReady(5000);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => u.request('tools/call', { name: 'wait', arguments: {} })),
    );
    expect(results.map((r) => (r.content as { text: string }[])[0]!.text)).toEqual(Array(6).fill('waited 100'));
    expect(server.connections().maxOpen).toBeLessThanOrEqual(2);
  });

  it('a bounded wait: requests that cannot get a connection in time fail saying why', async () => {
    const server = await startFastcgiHandler(slow(400));
    servers.push(server);
    const u = upstream('crowded', server.address, { pool: 1 });
    await u.whenReady(5000);
    // The first call holds the only connection for 400 ms; the second may wait 250 ms for it.
    const settled = await Promise.allSettled(
      [2000, 250].map((timeoutMs) => u.request('tools/call', { name: 'wait', arguments: {} }, { timeoutMs })),
    );
    const messages = settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'ok'));
    expect(messages[0]).toBe('ok');
    expect(messages[1]).toBe(
      `server "crowded": all 1 connections to FastCGI server ${server.address} stayed busy for the 250 ms ` +
        `this request could wait (raise "pool", or the server's worker count)`,
    );
    const second = settled[1]!;
    expect(second.status === 'rejected' && (second.reason as { busy?: boolean }).busy).toBe(true);
  });

  it.each([
    ['keeps connections', false],
    ['closes each after its reply', true],
  ])(
    'a call whose time ran out while it waited for a connection is never sent (a server that %s)',
    async (_, closes) => {
      // The only connection is busy with "hold"; "late" may wait 300 ms for it. The reply to "hold"
      // comes in time, but the gateway is busy just then (a large reply to parse, a loaded machine)
      // until after "late" ran out of time: the connection is handed on, or its room is free for a
      // new one, when its time is already up. Sent anyway, the server would run the call for nobody
      // (php-fpm runs what it took).
      const server = await startRawFastcgi((req, socket) => {
        const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string; name?: string };
        const id = req.requestId;
        const answer = (body: string): void => {
          socket.write(raw.reply(id, body));
          if (closes) socket.end();
        };
        if (envelope.type === 'discover') answer(DISCOVER);
        else if (envelope.name === 'hold')
          setTimeout(() => {
            answer('{"content":[{"type":"text","text":"held"}]}');
            const until = Date.now() + 500;
            while (Date.now() < until); // the gateway's event loop, busy
          }, 100);
        else answer(`{"content":[{"type":"text","text":"${envelope.name}"}]}`);
      });
      servers.push(server);
      const u = upstream('late', server.address, { pool: 1 });
      await u.whenReady(5000);
      // The discover connection, kept open past 300 ms, shows the server keeps connections (or closed,
      // that it does not).
      await new Promise((r) => setTimeout(r, 400));
      const settled = await Promise.allSettled([
        u.request('tools/call', { name: 'hold', arguments: {} }),
        u.request('tools/call', { name: 'late', arguments: {} }, { timeoutMs: 300 }),
      ]);
      expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { content: [{ text: 'held' }] } });
      expect(settled[1]).toMatchObject({
        status: 'rejected',
        reason: {
          message:
            `server "late": all 1 connections to FastCGI server ${server.address} stayed busy for the 300 ms ` +
            `this request could wait (raise "pool", or the server's worker count)`,
        },
      });
      // The server carries on, and never saw the call that ran out of time.
      expect(await u.request('tools/call', { name: 'after', arguments: {} })).toMatchObject({
        content: [{ text: 'after' }],
      });
      const calls = server.raw.map((r) => (JSON.parse(r.stdin.toString('utf8')) as { name?: string }).name);
      expect(calls.filter(Boolean)).toEqual(['hold', 'after']);
    },
  );

  it('sends no tool call on a kept connection the server closes a moment after its reply', async () => {
    // FCGI_KEEP_CONN asked or not, this server ends each connection 20 ms after its reply: longer
    // than a quiet moment, as a busy machine makes node-fastcgi's close. A tool call must not go out
    // on the discover connection in those 20 ms: it would fail, and it is not sent twice.
    const answered = new WeakSet<import('node:net').Socket>();
    const server = await startRawFastcgi((req, socket) => {
      // One request per connection: what comes after the reply is never read.
      if (answered.has(socket)) return;
      answered.add(socket);
      const envelope = JSON.parse(req.stdin.toString('utf8')) as { type: string };
      const body = envelope.type === 'discover' ? DISCOVER : '{"content":[{"type":"text","text":"done"}]}';
      socket.write(raw.reply(req.requestId, body));
      setTimeout(() => socket.end(), 20);
    });
    servers.push(server);
    const u = upstream('late-closer', server.address);
    await u.whenReady(5000);
    for (let i = 0; i < 3; i++) {
      const result = await u.request('tools/call', { name: 'go', arguments: {} });
      expect((result.content as { text: string }[])[0]!.text).toBe('done');
    }
    // Each call had a connection of its own.
    expect(server.raw.filter((r) => r.stdin.includes('call_tool'))).toHaveLength(3);
    expect(server.connections().total).toBe(4);
  });

  it('works with a server that closes after every reply (learns not to keep connections)', async () => {
    // node-fastcgi ignores FCGI_KEEP_CONN unless the request says Connection: keep-alive.
    const server = await startFastcgiHandler(slow(1));
    servers.push(server);
    const u = upstream('closer', server.address);
    await u.whenReady(5000);
    for (let i = 0; i < 8; i++)
      expect((await u.request('tools/call', { name: 'wait', arguments: {} })).isError).toBeUndefined();
    expect(server.connections().total).toBeGreaterThanOrEqual(8);
  });

  it('passes the CGI params FastCGI servers expect', async () => {
    const server = await startFastcgiHandler(
      jsonResponder(() => ({ tools: [], content: [] })),
      { listen: 'unix' },
    );
    servers.push(server);
    const u = upstream('params', server.address, {
      entrypoint: '/srv/app/mcp.php',
      headers: { 'X-Static': 's' },
      forwardHeaders: ['X-Trace', 'Proxy-Connection'],
    });
    await u.whenReady(5000);
    await u.request(
      'tools/call',
      { name: 'x', arguments: {} },
      {
        clientHeaders: [
          ['X-Trace', '1'],
          ['Proxy-Connection', 'keep-alive'],
        ],
      },
    );
    const call = server.received.find((r) => r.envelope.type === 'call_tool')!;
    expect(call.params).toMatchObject({
      SCRIPT_FILENAME: '/srv/app/mcp.php',
      SCRIPT_NAME: '/mcp.php',
      REQUEST_URI: '/mcp.php',
      REQUEST_METHOD: 'POST',
      CONTENT_TYPE: 'application/json',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      HTTP_X_STATIC: 's',
      HTTP_X_TRACE: '1',
    });
    expect(call.params).not.toHaveProperty('HTTP_PROXY_CONNECTION');
    expect(Number(call.params!.CONTENT_LENGTH)).toBe(Buffer.byteLength(JSON.stringify(call.envelope)));
  });
});

describe('FastCGI servers that are not there', () => {
  it('connection refused: backoff with the reason, and requests fail saying so', async () => {
    const port = await freePort();
    const u = upstream('refused', `127.0.0.1:${port}`);
    await expect.poll(() => u.status().state).toBe('backoff');
    expect(u.status().lastError).toBe(
      `cannot connect to FastCGI server 127.0.0.1:${port}: connection refused (is the FastCGI server running?)`,
    );
    const err = await failure(u.request('tools/call', { name: 'go', arguments: {} }));
    expect(err.code).toBe('upstream_unavailable');
    expect(err.message).toBe(
      `server "refused": cannot connect to FastCGI server 127.0.0.1:${port}: connection refused (is the ` +
        `FastCGI server running?)`,
    );
  });

  it('a regular file or a folder at the socket path is said to be one, not a server that refuses', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-sock-'));
    try {
      const file = path.join(dir, 'php-fpm.conf');
      await writeFile(file, '[www]\n');
      const folder = path.join(dir, 'run');
      await mkdir(folder);
      for (const [at, what] of [
        [file, 'a regular file'],
        [folder, 'a folder'],
      ] as const) {
        const u = upstream(`not-socket-${path.basename(at)}`, at);
        await expect
          .poll(() => u.status().lastError)
          .toBe(
            `cannot connect to FastCGI server ${at}: ${at} is ${what}, not a socket: the address must be the ` +
              'socket the handler listens on',
          );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("php-fpm's socket deleted while it runs: the call says what happened, the server reads down", async () => {
    const fpm = await startPhpFpm({ listen: 'unix' });
    try {
      const u = upstream('deleted', fpm.address, { entrypoint: MISBEHAVE_PHP });
      await u.whenReady(5000);
      await rm(fpm.address);
      // A connection kept open still reaches php-fpm, until it has been idle 2 s.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const err = await failure(u.request('tools/call', { name: 'warning', arguments: {} }));
      expect(err.code).toBe('upstream_unavailable');
      expect(err.message).toBe(
        `server "deleted": cannot connect to FastCGI server ${fpm.address}: no socket at that path (is the ` +
          'FastCGI server running, and listening there? A socket deleted while it runs stays gone until it restarts)',
      );
      await expect.poll(() => u.status().state).toBe('backoff');
    } finally {
      await fpm.stop();
    }
  });

  it('a missing Unix socket, then the server appears: ready without a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-sock-'));
    const socketPath = path.join(dir, 'later.sock');
    try {
      const u = upstream('later', socketPath);
      await expect
        .poll(() => u.status().lastError)
        .toBe(
          `cannot connect to FastCGI server ${socketPath}: no socket at that path (is the FastCGI server running, ` +
            'and listening there? A socket deleted while it runs stays gone until it restarts)',
        );
      expect(u.status().state).toBe('backoff');
      const server = await startRawFastcgi((req, socket) => socket.write(raw.reply(req.requestId, DISCOVER)));
      servers.push(server);
      // The raw server listens on TCP; put a socket where the upstream looks.
      const { createServer, connect } = await import('node:net');
      const bridge = createServer((c) => {
        const upstreamSocket = connect(server.port, '127.0.0.1');
        c.pipe(upstreamSocket).pipe(c);
        c.on('error', () => upstreamSocket.destroy());
        upstreamSocket.on('error', () => c.destroy());
      });
      await new Promise<void>((resolve) => bridge.listen(socketPath, resolve));
      try {
        await u.whenReady(5000);
        expect(u.status()).toMatchObject({ state: 'ready' });
        expect(u.status().lastError).toBeUndefined();
      } finally {
        await new Promise((resolve) => bridge.close(resolve));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
