/**
 * The measured paths: how each one is started, which client transport reaches it, which of its
 * processes are "the bridge" (CPU and memory are read for those, never for the echo server), and
 * which direct path it is compared with.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { ProcessGroup, Spawned } from './proc.ts';
import { HttpRpc, StdioRpc, type RpcClient } from './rpc.ts';

export interface PathContext {
  root: string;
  /** Where bench's own programs were stripped to JavaScript (lib/build.ts). */
  js: string;
  /** The Node 24 binary every process runs on. */
  node: string;
  /** Private scratch directory of this path-round. */
  tmp: string;
  group: ProcessGroup;
  /** When set, Switchboard and floor processes run with --cpu-prof into this directory. */
  profileDir?: string;
  /** Switchboard's CLI entry: out/main/cli.js, as npm start runs it (main/cli.ts with --switchboard-ts). */
  switchboardCli?: string;
  /** Node flags for Switchboard processes: GATEWAY_NODE_FLAGS, or --node-flags. */
  switchboardFlags?: string[];
}

export interface Started {
  client: RpcClient;
  /** performance.now() just before the bridge (or, for a direct path, the server) was spawned. */
  spawnedAt: number;
  /** Root pids of the bridge; their trees minus the echo servers are measured. Empty: direct. */
  bridge: number[];
  /** Names for the bridge roots, in order (default "root N"). */
  bridgeNames?: string[];
  /** Another client session on the same bridge (the id-collision check); absent when n/a. */
  newClient?: () => Promise<RpcClient>;
  /** Bridge stderr, for diagnostics. */
  diagnostics: () => string;
  /** Switchboard's own view of its servers (GET /api/servers), to tell "not available" from "slow". */
  status?: () => Promise<{ name: string; state: string; lastError?: string }[]>;
}

export type PathKind = 'direct' | 'floor' | 'switchboard' | 'peer';

export interface PathSpec {
  id: string;
  label: string;
  kind: PathKind;
  /** Which direct path is the base for "added" latency. */
  base: 'direct-stdio' | 'direct-http';
  /** The path forwards progress notifications (false: the floor bridge and JSON handlers, by design). */
  progress: boolean;
  note?: string;
  start(ctx: PathContext): Promise<Started>;
}

/** The echo servers are `node <scratch>/build/servers/*.js`: never counted as bridge. */
export const isEchoServer = (argv: string[]): boolean => /\/sbb-[^/]+\/build\/servers\//.test(argv[1] ?? '');

const URL_LINE = /listening (\S+)/;
const SWITCHBOARD_URL = /HTTP (http:\/\/127\.0\.0\.1:\d+\/mcp)/;

/** A bench program, as the JavaScript lib/build.ts made of it. */
function script(ctx: PathContext, rel: string): string {
  return path.join(ctx.js, rel.replace(/\.ts$/, '.js'));
}

