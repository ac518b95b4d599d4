/**
 * How the Servers screen in real Chromium names each kind of server: in the add form's words, not
 * the config's (`stdio`, `handler-fastcgi`), and a WebSocket server as such (it read `http`). One
 * real server of every kind: the fixture over stdio, the reference "everything" server over
 * Streamable HTTP and legacy SSE, the WebSocket fixture, and the travel desk over HTTP and FastCGI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  jsonResponder,
  startFastcgiHandler,
  startHttpHandler,
  type TestServer,
} from '../../fixtures/handlers/servers.ts';
import { startEverything, type EverythingServer } from '../../fixtures/servers/http-everything.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

const desk = jsonResponder(({ envelope }) =>
  envelope.type === 'discover' ? { tools: [{ name: 'echo' }] } : { content: [{ type: 'text', text: 'ok' }] },
);

describe('server kinds in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let remotes: EverythingServer[] = [];
  let handlers: TestServer[] = [];
  let ws: ChildProcess;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-kinds-');
    ws = spawn(NODE, [path.join(ROOT, 'test/fixtures/servers/ws-server.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const wsPort = Number(
      /^PORT (\d+)$/.exec(
        await new Promise<string>((resolve) => createInterface({ input: ws.stdout! }).once('line', resolve)),
      )![1],
    );
    remotes = await Promise.all([startEverything('streamableHttp'), startEverything('sse')]);
    handlers = await Promise.all([startHttpHandler(desk), startFastcgiHandler(desk, { listen: 'tcp' })]);
    const config = await writeConfig(dir.dir, {
      mcpServers: {
        local: fixtureServer('local'),
        remote: { url: remotes[0]!.url },
        legacy: { url: remotes[1]!.url, transport: 'sse' },
        socket: { url: `ws://127.0.0.1:${wsPort}/mcp` },
        desk: { handler: handlers[0]!.address },
        php: { handler: handlers[1]!.address, entrypoint: '/srv/desk/index.php' },
      },
    });
    gateway = await startGateway(config, { uiDir: UI_DIR });
    await waitFor(() => gateway.servers().every((s) => s.state === 'ready') || undefined, 20_000, 'every server');
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await Promise.all([...remotes.map((r) => r.kill()), ...handlers.map((h) => h.close())]);
    ws?.kill();
    await dir?.cleanup();
  });

  it('names each kind in words, a ws:// server as WebSocket', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Servers' }).click();
    const kindOf = async (name: string) =>
      (
        await page
          .getByRole('row')
          .filter({ has: page.getByRole('button', { name, exact: true }) })
          .locator('td')
          .nth(1)
          .innerText()
      ).trim();
    await page.getByRole('button', { name: 'php', exact: true }).waitFor();
    expect({
      local: await kindOf('local'),
      remote: await kindOf('remote'),
      legacy: await kindOf('legacy'),
      socket: await kindOf('socket'),
      desk: await kindOf('desk'),
      php: await kindOf('php'),
    }).toEqual({
      local: 'local command',
      remote: 'remote (HTTP)',
      legacy: 'remote (SSE)',
      socket: 'remote (WebSocket)',
      desk: 'handler (HTTP)',
      php: 'handler (FastCGI)',
    });
    await page.screenshot({ path: path.join(await screenshotDir(), 'servers-kinds.png') });
  });

  it('gives the transport in the control API for remote servers that are not the default only', async () => {
    const views = Object.fromEntries((await gateway.api.listServers()).map((s) => [s.name, s]));
    expect(views.socket).toMatchObject({ kind: 'http', transport: 'websocket' });
    expect(views.legacy).toMatchObject({ kind: 'http', transport: 'sse' });
    expect(views.remote!.transport).toBeUndefined();
    expect(views.local!.transport).toBeUndefined();
  });
});
