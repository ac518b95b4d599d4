/**
 * The shared lifecycle suite (lifecycle-suite.ts) against every upstream kind, each on a real
 * backend on 127.0.0.1: MCP over stdio (stateful fixture and stateless 2026-07-28 server),
 * MCP over Streamable HTTP and legacy SSE (the reference everything server), a stateless
 * 2026-07-28 server over HTTP, and JSON handlers over HTTP, FastCGI (node-fastcgi) and php-fpm.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMcpUpstream } from '../../../main/engine/upstreams/era.ts';
import { createHandlerUpstream } from '../../../main/engine/upstreams/handler/handler-upstream.ts';
import type { HttpTransportMode } from '../../../main/engine/upstreams/mcp-http/http-upstream.ts';
import { retryForever, type BackoffPolicy } from '../../../main/engine/upstreams/lifecycle.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { MISBEHAVE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';
import {
  jsonResponder,
  startFastcgiHandler,
  startHttpHandler,
  type Responder,
  type TestServer,
} from '../../fixtures/handlers/servers.ts';
import { startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import {
  STATELESS_SERVER,
  startStatelessHttp,
  type StatelessHttpServer,
} from '../../fixtures/servers/stateless-launch.ts';
import { waitFor } from '../../helpers/gateway.ts';
import { restartablePort } from '../../helpers/ports.ts';
import { specFor } from '../handlers/helpers.ts';
import { describeUpstreamLifecycle, type LifecycleBackend, type ToolCall } from './lifecycle-suite.ts';

const FIXTURE_SERVER = path.join(import.meta.dirname, '../../fixtures/servers/fixture-server.ts');
const CLIENT = { name: 'switchboard-test', version: '0.0.1' };
const same = (policy: BackoffPolicy): BackoffPolicy => policy;
const mcpDeps = (policy: BackoffPolicy) => ({
  clientInfo: CLIENT,
  capabilities: {},
  backoff: policy,
  log: () => undefined,
  listenRetry: { initialMs: 50, maxMs: 200 },
});

/** Nothing listens at `path` on 127.0.0.1. */
const refused = (path: string): RegExp =>
  new RegExp(`cannot connect to http://127\\.0\\.0\\.1:\\d+${path} \\(connection refused\\)`);
/** A remote MCP server went away: its stream broke, or the reconnect found nobody there. */
const LOST_REMOTE = new RegExp(
  [
    String.raw`^(lost the connection to http://127\.0\.0\.1:\d+/\S* \(.+\)`,
    String.raw`lost its event stream.*`,
    String.raw`cannot connect to http://127\.0\.0\.1:\d+/\S* \(connection refused\))$`,
  ].join('|'),
);

