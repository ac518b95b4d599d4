/**
 * Switchboard stopping (the app quit, `switchboard stop`) while an HTTP client's call runs: the client
 * hears that Switchboard stopped and that whether the call ran is unknown, as a shim client does, not
 * "Session ended before the request was answered" (or nothing, on an event stream).
 *
 * A real gateway on 127.0.0.1 with the fixture server; SDK clients over Streamable HTTP, one answered
 * as JSON and one on an event stream (progress asked for).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/gateway.ts';
import { fixtureServer, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

describe('Switchboard stopping with HTTP calls in flight', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } }));
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('tells each call that Switchboard stopped and that whether it ran is unknown', async () => {
    const plain = await httpClient(gateway.httpUrl()!);
    const streamed = await httpClient(gateway.httpUrl()!);
    // A call on an event stream got no answer at all: it waited for the client's own timeout (60 s).
    const outcome = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'answered',
          (err: Error) => err.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 10 s'), 10_000)),
      ]);
    const slow = { name: 'fx__slow', arguments: { steps: 50, delayMs: 200 } };
    const calls = [
      outcome(plain.callTool(slow)),
      outcome(streamed.callTool(slow, undefined, { onprogress: () => undefined })),
    ];
    await new Promise((resolve) => setTimeout(resolve, 500));
    await gateway.stop();
    for (const said of await Promise.all(calls))
      expect(said).toMatch(/Switchboard stopped while this request was in flight, so whether it ran is unknown/);
    await plain.close();
    await streamed.close();
  }, 30_000);
});
