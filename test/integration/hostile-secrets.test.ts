/**
 * Secrets never leave the keychain except to the server that needs them (issue 10, items 5 and
 * 6). Canary secrets from a memory secret store go to real servers that are careless with them:
 * a stdio server that prints its key to stderr (as is, URL-encoded, base64, in the base64 of Basic
 * credentials, split across writes) and crashes with it in the message, one that dies with it at
 * start, and a remote server whose URL carries user:password and whose 401 page echoes the
 * Authorization header back. Then every place the gateway stores or shows text is searched for
 * every spelling of every canary, also decoded from base64: the stderr files, lastError, every /api
 * answer, the live event stream, log events, the MCP client's error, the traffic record (its API
 * answers, exports and history file), and the output of `switchboard list`, `call` and `doctor`.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, createMemorySecretStore, parseConfigText, type Gateway } from '../../main/engine/index.ts';
import { CLI, NODE, ROOT, TEST_BACKOFF, tempDir, waitFor, writeConfig } from '../helpers/gateway.ts';

const LEAKY = path.join(ROOT, 'test/fixtures/servers/leaky-server.ts');

const CANARY = {
  apiKey: 'sk-canary-api-7f3a9b2c1d5e',
  password: 'p@ss/canary:42xyz',
  token: 'tok-canary-0123456789abcdef',
  envToken: 'env-canary-token-5566778899',
  envPassword: 'envpass-canary-31415926',
};

/** Every spelling of a value that must never appear. */
function spellings(value: string): string[] {
  return [value, encodeURIComponent(value), Buffer.from(value).toString('base64').replace(/=+$/, '')];
}

const FORBIDDEN = [
  ...Object.values(CANARY).flatMap(spellings),
  ...spellings(`user:${CANARY.password}`),
  ...spellings(`user:${CANARY.envPassword}`),
];

/**
 * The base64 runs of a text decoded, from each of their first four characters: one left after a
 * redaction starts anywhere in a group, and a secret inside one (HTTP Basic's `user:secret`) is
 * spelled differently at each start in its group of three bytes.
 */
function decodedBase64(text: string): string {
  const decoded: string[] = [];
  for (const run of text.match(/[A-Za-z0-9+/_-]{16,}/g) ?? [])
    for (let start = 0; start < 4; start++) decoded.push(Buffer.from(run.slice(start), 'base64').toString('latin1'));
  return decoded.join('\n');
}

function expectNoCanary(where: string, text: string): void {
  const decoded = decodedBase64(text);
  for (const value of FORBIDDEN) {
    if (text.includes(value)) throw new Error(`${where} contains a secret (${JSON.stringify(value)}):\n${text}`);
    if (decoded.includes(value))
      throw new Error(`${where} contains a secret in base64 (${JSON.stringify(value)}):\n${text}`);
  }
}

/** A remote MCP server that refuses everyone and echoes the credentials it got in its 401 page. */
async function startEchoing401(): Promise<{ port: number; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '(none)';
    seen.push(auth);
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
    req.resume();
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: `bad credentials ${auth} ${decoded}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, seen };
}

async function readAll(dir: string): Promise<string> {
  let out = '';
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile())
      out += `\n--- ${entry.name}\n${await readFile(path.join(entry.parentPath, entry.name), 'utf8')}`;
  return out;
}

const run = promisify(execFile);
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  try {
    const { stdout, stderr } = await run(NODE, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`;
  }
}