/** An MCP server the upstream spawns; "down" means it exits at once (FIXTURE_FAIL_START_FILE). */
async function stdioBackend(script: string): Promise<LifecycleBackend> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sb-life-'));
  const failFile = path.join(dir, 'down');
  return {
    kind: 'stdio',
    create: (name, policy) =>
      createMcpUpstream(
        {
          name,
          command: process.execPath,
          args: [script],
          env: { FIXTURE_NAME: name, STATELESS_NAME: name, FIXTURE_FAIL_START_FILE: failFile },
          timeoutMs: 10_000,
          startupTimeoutMs: 10_000,
        },
        { ...mcpDeps(policy), maxMessageBytes: 1 << 24, path: () => Promise.resolve(process.env.PATH ?? '') },
      ),
    policy: same,
    quick: { tool: 'echo', arguments: { message: 'hi' }, text: 'hi' },
    slow: { tool: 'slow', arguments: { steps: 50, delayMs: 100 } },
    async down(running?: Upstream) {
      await writeFile(failFile, '');
      const pid = running?.status().pid;
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    },
    up: () => rm(failFile, { force: true }),
    downReason: /exited with code 3: life-\d+: refusing to start/,
    lostReason: /^was killed by SIGKILL/,
    noticesLoss: 'itself',
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A network backend that the test stops and starts again on the same port. */
interface Served {
  url: string;
  stop(): Promise<void>;
  quiet?(): Promise<void>;
}

type Start = (port: number) => Promise<Served>;

async function networkBackend(
  start: Start,
  rest: Omit<LifecycleBackend, 'down' | 'up' | 'close' | 'create'> & {
    create(name: string, policy: BackoffPolicy, url: string): Upstream;
  },
): Promise<LifecycleBackend> {
  const port = await restartablePort();
  let current: Served | undefined = await start(port);
  const url = current.url;
  return {
    ...rest,
    create: (name, policy) => rest.create(name, policy, url),
    async down() {
      await current?.stop();
      current = undefined;
    },
    async up() {
      current ??= await start(port);
    },
    quiet: async () => {
      await current?.quiet?.();
    },
    close: async () => {
      await current?.stop();
    },
  };
}

/** A remote MCP server the test runs (and restarts on the same port), reached as `transport` says. */
function remoteBackend(
  start: Start,
  transport: HttpTransportMode,
  rest: Pick<LifecycleBackend, 'quick' | 'slow' | 'downReason' | 'lostReason'>,
): Promise<LifecycleBackend> {
  return networkBackend(start, {
    kind: 'http',
    create: (name, policy, url) =>
      createMcpUpstream(
        { name, url, headers: {}, transport, timeoutMs: 10_000, startupTimeoutMs: 10_000 },
        mcpDeps(policy),
      ),
    policy: same,
    noticesLoss: 'itself',
    ...rest,
  });
}

const everything =
  (mode: 'streamableHttp' | 'sse'): Start =>
  async (port) => {
    const s: EverythingServer = await startEverything(mode, port);
    return { url: s.url, stop: () => s.kill() };
  };
const EVERYTHING_CALLS = {
  quick: { tool: 'echo', arguments: { message: 'hi' }, text: 'Echo: hi' },
  slow: { tool: 'trigger-long-running-operation', arguments: { duration: 5, steps: 5 } },
};

const stateless: Start = async (port) => {
  const s: StatelessHttpServer = await startStatelessHttp(port);
  return { url: s.url, stop: () => s.kill() };
};

/** A handler with an echo and a slow tool. */
const deskResponder: Responder = jsonResponder(async ({ envelope }) => {
  if (envelope.type === 'discover') return { tools: [{ name: 'echo' }, { name: 'slow' }] };
  const args = (envelope.arguments ?? {}) as { message?: string };
  if (envelope.name === 'slow') await new Promise((resolve) => setTimeout(resolve, 3000));
  return { content: [{ type: 'text', text: args.message ?? 'slept' }] };
});

/** `closesAfterReply`: node-fastcgi ends every connection after its reply. */
const inProcess =
  (start: (port: number) => Promise<TestServer>, closesAfterReply = false): Start =>
  async (port) => {
    const s = await start(port);
    const served: Served = { url: s.address, stop: () => s.close() };
    if (closesAfterReply) {
      served.quiet = async () => {
        await waitFor(() => s.connections().open === 0, 5000, 'the connections of earlier replies to close');
        // The server has let go; give the client a turn of the event loop to see the close too.
        await new Promise((resolve) => setTimeout(resolve, 20));
      };
    }
    return served;
  };

const phpFpm: Start = async (port) => {
  const fpm: PhpFpm = await startPhpFpm({ listen: 'tcp', port });
  return { url: fpm.address, stop: () => fpm.stop() };
};

const HANDLER_HTTP_DOWN =
  /^cannot connect to http:\/\/127\.0\.0\.1:\d+\/handler \(connection refused \(is the handler running\?\)\)$/;
const FASTCGI_DOWN =
  /^cannot connect to FastCGI server 127\.0\.0\.1:\d+: connection refused \(is the FastCGI server running\?\)$/;

/** The deskResponder's tools unless told otherwise. */
const handlerRest = (
  kind: 'handler-http' | 'handler-fastcgi',
  opts: { entrypoint?: string; quick?: ToolCall & { text: string }; slow?: ToolCall } = {},
) => {
  const down = kind === 'handler-http' ? HANDLER_HTTP_DOWN : FASTCGI_DOWN;
  return {
    kind,
    // As the gateway makes them: retried for as long as they are configured.
    create: (name: string, policy: BackoffPolicy, url: string) =>
      createHandlerUpstream(specFor(name, url, opts.entrypoint ? { entrypoint: opts.entrypoint } : {}), {
        backoff: retryForever(policy),
      }),
    policy: retryForever,
    quick: opts.quick ?? { tool: 'echo', arguments: { message: 'hi' }, text: 'hi' },
    slow: opts.slow ?? { tool: 'slow', arguments: {} },
    downReason: down,
    lostReason: down,
    noticesLoss: 'on-request' as const,
  };
};

describeUpstreamLifecycle('stdio MCP (stateful fixture)', () => stdioBackend(FIXTURE_SERVER));

describeUpstreamLifecycle('stdio MCP (stateless 2026-07-28 server)', () => stdioBackend(STATELESS_SERVER));

describeUpstreamLifecycle('remote MCP over Streamable HTTP (everything server)', () =>
  remoteBackend(everything('streamableHttp'), 'streamable-http', {
    ...EVERYTHING_CALLS,
    downReason: refused('/mcp'),
    lostReason: LOST_REMOTE,
  }),
);

describeUpstreamLifecycle('remote MCP over legacy HTTP+SSE (everything server)', () =>
  remoteBackend(everything('sse'), 'sse', {
    ...EVERYTHING_CALLS,
    downReason: refused('/sse'),
    lostReason: LOST_REMOTE,
  }),
);

describeUpstreamLifecycle('stateless 2026-07-28 MCP over HTTP', () =>
  remoteBackend(stateless, 'auto', {
    quick: { tool: 'echo', arguments: { message: 'hi' }, text: 'hi' },
    slow: { tool: 'slow', arguments: { steps: 50, delayMs: 100 } },
    // One POST per request: the loss shows when its subscriptions/listen stream breaks and cannot be reopened.
    downReason: refused('/mcp'),
    lostReason: refused('/mcp'),
  }),
);

describeUpstreamLifecycle('JSON handler over HTTP', () =>
  networkBackend(
    inProcess((port) => startHttpHandler(deskResponder, { port })),
    handlerRest('handler-http'),
  ),
);

describeUpstreamLifecycle('JSON handler over FastCGI (node-fastcgi)', () =>
  networkBackend(
    inProcess((port) => startFastcgiHandler(deskResponder, { listen: 'tcp', port }), true),
    handlerRest('handler-fastcgi', { entrypoint: '/srv/desk/handler.js' }),
  ),
);

describeUpstreamLifecycle('JSON handler over FastCGI (php-fpm)', () =>
  networkBackend(
    phpFpm,
    handlerRest('handler-fastcgi', {
      entrypoint: MISBEHAVE_PHP,
      quick: { tool: 'warning', arguments: {}, text: 'ok despite the warning' },
      slow: { tool: 'slow', arguments: { ms: 2000 } },
    }),
  ),
);
