/**
 * The aggregation peer of the scale curves: mcp-hub (npm, pinned as a devDependency), given the
 * same many-tools-echo servers over stdio, listed by the same kind of client through its one
 * endpoint for every server (the legacy HTTP+SSE transport: GET /mcp, POST /messages). It runs
 * with a private HOME and XDG directories, so it reads and writes nothing of the user's; its
 * marketplace download fails at once here (no network) and it carries on with an empty catalog.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from './paths.ts';
import { readMemory, type ProcessGroup } from './proc.ts';
import type { Message } from './rpc.ts';
import type { Answer } from './scale-client.ts';
import { stopTree, type ScaleContext } from './scale-gateway.ts';

const require = createRequire(import.meta.url);

export interface Peer {
  name: string;
  url: string;
  listenerMs: number;
  readyMs: number;
  rssMb(): number;
  stop(timeoutMs?: number): Promise<{ exitMs: number; goneMs: number }>;
}

/** "mcp-hub 4.2.1", as installed. */
export function peerName(): string {
  const pkg = JSON.parse(readFileSync(require.resolve('mcp-hub/package.json'), 'utf8')) as { version: string };
  return `mcp-hub ${pkg.version}`;
}

/** Starts mcp-hub with `servers` × `tools` and waits until it says every server started. */
export async function startPeer(
  ctx: ScaleContext,
  group: ProcessGroup,
  servers: number,
  tools: number,
  timeoutMs = 60_000,
): Promise<Peer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(ctx.scratch, 'peer-'));
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const script = path.join(ctx.js, 'servers/many-tools-echo.js');
  const mcpServers: Record<string, unknown> = {};
  for (let i = 1; i <= servers; i++)
    mcpServers[`s${String(i).padStart(3, '0')}`] = { command: ctx.node, args: [script, String(tools)] };
  const config = path.join(dir, 'mcp-servers.json');
  writeFileSync(config, JSON.stringify({ mcpServers }, null, 2));
  const env = {
    ...process.env,
    HOME: home,
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
  };
  const cli = require.resolve('mcp-hub/dist/cli.js');
  const hub = group.spawn(ctx.node, [cli, '--port', String(port), '--config', config], { env, cwd: dir });
  const listening = hub.waitFor(/HTTP_SERVER_STARTED/, timeoutMs).then(() => performance.now());
  const started = await hub.waitFor(/"(\d+)\/(\d+) servers started successfully"/, timeoutMs);
  const readyAt = performance.now();
  if (started[1] !== String(servers))
    throw new Error(`mcp-hub started ${started[1]} of ${servers} servers\n${hub.stderr().slice(-1000)}`);
  const listenAt = await listening;
  group.sweep();
  return {
    name: peerName(),
    url: `http://127.0.0.1:${port}/mcp`,
    listenerMs: listenAt - hub.at,
    readyMs: readyAt - hub.at,
    rssMb: () => (readMemory(hub.pid)?.rssKb ?? NaN) / 1024,
    stop: (stopTimeoutMs = 15_000) => stopTree(hub, stopTimeoutMs),
  };
}

/**
 * One client of the legacy HTTP+SSE transport: the GET stream names the endpoint to POST to, and
 * every answer comes back on the stream. `bytes` is the answer's event as received.
 */
export class LegacySseSession {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private endpoint: URL | undefined;
  private stream: http.ClientRequest | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, (answer: Answer) => void>();

  constructor(url: string, agent: http.Agent) {
    this.url = new URL(url);
    this.agent = agent;
  }

  async initialize(timeoutMs = 10_000): Promise<void> {
    await this.open(timeoutMs);
    const { msg } = await this.request(
      'initialize',
      { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'bench-scale', version: '1.0.0' } },
      timeoutMs,
    );
    if (!msg.result) throw new Error(`initialize: ${JSON.stringify(msg.error)}`);
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, timeoutMs);
  }

  async request(method: string, params: Record<string, unknown>, timeoutMs = 30_000): Promise<Answer> {
    const id = this.nextId++;
    const answered = new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    await this.post({ jsonrpc: '2.0', id, method, params }, timeoutMs);
    return answered;
  }

  close(): Promise<void> {
    this.stream?.destroy();
    return Promise.resolve();
  }

  private open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.url, { method: 'GET', headers: { accept: 'text/event-stream' }, agent: false });
      this.stream = req;
      const timer = setTimeout(() => req.destroy(new Error('GET /mcp: no endpoint event')), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          res.resume();
          return reject(new Error(`GET /mcp: HTTP ${res.statusCode}`));
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('error', () => undefined);
        res.on('data', (chunk: string) => {
          buffer += chunk.replace(/\r\n?/g, '\n');
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: ?(.*)$/m.exec(event)?.[1] ?? 'message';
            const data = event
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(l[5] === ' ' ? 6 : 5))
              .join('\n');
            if (type === 'endpoint') {
              this.endpoint = new URL(data, this.url);
              clearTimeout(timer);
              resolve();
            } else if (type === 'message' && data !== '') {
              const msg = JSON.parse(data) as Message;
              if (typeof msg.id === 'number' && msg.method === undefined)
                this.waiting.get(msg.id)?.({ msg, bytes: Buffer.byteLength(event) + 2 });
              if (typeof msg.id === 'number') this.waiting.delete(msg.id);
            }
          }
        });
      });
      req.end();
    });
  }

  private post(body: Message, timeoutMs: number): Promise<void> {
    const endpoint = this.endpoint;
    if (!endpoint) return Promise.reject(new Error('not connected'));
    const payload = JSON.stringify(body);
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    return new Promise((resolve, reject) => {
      const req = http.request(endpoint, { method: 'POST', headers, agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`POST ${endpoint.pathname}: HTTP ${status}`));
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${body.method}: POST timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
