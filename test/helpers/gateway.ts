/** Test helpers: temp dirs, configs, an in-process gateway on port 0, MCP SDK clients, the CLI. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway, createMemorySecretStore, type Gateway, type GatewayOptions } from '../../main/engine/index.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const NODE = process.execPath;
export const CLI = path.join(ROOT, 'main/cli.ts');
export const FIXTURE = path.join(ROOT, 'test/fixtures/servers/fixture-server.ts');
const pkg = (name: string, file: string) => path.join(ROOT, 'node_modules/@modelcontextprotocol', name, 'dist', file);
export const EVERYTHING = pkg('server-everything', 'index.js');
export const MEMORY = pkg('server-memory', 'index.js');
export const FILESYSTEM = pkg('server-filesystem', 'index.js');

export function fixtureServer(name: string, env: Record<string, string> = {}): Record<string, unknown> {
  return { command: NODE, args: [FIXTURE], env: { FIXTURE_NAME: name, ...env } };
}

export async function tempDir(prefix = 'sb-test-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeConfig(dir: string, config: Record<string, unknown>, name = 'config.json'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/** Fast retries so crash tests do not wait for production backoff. */
export const TEST_BACKOFF = { initialMs: 50, maxMs: 200, maxAttempts: 4, stableMs: 60_000 };

/**
 * A gateway on port 0. Unless `settle` is false, it returns once no server is still starting (at
 * most 20 s): lists answer with what is ready after about a second, and most tests want every
 * server in them.
 */
export async function startGateway(
  configPath: string,
  extra: Partial<GatewayOptions> = {},
  { settle = true }: { settle?: boolean } = {},
): Promise<Gateway> {
  const gateway = createGateway({
    configPath,
    secrets: createMemorySecretStore(),
    version: 'test',
    http: { port: 0 },
    socket: false,
    backoff: TEST_BACKOFF,
    ...extra,
  });
  await gateway.start();
  if (settle) await settled(gateway);
  return gateway;
}

/**
 * Resolves once no server is starting and each ready one's tools are listed (or after `timeoutMs`,
 * whatever the state). Ready comes before the list: a client listing in between would get a list
 * without that server (after a wait of a second) and a list_changed later, which a busy machine
 * makes likely. A list that fails is waited for at most LIST_GRACE_MS.
 */
export async function settled(gateway: Gateway, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sleep = () => new Promise((r) => setTimeout(r, 25));
  while (Date.now() < deadline && gateway.servers().some((s) => s.state === 'starting')) await sleep();
  const listDeadline = Math.min(deadline, Date.now() + LIST_GRACE_MS);
  while (Date.now() < listDeadline && gateway.servers().some((s) => s.state === 'ready' && s.toolCount === undefined))
    await sleep();
}
const LIST_GRACE_MS = 5000;

export async function httpClient(url: string, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** Polls until `check` returns a truthy value or the time is up. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** Runs `switchboard ARGS` (main/cli.ts) with `env` as a user would: its exit code and output, never a rejection. */
/** The CLI with `input` on its stdin, as `printf VALUE | switchboard ...`. */
export function cliPiped(
  env: NodeJS.ProcessEnv,
  input: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(NODE, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export async function cliRun(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(NODE, [CLI, ...args], {
      env,
      timeout: 30_000,
      // An export of thousands of exchanges to stdout is megabytes.
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `switchboard serve --port 0 --no-socket` with `env`, once it listens: the process, its MCP address, its log. */
export async function serveGateway(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(NODE, [CLI, 'serve', '--port', '0', '--no-socket'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const url = await waitFor(() => /HTTP (http:\/\/\S+\/mcp)/.exec(stderr)?.[1], 20_000, 'the gateway to listen');
    return { child, url, stderr: () => stderr };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** The HTTP status an MCP client sending `token` gets for its initialize. */
export async function initializeWith(url: string, token: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'token-test', version: '1' } },
    }),
  });
  await res.body?.cancel();
  return res.status;
}
