/**
 * A client that opens Streamable HTTP sessions and never ends them (no DELETE), and one that goes
 * quiet. The gateway keeps at most 1000 sessions: past that the one idle longest is ended (logged,
 * naming it; its client is told 404 and initializes again), never one with a request or an event
 * stream open; and a session idle past its time is ended the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import { fixtureServer, httpClient, startGateway, tempDir, textOf, writeConfig } from '../helpers/gateway.ts';
import { JSON_HEADERS, rawSession, type RawSession } from '../helpers/raw-http.ts';

const MAX_SESSIONS = 1000;

/** Opens the session's standalone event stream (GET) and keeps it open until `abort`. */
async function openEventStream(url: string, session: RawSession, abort: AbortController): Promise<void> {
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': session.sessionId, 'mcp-protocol-version': '2025-06-18' },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  // Read it (nothing comes) so the stream stays connected.
  void res.body?.pipeTo(new WritableStream()).catch(() => undefined);
}

/** An initialize that is never followed by anything: the session it makes is left behind. */
async function leak(url: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'leaky', version: '1' } },
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

const toolsList = { jsonrpc: '2.0', id: 7, method: 'tools/list' };

describe('HTTP sessions that are never ended', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let url: string;
  const warnings: string[] = [];
  const streams = new AbortController();

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config);
    gateway.on('log', (note: { text: string }) => warnings.push(note.text));
    url = gateway.httpUrl()!;
  });
  afterAll(async () => {
    streams.abort();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('keeps at most 1000: the one idle longest is ended and logged, a session with a stream open is kept', async () => {
    const quiet = await rawSession(url);
    const listening = await rawSession(url);
    await openEventStream(url, listening, streams);
    for (let i = 0; i < MAX_SESSIONS; i += 50) await Promise.all(Array.from({ length: 50 }, () => leak(url)));

    // The quiet one is gone, and its client hears so in the words that make it initialize again.
    const gone = await quiet.post(toolsList);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { message: 'Session not found: initialize a new session' } });
    expect(warnings).toContain(
      `client session ${quiet.sessionId.slice(0, 8)} (raw 1, streamable-http, profile default) ended: ` +
        `${MAX_SESSIONS} HTTP sessions are open (the most Switchboard keeps), and it had been idle longest; ` +
        'it must initialize again',
    );
    // The one listening on its stream goes on, and a new client still gets in.
    expect(await listening.call(toolsList)).toMatchObject({ result: { tools: expect.any(Array) } });
    const fresh = await httpClient(url);
    try {
      const echo = await fresh.callTool({ name: 'fx__echo', arguments: { message: 'in' } });
      expect(textOf(echo)).toBe('in');
    } finally {
      await fresh.close();
    }
    expect((await gateway.api.listSessions()).length).toBeLessThanOrEqual(MAX_SESSIONS);
  }, 60_000);
});

describe('an HTTP session left idle', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let url: string;
  const streams = new AbortController();

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config, { httpSessionIdleMs: 500 });
    url = gateway.httpUrl()!;
  });
  afterAll(async () => {
    streams.abort();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is ended after its idle time; one with its event stream open is not', async () => {
    const quiet = await rawSession(url);
    const listening = await rawSession(url);
    await openEventStream(url, listening, streams);
    // Idle past 500 ms, swept every 500 ms (asking sooner would make it busy again).
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await quiet.post(toolsList)).status).toBe(404);
    expect(await listening.call(toolsList)).toMatchObject({ result: { tools: expect.any(Array) } });
  }, 20_000);
});