describe('canary secrets given to careless servers appear nowhere', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let remote: Awaited<ReturnType<typeof startEchoing401>>;
  let gateway: Gateway;
  const events: string[] = [];
  const logLines: string[] = [];
  let stream: { text: string; stop(): void };

  beforeAll(async () => {
    dir = await tempDir();
    remote = await startEchoing401();
    const leaky = (extra: Record<string, string> = {}) => ({
      command: NODE,
      args: [LEAKY],
      env: { LEAK_VAR: 'SERVICE_KEY', SERVICE_KEY: '${secret:api-key}', ...extra },
    });
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        leaky: leaky(),
        dead: leaky({ LEAKY_FAIL_START: '1' }),
        remote: { url: `http://user:\${secret:remote-password}@127.0.0.1:${remote.port}/mcp` },
      },
      listen: { http: { port: 0, token: '${secret:listen-token}' } },
    });
    gateway = createGateway({
      configPath: config,
      secrets: createMemorySecretStore({
        'api-key': CANARY.apiKey,
        'remote-password': CANARY.password,
        'listen-token': CANARY.token,
      }),
      version: 'test',
      socket: false,
      logDir: path.join(dir.dir, 'logs'),
      trafficHistoryFile: path.join(dir.dir, 'history', 'traffic.db'),
      backoff: TEST_BACKOFF,
    });
    gateway.events.onAny((event) => events.push(event.json));
    gateway.on('log', (line) => logLines.push(JSON.stringify(line)));
    gateway.on('status', (status) => logLines.push(JSON.stringify(status)));
    await gateway.start();
    stream = openEventStream(gateway.httpUrl()!.replace(/\/mcp$/, '/api/events'), gateway.apiToken()!);
  });
  afterAll(async () => {
    stream?.stop();
    await gateway?.stop();
    await new Promise((resolve) => remote?.server.close(resolve));
    await dir?.cleanup();
  });

  it('serves clients with the token from the keychain, and nothing shows a secret', async () => {
    // A client that names itself, a tool and a resource with a secret in them.
    const client = new Client({ name: `canary-client ${CANARY.apiKey}`, version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!), {
        requestInit: { headers: { authorization: `Bearer ${CANARY.token}` } },
      }),
    );
    let crash = '';
    let rejected = '';
    try {
      await client.callTool({ name: 'leaky__leak', arguments: {} });
      await client.callTool({ name: `leaky__${CANARY.apiKey}`, arguments: {} }).catch((err: unknown) => err);
      await client.readResource({ uri: `file:///x?key=${CANARY.apiKey}` }).catch((err: unknown) => err);
      rejected = await client.callTool({ name: 'leaky__reject', arguments: {} }).then(
        (r) => JSON.stringify(r),
        (err: unknown) => String(err),
      );
      crash = await client.callTool({ name: 'leaky__crash', arguments: {} }).then(
        (r) => JSON.stringify(r),
        (err: unknown) => String(err),
      );
    } finally {
      await client.close();
    }
    expect(crash).toMatch(/exited with code 1/);
    expectNoCanary('the error the MCP client got', crash);
    expect(rejected).toMatch(/key \[redacted:api-key\] was rejected/);

    const dead = await waitFor(() => gateway.servers().find((s) => s.name === 'dead' && s.state === 'failed'));
    expect(dead.lastError).toMatch(/rejected the key \[redacted:api-key\]/);
    const remoteStatus = await waitFor(() => gateway.servers().find((s) => s.name === 'remote' && s.lastError));
    // The server did get its credentials, as Basic auth; what it echoed is hidden.
    expect(remote.seen[0]).toBe(`Basic ${Buffer.from(`user:${CANARY.password}`).toString('base64')}`);
    expect(remoteStatus.lastError).toMatch(/HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/mcp: bad credentials/);
    expect(remoteStatus.lastError).toContain('[redacted:');
    await waitFor(() => gateway.servers().find((s) => s.name === 'leaky' && s.state === 'ready'));

    const api = async (route: string): Promise<string> => {
      const res = await fetch(gateway.httpUrl()!.replace(/\/mcp$/, `/api${route}`), {
        headers: { authorization: `Bearer ${gateway.apiToken()!}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const post = async (route: string, body: unknown): Promise<string> => {
      const res = await fetch(gateway.httpUrl()!.replace(/\/mcp$/, `/api${route}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.apiToken()!}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const answers = [await api('/status'), await api('/servers'), await api('/tools')];
    for (const name of ['leaky', 'dead', 'remote']) answers.push(await api(`/servers/${name}/log`));
    const leakyLog = answers[3]!;
    expect(leakyLog).toContain('debug: SERVICE_KEY=[redacted:api-key]');
    // The traffic record: the rejected call's error quoted the key, and the client sent the token.
    const traffic = await post('/traffic/query', { limit: 1000 });
    expect(traffic).toContain('[redacted:api-key] was rejected');
    expect(traffic).toMatch(/leaked, as Basic [A-Za-z0-9+/]*\[redacted:api-key\]/);
    expect(traffic).toContain('"target":"leaky__[redacted:api-key]"');
    expect(traffic).toContain('"target":"file:///x?key=[redacted:api-key]"');
    expect(traffic).toContain('"name":"canary-client [redacted:api-key]"');
    const [rejectedCall] = (JSON.parse(traffic) as { entries: { id: string; target?: string }[] }).entries.filter(
      (e) => e.target === 'leaky__reject',
    );
    answers.push(traffic, await api(`/traffic/${rejectedCall!.id}`), await post('/traffic/stats', {}));
    answers.push(await post('/traffic/export/jsonl', {}), await post('/traffic/export/har', {}));
    for (const answer of answers) expectNoCanary('an /api answer', answer);

    await gateway.stop();
    const files = await readAll(path.join(dir.dir, 'logs'));
    expect(files).toContain('debug: base64 [redacted:api-key]');
    expect(files).toMatch(/debug: basic \S*\[redacted:api-key\]\S* and \S*\[redacted:api-key\]/);
    expect(files).toContain('debug: config {"key": "[redacted:api-key]"}');
    expectNoCanary('the stderr log files', files);
    const history = await readAll(path.join(dir.dir, 'history'));
    expect(history).toContain('[redacted:api-key] was rejected');
    expectNoCanary('the traffic history files', history);
    expectNoCanary('the events hub', events.join('\n'));
    expectNoCanary('/api/events', stream.text);
    expect(stream.text).toContain('[redacted:api-key]');
    expectNoCanary('log and status events', logLines.join('\n'));
  });

  it('list, call and doctor print no secret (env values that look secret, URL credentials)', async () => {
    const cliDir = path.join(dir.dir, 'cli');
    const env = {
      SWITCHBOARD_STATE_DIR: path.join(cliDir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(cliDir, 'run'),
      CANARY_SERVICE_TOKEN: CANARY.envToken,
      CANARY_REMOTE_PASSWORD: CANARY.envPassword,
    };
    const leaky = (extra: Record<string, string> = {}) => ({
      command: NODE,
      args: [LEAKY],
      env: { LEAK_VAR: 'SERVICE_TOKEN', SERVICE_TOKEN: '${env:CANARY_SERVICE_TOKEN}', ...extra },
    });
    const config = await writeConfig(
      dir.dir,
      {
        mcpServers: {
          leaky: leaky(),
          dead: leaky({ LEAKY_FAIL_START: '1' }),
          remote: { url: `http://user:\${env:CANARY_REMOTE_PASSWORD}@127.0.0.1:${remote.port}/mcp` },
        },
        listen: { http: false },
      },
      'cli.json',
    );
    const outputs = {
      list: await cli(['list', '--config', config, '--timeout', '8000'], env),
      json: await cli(['list', '--json', '--config', config, '--timeout', '8000'], env),
      call: await cli(['call', 'leaky', 'crash', '--config', config, '--timeout', '8000'], env),
      // A tool whose answer quotes its key, as text and as JSON.
      tell: await cli(['call', 'leaky', 'tell', '--config', config, '--timeout', '8000'], env),
      tellJson: await cli(['call', 'leaky', 'tell', '--json', '--config', config, '--timeout', '8000'], env),
      doctor: await cli(['doctor', '--config', config, '--timeout', '8000'], env),
    };
    expect(outputs.list).toMatch(/dead\s+stdio\s+failed/);
    expect(outputs.call).toMatch(/exited with code 1/);
    expect(outputs.tell).toMatch(/my key: \[redacted:/);
    expect(outputs.tellJson).toMatch(/my key: \[redacted:/);
    expect(outputs.doctor).toMatch(/remote: remote http:\/\/\S*@127\.0\.0\.1/);
    for (const [command, output] of Object.entries(outputs)) expectNoCanary(`switchboard ${command}`, output);
    expectNoCanary('the CLI stderr files', await readAll(path.join(cliDir, 'state')));
  });

  it('a listener token whose secret is missing is a config error naming it', async () => {
    const config = await writeConfig(dir.dir, { listen: { http: { port: 0, token: '${secret:gone}' } } }, 'gone.json');
    const gateway = createGateway({
      configPath: config,
      secrets: createMemorySecretStore(),
      version: 'test',
      socket: false,
    });
    await expect(gateway.start()).rejects.toThrow(
      /listen\.http\.token refers to \$\{secret:gone\}, which is not in the memory secret store \(add it on the/,
    );
    await gateway.stop();
  });

  it('a password written into a URL is a config error that says how to use the keychain, never echoing it', () => {
    const text = JSON.stringify({ mcpServers: { remote: { url: 'https://user:hunter2-canary@mcp.example.com/mcp' } } });
    let message = '';
    try {
      parseConfigText(text, '/tmp/config.json');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/mcpServers\.remote\.url: the URL has a user name or password in it/);
    expect(message).toContain('"Authorization": "Basic ${secret:NAME}"');
    expect(message).not.toContain('hunter2');
  });
});

/** Reads /api/events as text until stopped. */
function openEventStream(url: string, token: string): { text: string; stop(): void } {
  const controller = new AbortController();
  const state = { text: '', stop: () => controller.abort() };
  void fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
    .then(async (res) => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) state.text += decoder.decode(chunk);
    })
    .catch(() => undefined);
  return state;
}
