/**
 * The Settings screen's changes through the control API, against a real gateway whose HTTP port
 * comes from its config file (no --port): what is refused says so at its field and leaves the file
 * as it was, and what is saved is where the gateway listens next.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { ROOT, fixtureServer, httpClient, startGateway, tempDir, waitFor } from '../../helpers/gateway.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Port 80 needs administrator rights on Linux (not on macOS or Windows): tried where it can be had. */
async function canListenOn80(): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(80, '127.0.0.1', () => resolve(true));
  });
  if (ok) await new Promise((resolve) => server.close(resolve));
  return ok;
}

const port80 = await canListenOn80();

/** What a caller sees of a refusal. */
async function refusal(call: Promise<unknown>): Promise<{ code?: string; message: string; field?: string }> {
  const err = (await call.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  )) as { code?: string; message: string; field?: string };
  return { code: err.code, message: err.message, field: err.field };
}

describe('changing settings through the control API', () => {
  let dir: { dir: string; cleanup(): Promise<void> } | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  async function start(text: string): Promise<{ gateway: Gateway; file: string }> {
    dir = await tempDir('sb-settings-');
    const file = path.join(dir.dir, 'config.json');
    await writeFile(file, text);
    gateway = await startGateway(file, { http: undefined, watch: true, uiDir: path.join(ROOT, 'renderer/dist') });
    return { gateway, file };
  }

  it('refuses a port outside 0 to 65535 at its field, in words, and writes nothing', async () => {
    const port = await freePort();
    const text = `{\n  "listen": { "http": { "port": ${port} } }, // mine\n}\n`;
    const { gateway, file } = await start(text);
    for (const bad of [70000, -1]) {
      const refused = await refusal(gateway.api.changeSettings({ httpPort: bad }));
      // It said "options.port should be >= 0 and < 65536. Received type number (70000)." above the form.
      expect(refused).toMatchObject({ code: 'invalid_request', field: 'httpPort' });
      expect(refused.message).toMatch(bad > 0 ? /at most 65535/ : /at least 0/);
      expect(refused.message).not.toMatch(/options\.port|RangeError/);
    }
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(new URL(gateway.httpUrl()!).port).toBe(String(port));
  });

  it('saves a port into a config whose listener is "http": true, and listens there', async () => {
    const next = await freePort();
    const { gateway, file } = await start(
      `// my gateway\n{\n  "listen": {\n    "http": true, // the defaults\n  },\n  "mcpServers": {},\n}\n`,
    );
    // It was refused: "listen.http" must be an object (the file was not changed).
    await gateway.api.changeSettings({ httpPort: next });
    expect(await readFile(file, 'utf8')).toBe(
      `// my gateway\n{\n  "listen": {\n    "http": {\n      "port": ${next}\n    }, // the defaults\n  },\n` +
        `  "mcpServers": {},\n}\n`,
    );
    await waitFor(() => gateway.httpUrl()?.includes(`:${next}/`), 10_000, 'the listener on the new port');
    await expect(gateway.api.getSettings()).resolves.toMatchObject({ httpPort: next });
  });

  it("says a problem the file already had (edited by hand) as the file's, not at the setting changed", async () => {
    const port = await freePort();
    const { gateway, file } = await start(
      `{\n  "listen": { "http": { "port": ${port} } },\n  "traffic": { "history": { "days": 7 } },\n}\n`,
    );
    const broken = (await readFile(file, 'utf8')).replace('"days": 7', '"days": "a week"');
    await writeFile(file, broken);
    await waitFor(() => gateway.configError(), 10_000, 'the config error');
    // It was refused at historyDays ("expected a number, got the string …") while the size was changed:
    // the screen put that under the days box, which shows the 7 days that run.
    expect(await refusal(gateway.api.changeSettings({ historyMaxBytes: 1024 * 1024 }))).toEqual({
      code: 'invalid_request',
      field: undefined,
      message:
        'the config file has a problem to fix first, at line 3, traffic.history.days: expected a number, got the ' +
        'string "a week" (the file was not changed)',
    });
    expect(await readFile(file, 'utf8')).toBe(broken);
    // A new value for that very setting is what fixes it.
    await gateway.api.changeSettings({ historyDays: 5 });
    await waitFor(() => gateway.configError() === undefined || undefined, 10_000, 'the file fixed');
    await expect(gateway.api.getSettings()).resolves.toMatchObject({ historyDays: 5 });
  });

  it('says at the port that HTTP is off in the config, rather than that listen.http must be an object', async () => {
    const text = '{ "listen": { "http": false } }\n';
    const { gateway, file } = await start(text);
    expect(await refusal(gateway.api.changeSettings({ httpPort: await freePort() }))).toEqual({
      code: 'invalid_request',
      field: 'httpPort',
      message:
        'HTTP is off in the config ("listen": { "http": false }): there is no port to change until it is turned on',
    });
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it.skipIf(!port80)('moves to port 80, where clients and browsers name the host alone', async () => {
    const port = await freePort();
    const { gateway } = await start(
      JSON.stringify({ listen: { http: { port } }, mcpServers: { fx: fixtureServer('fx') } }, null, 2),
    );
    await gateway.api.changeSettings({ httpPort: 80 });
    await waitFor(() => gateway.httpUrl() === 'http://127.0.0.1:80/mcp', 10_000, 'the listener on port 80');
    // Every request there was refused: Host header "127.0.0.1" is not this gateway's address.
    const client = await httpClient('http://127.0.0.1/mcp');
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx__echo');
    } finally {
      await client.close();
    }
    const page = await fetch('http://127.0.0.1/ui/', { headers: { origin: 'http://127.0.0.1' } });
    expect(page.status).toBe(200);
  });
});