function stdioEcho(ctx: PathContext): string[] {
  return [ctx.node, script(ctx, 'servers/stdio-echo.ts')];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startServer(ctx: PathContext, rel: string): Promise<{ spawned: Spawned; address: string }> {
  const spawned = ctx.group.spawn(ctx.node, [script(ctx, rel)]);
  const m = await spawned.waitFor(URL_LINE, 15_000);
  return { spawned, address: m[1] as string };
}

function stdioClient(
  ctx: PathContext,
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): { spawned: Spawned; client: StdioRpc } {
  const spawned = ctx.group.spawn(command, args, { pipeStdio: true, ...(env ? { env } : {}) });
  return { spawned, client: new StdioRpc(spawned.child) };
}

/** Environment for a Switchboard process: its runtime and state directories inside tmp. */
function switchboardEnv(ctx: PathContext): NodeJS.ProcessEnv {
  const run = path.join(ctx.tmp, 'run');
  mkdirSync(run, { recursive: true, mode: 0o700 });
  return {
    ...process.env,
    SWITCHBOARD_RUNTIME_DIR: run,
    SWITCHBOARD_STATE_DIR: path.join(ctx.tmp, 'state'),
    XDG_CONFIG_HOME: path.join(ctx.tmp, 'config'),
  };
}

function profileFlags(ctx: PathContext, name: string): string[] {
  return ctx.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}-\${pid}.cpuprofile`]
    : [];
}

function switchboardArgs(ctx: PathContext, name: string, args: string[]): string[] {
  return [
    ...profileFlags(ctx, name),
    ...(ctx.switchboardFlags ?? []),
    ctx.switchboardCli ?? path.join(ctx.root, 'main/cli.ts'),
    ...args,
  ];
}

function writeConfig(
  ctx: PathContext,
  servers: Record<string, unknown>,
  listen: Record<string, unknown>,
  more: Record<string, unknown> = {},
): string {
  const file = path.join(ctx.tmp, 'switchboard.json');
  writeFileSync(file, JSON.stringify({ mcpServers: servers, listen, ...more }, null, 2));
  return file;
}

/** `more`: other top-level config keys (the traffic record switched off, for one). */
async function switchboardHttp(
  ctx: PathContext,
  server: Record<string, unknown>,
  more: Record<string, unknown> = {},
): Promise<Started> {
  const config = writeConfig(ctx, { echo: server }, { http: { port: 0 }, socket: false }, more);
  const gw = ctx.group.spawn(
    ctx.node,
    switchboardArgs(ctx, 'gateway', ['serve', '--config', config, '--port', '0', '--no-socket']),
    { env: switchboardEnv(ctx) },
  );
  const url = (await gw.waitFor(SWITCHBOARD_URL, 30_000))[1] as string;
  const tokenFile = path.join(ctx.tmp, 'run', 'api-token');
  return {
    client: new HttpRpc(url),
    spawnedAt: gw.at,
    bridge: [gw.pid],
    newClient: async () => new HttpRpc(url),
    diagnostics: gw.stderr,
    status: async () => {
      const res = await fetch(new URL('/api/servers', url), {
        headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` },
        signal: AbortSignal.timeout(5000),
      });
      return res.ok ? ((await res.json()) as { name: string; state: string; lastError?: string }[]) : [];
    },
  };
}

