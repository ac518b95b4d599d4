/**
 * A tool MCP clients would refuse (here a Python handler's tool whose input_schema describes an
 * array) is left out of every list: the Servers screen, in real Chromium, says which and why, as
 * `switchboard list` does. It showed the other tools and nothing else.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { startExample, type ExampleHandler } from '../../fixtures/handlers/example-process.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');
const LINE = 'tool "cities" (inputSchema.type: Invalid input: expected "object")';

describe('tools left out, on the Servers screen', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let handler: ExampleHandler;
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    [dir, handler] = await Promise.all([
      tempDir('sb-ui-left-out-'),
      startExample('python', 'test/fixtures/handlers/mistakes.py'),
    ]);
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { py: { handler: handler.url } } }), {
      uiDir: UI_DIR,
    });
    await waitFor(() => gateway.servers().find((s) => s.name === 'py' && s.toolCount === 3), 20_000, 'py listed');
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await handler?.stop();
    await dir?.cleanup();
  });

  it('the control API and the screen name the tool left out and why', async () => {
    const view = (await gateway.api.listServers()).find((s) => s.name === 'py');
    expect(view?.leftOutTools).toEqual([LINE]);
    const { page } = browser;
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByRole('button', { name: 'py', exact: true }).click();
    const note = page.getByRole('status').filter({ hasText: 'Left out of every client' });
    await note.waitFor();
    expect(await note.innerText()).toContain(LINE);
    // The gateway's note about it, made before this page was open, is in the server's log too.
    const log = page.getByLabel('Log of py');
    await expect.poll(() => log.innerText()).toContain(`left out of its tools (MCP clients refuse a whole list`);
    await page.screenshot({ path: path.join(await screenshotDir(), 'servers-left-out.png'), fullPage: true });
  });
});
