/**
 * headersToEnv: an isolated stdio server started for an HTTP client gets that client's header
 * values as environment variables, so one gateway serves several users' tokens to a server that
 * reads its token from the environment. Real SDK clients with their own headers, the fixture
 * server over stdio; a careless server printing its token finds it redacted in the log.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { fixtureServer, startGateway, tempDir, textOf, waitFor, writeConfig } from '../../helpers/gateway.ts';

const ALICE = 'tok-alice-7f3a9c1e5b';
const BOB = 'tok-bob-2d8e4f6a0c';

describe('client headers as environment of an isolated server', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const clients: Client[] = [];
  /** What the servers printed, as the app shows it live (the `log` event). */
  const printed: string[] = [];

  const client = async (headers: Record<string, string>): Promise<Client> => {
    const c = new Client({ name: 'user', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!), { requestInit: { headers } }));
    clients.push(c);
    return c;
  };
  const sessionOf = (c: Client) => (c.transport as StreamableHTTPClientTransport).sessionId;
  const token = async (c: Client) => textOf(await c.callTool({ name: 'per__env', arguments: { name: 'USER_TOKEN' } }));

  beforeAll(async () => {
    dir = await tempDir('sb-h2e-');
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        per: { ...fixtureServer('per'), isolated: true, headersToEnv: { 'X-User-Token': 'USER_TOKEN' } },
        shared: fixtureServer('shared'),
      },
    });
    gateway = await startGateway(config, { logDir: path.join(dir.dir, 'logs') });
    gateway.events.on('log', (line) => printed.push(line.text));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it("gives each client's process that client's header value, and none to a client without it", async () => {
    const alice = await client({ 'X-User-Token': ALICE });
    const bob = await client({ 'x-user-token': BOB });
    const nobody = await client({});
    const [a, b, n] = await Promise.all([token(alice), token(bob), token(nobody)]);
    expect(a).toBe(ALICE);
    expect(b).toBe(BOB);
    expect(n).toBe('(unset)');
    // Three clients, three processes.
    expect(gateway.servers().find((s) => s.name === 'per')?.instances).toBe(3);
  });

  it('hides the values from what the server printed: live and in its log file', async () => {
    await waitFor(() => printed.filter((l) => l.includes('USER_TOKEN=')).length >= 3, 5000, 'three lines printed');
    const file = await readFile(path.join(dir.dir, 'logs', 'per.log'), 'utf8');
    for (const text of [printed.join('\n'), file]) {
      expect(text).toContain('USER_TOKEN=[redacted:USER_TOKEN]');
      expect(text).not.toContain(ALICE);
      expect(text).not.toContain(BOB);
    }
  });

  it("hides a client's value in what that client does only: other clients' records and logs keep it", async () => {
    // Any user of a team gateway chooses their header's value: "echo" from one must not blank the
    // word in another user's calls, answers and server output, in the record or the log.
    const mallory = await client({ 'X-User-Token': 'echo' });
    expect(await token(mallory)).toBe('echo');
    const alice = await client({ 'X-User-Token': ALICE });
    expect(textOf(await alice.callTool({ name: 'shared__echo', arguments: { message: 'echo, echo' } }))).toBe(
      'echo, echo',
    );
    expect(textOf(await alice.callTool({ name: 'shared__env', arguments: { name: 'echo_mode' } }))).toBe('(unset)');
    expect(await token(alice)).toBe(ALICE);

    const calls = async () =>
      (await gateway.api.listTraffic({ method: 'tools/call', limit: 1000 })).entries.filter((e) => e.response);
    await waitFor(async () => (await calls()).filter((e) => e.server === 'shared').length >= 4, 5000, 'shared calls');
    const shared = (await calls()).filter((e) => e.server === 'shared' && e.session?.client?.name === 'user');
    const echo = shared.find((e) => e.edge === 'upstream' && e.target === 'echo');
    expect(echo, "the call of the shared server's echo, by its name").toBeDefined();
    expect(echo?.request.json).toContain('"echo, echo"');
    expect(echo?.response?.json).toContain('"echo, echo"');
    expect(shared.find((e) => e.edge === 'client' && e.target === 'shared__echo')).toBeDefined();
    expect(JSON.stringify(shared)).not.toContain('[redacted');
    // Each client's own value is still hidden wherever that client's calls are recorded.
    const record = JSON.stringify(await calls());
    expect(record).not.toContain(ALICE);
    const hers = (await calls()).filter((e) => e.session?.id === sessionOf(mallory) && e.server === 'per');
    expect(hers.map((e) => e.edge).sort()).toEqual(['client', 'upstream']);
    for (const e of hers) expect(e.response?.json).toContain('"text":"[redacted:USER_TOKEN]"');

    await waitFor(() => printed.some((l) => l.startsWith('echo_mode=')), 5000, 'the shared server printed');
    expect(printed).toContain('echo_mode=(unset)');
    const file = await readFile(path.join(dir.dir, 'logs', 'shared.log'), 'utf8');
    expect(file).toContain('echo_mode=(unset)');
  });

  it("shows the user a question a client's process asks without that client's value only", async () => {
    // Neither client can show a form: each process's question comes to the app.
    const asking = await client({ 'X-User-Token': 'your name' });
    const other = await client({ 'X-User-Token': BOB });
    const answers = [asking, other].map((c) => c.callTool({ name: 'per__ask', arguments: {} }));
    await waitFor(async () => (await gateway.api.listQuestions()).length === 2, 5000, 'both questions');
    const questions = await gateway.api.listQuestions();
    expect(questions.map((q) => q.message).sort()).toEqual(['What is [redacted:USER_TOKEN]?', 'What is your name?']);
    for (const q of questions) await gateway.api.answerQuestion(q.id, { action: 'accept', content: { name: 'Ada' } });
    expect((await Promise.all(answers)).map(textOf)).toEqual(['hello Ada', 'hello Ada']);
  });
});