export const PATHS: PathSpec[] = [
  {
    id: 'direct-stdio',
    label: 'direct stdio',
    kind: 'direct',
    base: 'direct-stdio',
    progress: true,
    async start(ctx) {
      const [cmd, ...args] = stdioEcho(ctx);
      const { spawned, client } = stdioClient(ctx, cmd as string, args);
      return { client, spawnedAt: spawned.at, bridge: [], diagnostics: spawned.stderr };
    },
  },
  {
    id: 'direct-http',
    label: 'direct HTTP',
    kind: 'direct',
    base: 'direct-http',
    progress: true,
    async start(ctx) {
      const { spawned, address } = await startServer(ctx, 'servers/http-echo.ts');
      return {
        client: new HttpRpc(address),
        spawnedAt: spawned.at,
        bridge: [],
        newClient: async () => new HttpRpc(address),
        diagnostics: spawned.stderr,
      };
    },
  },
  {
    id: 'byte-pipe',
    label: 'byte pipe (stdio floor)',
    kind: 'floor',
    base: 'direct-stdio',
    progress: true,
    async start(ctx) {
      const { spawned, client } = stdioClient(ctx, ctx.node, [
        ...profileFlags(ctx, 'byte-pipe'),
        script(ctx, 'bridges/byte-pipe.ts'),
        ...stdioEcho(ctx),
      ]);
      return { client, spawnedAt: spawned.at, bridge: [spawned.pid], diagnostics: spawned.stderr };
    },
  },
  {
    id: 'lean-bridge',
    label: 'lean HTTP→stdio (floor)',
    kind: 'floor',
    base: 'direct-stdio',
    progress: false,
    note: 'drops server notifications by design (no SSE)',
    async start(ctx) {
      const spawned = ctx.group.spawn(ctx.node, [
        ...profileFlags(ctx, 'lean-bridge'),
        script(ctx, 'bridges/lean-http-bridge.ts'),
        ...stdioEcho(ctx),
      ]);
      const url = (await spawned.waitFor(URL_LINE, 15_000))[1] as string;
      return {
        client: new HttpRpc(url),
        spawnedAt: spawned.at,
        bridge: [spawned.pid],
        newClient: async () => new HttpRpc(url),
        diagnostics: spawned.stderr,
      };
    },
  },
  {
    id: 'lean-remote',
    label: 'lean stdio→remote HTTP (floor)',
    kind: 'floor',
    base: 'direct-http',
    progress: false,
    note: 'drops server notifications by design',
    async start(ctx) {
      const { address } = await startServer(ctx, 'servers/http-echo.ts');
      const { spawned, client } = stdioClient(ctx, ctx.node, [
        ...profileFlags(ctx, 'lean-remote'),
        script(ctx, 'bridges/lean-stdio-http-bridge.ts'),
        address,
      ]);
      return { client, spawnedAt: spawned.at, bridge: [spawned.pid], diagnostics: spawned.stderr };
    },
  },
  {
    id: 'sb-http-stdio',
    label: 'Switchboard HTTP→stdio',
    kind: 'switchboard',
    base: 'direct-stdio',
    progress: true,
    start: (ctx) => switchboardHttp(ctx, { command: ctx.node, args: [script(ctx, 'servers/stdio-echo.ts')] }),
  },
  {
    id: 'sb-http-stdio-norec',
    label: 'Switchboard HTTP→stdio, traffic record off',
    kind: 'switchboard',
    base: 'direct-stdio',
    progress: true,
    note: 'config traffic.enabled false: the cost of recording is the difference to the path above',
    start: (ctx) =>
      switchboardHttp(
        ctx,
        { command: ctx.node, args: [script(ctx, 'servers/stdio-echo.ts')] },
        { traffic: { enabled: false } },
      ),
  },
  {
    id: 'sb-shim-stdio',
    label: 'Switchboard shim→stdio',
    kind: 'switchboard',
    base: 'direct-stdio',
    progress: true,
    note: "first call timed from the shim's spawn (gateway already running)",
    async start(ctx) {
      const env = switchboardEnv(ctx);
      const config = writeConfig(
        ctx,
        { echo: { command: ctx.node, args: [script(ctx, 'servers/stdio-echo.ts')] } },
        { http: false, socket: true },
      );
      const gw = ctx.group.spawn(
        ctx.node,
        switchboardArgs(ctx, 'gateway', ['serve', '--config', config, '--no-http']),
        { env },
      );
      await gw.waitFor(/shim socket \S+/, 30_000);
      const shim = (): { spawned: Spawned; client: StdioRpc } =>
        stdioClient(ctx, ctx.node, switchboardArgs(ctx, 'shim', ['shim']), env);
      const first = shim();
      return {
        client: first.client,
        spawnedAt: first.spawned.at,
        bridge: [gw.pid, first.spawned.pid],
        bridgeNames: ['gateway', 'shim'],
        newClient: async () => shim().client,
        diagnostics: () => gw.stderr() + first.spawned.stderr(),
      };
    },
  },
  {
    id: 'sb-stdio-http',
    label: 'Switchboard stdio→remote HTTP',
    kind: 'switchboard',
    base: 'direct-http',
    progress: true,
    async start(ctx) {
      const { address } = await startServer(ctx, 'servers/http-echo.ts');
      const config = writeConfig(ctx, { echo: { url: address } }, { http: false, socket: false });
      const { spawned, client } = stdioClient(
        ctx,
        ctx.node,
        switchboardArgs(ctx, 'gateway', ['serve', '--stdio', '--config', config]),
        switchboardEnv(ctx),
      );
      return { client, spawnedAt: spawned.at, bridge: [spawned.pid], diagnostics: spawned.stderr };
    },
  },
  {
    id: 'sb-handler-http',
    label: 'Switchboard → JSON handler (HTTP)',
    kind: 'switchboard',
    base: 'direct-http',
    progress: false,
    note: 'the handler contract has no progress',
    async start(ctx) {
      const { address } = await startServer(ctx, 'servers/handler-http.ts');
      return switchboardHttp(ctx, { handler: address });
    },
  },
  {
    id: 'sb-handler-fastcgi',
    label: 'Switchboard → JSON handler (FastCGI)',
    kind: 'switchboard',
    base: 'direct-http',
    progress: false,
    note: 'the handler contract has no progress',
    async start(ctx) {
      const { address } = await startServer(ctx, 'servers/handler-fastcgi.ts');
      return switchboardHttp(ctx, { handler: address, entrypoint: script(ctx, 'servers/handler-fastcgi.ts') });
    },
  },
  {
    id: 'supergateway',
    label: 'supergateway (stateful Streamable HTTP)',
    kind: 'peer',
    base: 'direct-stdio',
    progress: true,
    note: '--stateful --logLevel none; one echo process per session',
    async start(ctx) {
      const port = await freePort();
      const bin = path.join(ctx.root, 'node_modules/supergateway/dist/index.js');
      const echo = stdioEcho(ctx)
        .map((a) => `'${a}'`)
        .join(' ');
      const spawned = ctx.group.spawn(ctx.node, [
        '--import',
        script(ctx, 'peers/loopback-only.ts'),
        bin,
        '--stdio',
        echo,
        '--outputTransport',
        'streamableHttp',
        '--stateful',
        '--port',
        String(port),
        '--logLevel',
        'none',
      ]);
      const url = `http://127.0.0.1:${port}/mcp`;
      return {
        client: new HttpRpc(url),
        spawnedAt: spawned.at,
        bridge: [spawned.pid],
        newClient: async () => new HttpRpc(url),
        diagnostics: spawned.stderr,
      };
    },
  },
  {
    id: 'mcp-proxy',
    label: 'mcp-proxy (Streamable HTTP)',
    kind: 'peer',
    base: 'direct-stdio',
    progress: true,
    async start(ctx) {
      const port = await freePort();
      const bin = path.join(ctx.root, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');
      const spawned = ctx.group.spawn(ctx.node, [
        '--import',
        script(ctx, 'peers/loopback-only.ts'),
        bin,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--server',
        'stream',
        '--',
        ...stdioEcho(ctx),
      ]);
      const url = `http://127.0.0.1:${port}/mcp`;
      return {
        client: new HttpRpc(url),
        spawnedAt: spawned.at,
        bridge: [spawned.pid],
        newClient: async () => new HttpRpc(url),
        diagnostics: spawned.stderr,
      };
    },
  },
  {
    id: 'mcp-remote',
    label: 'mcp-remote (stdio→remote HTTP)',
    kind: 'peer',
    base: 'direct-http',
    progress: true,
    async start(ctx) {
      const { address } = await startServer(ctx, 'servers/http-echo.ts');
      const bin = path.join(ctx.root, 'node_modules/mcp-remote/dist/proxy.js');
      const { spawned, client } = stdioClient(
        ctx,
        ctx.node,
        ['--import', script(ctx, 'peers/loopback-only.ts'), bin, address, '--transport', 'http-only', '--silent'],
        {
          ...process.env,
          MCP_REMOTE_CONFIG_DIR: path.join(ctx.tmp, 'mcp-auth'),
        },
      );
      return { client, spawnedAt: spawned.at, bridge: [spawned.pid], diagnostics: spawned.stderr };
    },
  },
];
