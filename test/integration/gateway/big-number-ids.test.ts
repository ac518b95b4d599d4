/**
 * Request ids that are JSON numbers JSON.parse cannot hold exactly (past 2^53, or with digits a
 * double drops): the answer carries the id as its sender wrote it, byte for byte, or the sender
 * never matches it. On every client transport, and for a server's own request (roots/list).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { probeSocket, type Gateway } from '../../../main/engine/index.ts';
import { runtimePaths } from '../../../main/shared/paths.ts';
import { CLI, NODE, ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { INITIALIZE, rawStdio, type RawStdio } from '../../helpers/raw-stdio.ts';
import { JSON_HEADERS, rawSession } from '../../helpers/raw-http.ts';
import { STATELESS, statelessMeta } from '../../helpers/stateless.ts';

const BIG_ID_SERVER = path.join(ROOT, 'test/fixtures/servers/big-id-server.ts');

/** Ids whose text JSON.parse then JSON.stringify changes: rounded past 2^53, or written another way. */
const IDS = ['9007199254740993', '12345678901234567890', '-12345678901234567890', '1.50', '1e21'];

const echoText = (id: string, message: string) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call",` +
  `"params":{"name":"fx__echo","arguments":{"message":"${message}"}}}`;

/** The id text of an answer as the gateway writes it (`jsonrpc` first, then `id`); undefined for other lines. */
const ANSWER = /^\{"jsonrpc":"2\.0","id":([^,]+),"(?:result|error)"/;
const answerIdText = (line: string) => ANSWER.exec(line)?.[1];

/** A call of fx's slow tool (two progress steps) asking for progress on token `token` (its JSON text). */
const slowText = (id: number, token: string) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call",` +
  `"params":{"name":"fx__slow","arguments":{"steps":2},"_meta":{"progressToken":${token}}}}`;

/** The token text of each progress notification among `lines`, as written. */
const progressTokenTexts = (lines: string[]) =>
  lines
    .filter((line) => line.includes('"notifications/progress"'))
    .map((line) => /"progressToken":(-?[0-9][0-9.eE+-]*|"[^"]*")/.exec(line)?.[1]);

/** The id text of the answer to a line sent now (the next answer the client gets). */
async function idOfAnswer(client: RawStdio, line: string): Promise<string> {
  const before = client.lines.length;
  client.sendText(line);
  return waitFor(
    () =>
      client.lines
        .slice(before)
        .map(answerIdText)
        .find((id) => id !== undefined),
    20_000,
    `the answer to ${line}`,
  );
}

describe('number ids JSON.parse would round come back as sent', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-bigid-');
    config = await writeConfig(dir.dir, {
      mcpServers: { fx: fixtureServer('fx'), big: { command: NODE, args: [BIG_ID_SERVER] } },
    });
    gateway = await startGateway(config, { runtimeDir: path.join(dir.dir, 'run'), socket: true });
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('over Streamable HTTP: the answer (JSON or SSE) carries the id text', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    for (const id of IDS) {
      for (const accept of ['application/json', JSON_HEADERS.accept]) {
        const res = await s.post(echoText(id, 'hi'), { accept });
        const text = (await res.text()).replace(/^(?:event: message\n)?(?:id: .*\n)?data: /m, '');
        expect(answerIdText(text.slice(text.indexOf('{'))), `${id} answered as ${accept}`).toBe(id);
      }
      // A refusal too (no such tool).
      const refused = await s.post(echoText(id, 'hi').replace('fx__echo', 'fx__nope'), { accept: 'application/json' });
      expect(answerIdText(await refused.text())).toBe(id);
    }
  });

  it('over Streamable HTTP: progress notifications carry the progress token text', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    for (const token of IDS) {
      const res = await s.post(slowText(1, token));
      const lines = (await res.text()).split('\n').filter((l) => l.startsWith('data: '));
      expect(progressTokenTexts(lines), `token ${token}`).toEqual([token, token]);
    }
  });

  it("a 2026-07-28 client's progress notifications carry the progress token text", async () => {
    for (const token of IDS) {
      const meta = JSON.stringify(statelessMeta({}, { progressToken: 0 })).replace(
        '"progressToken":0',
        `"progressToken":${token}`,
      );
      const res = await fetch(gateway.httpUrl()!, {
        method: 'POST',
        headers: {
          ...JSON_HEADERS,
          'mcp-protocol-version': STATELESS,
          'mcp-method': 'tools/call',
          'mcp-name': 'fx__slow',
        },
        body: slowText(1, token).replace(/"_meta":\{[^}]*\}/, `"_meta":${meta}`),
      });
      const lines = (await res.text()).split('\n').filter((l) => l.startsWith('data: '));
      expect(progressTokenTexts(lines), `token ${token}`).toEqual([token, token]);
    }
  });

  it('over `serve --stdio`: the answer line carries the id text', async () => {
    const env = { ...process.env, SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state') };
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--no-socket', '--config', config], env);
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      for (const id of IDS) expect(await idOfAnswer(client, echoText(id, 'hi'))).toBe(id);
      // A progress token too, in the notifications the call's answer follows.
      for (const token of IDS) {
        const before = client.lines.length;
        await idOfAnswer(client, slowText(1, token));
        expect(progressTokenTexts(client.lines.slice(before)), `token ${token}`).toEqual([token, token]);
      }
      // The initialize itself, on a fresh session.
      const fresh = rawStdio(NODE, [CLI, 'serve', '--stdio', '--no-socket', '--config', config], env);
      try {
        const init = JSON.stringify(INITIALIZE(0)).replace('"id":0', '"id":12345678901234567890');
        expect(await idOfAnswer(fresh, init)).toBe('12345678901234567890');
      } finally {
        fresh.close();
      }
    } finally {
      client.close();
    }
  });

  it('through the shim: the answer line carries the id text', async () => {
    const env = { ...process.env, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run') };
    await waitFor(() => probeSocket(runtimePaths(env).socket), 10_000, 'the shim socket');
    const client = rawStdio(NODE, [CLI, 'shim'], env);
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      for (const id of IDS) expect(await idOfAnswer(client, echoText(id, 'hi'))).toBe(id);
      for (const token of IDS) {
        const before = client.lines.length;
        await idOfAnswer(client, slowText(1, token));
        expect(progressTokenTexts(client.lines.slice(before)), `token ${token}`).toEqual([token, token]);
      }
    } finally {
      client.close();
    }
  });

  it("a server's own request: its answer carries the id text the server sent", async () => {
    const s = await rawSession(gateway.httpUrl()!);
    for (const id of IDS) {
      const answer = await s.call({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'big__ask_roots', arguments: { id } },
      });
      const content = (answer.result as { content: { text: string }[] }).content;
      expect(content[0]?.text).toBe(`answered with id ${id}`);
    }
  });
});
