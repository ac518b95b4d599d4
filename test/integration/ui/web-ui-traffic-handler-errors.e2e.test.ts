/**
 * The traffic inspector in real Chromium on a PHP handler's fatal error: the open exchange shows
 * what php-fpm answered and what the script wrote to stderr, as text to read, with the key the
 * gateway gave the script hidden.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, httpClient, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { MISBEHAVE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');
const CANARY = 'sk-canary-ui-handler-0a1b2c3d4e';

describe('Traffic: what a failed PHP handler said', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let fpm: PhpFpm;
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    [dir, fpm] = await Promise.all([tempDir('sb-ui-handler-errors-'), startPhpFpm({ listen: 'tcp' })]);
    const php = { handler: fpm.address, entrypoint: MISBEHAVE_PHP, headers: { 'X-Api-Key': '${secret:handler-key}' } };
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: { php } }), {
      uiDir: UI_DIR,
      secrets: createMemorySecretStore({ 'handler-key': CANARY }),
    });
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await Promise.all([fpm?.stop(), dir?.cleanup()]);
  });

  it("shows the handler's reply and its stderr under the request it failed", async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      await expect(client.callTool({ name: 'php__leak_key', arguments: {} })).rejects.toThrow(/answered HTTP 500/);
    } finally {
      await client.close();
    }
    const page = browser.page;
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Traffic' }).click();
    await page
      .getByRole('grid', { name: 'Exchanges' })
      .getByRole('row')
      .filter({ hasText: 'php__leak_key' })
      .first()
      .click();
    const detail = page.getByRole('complementary', { name: 'Exchange' });
    const reply = detail.getByLabel('What php answered (HTTP 500)', { exact: true });
    const stderr = detail.getByLabel('What php wrote to stderr', { exact: true });
    await reply.waitFor();
    expect(await reply.textContent()).toBe('debug: key=[redacted:handler-key]\n');
    const said = (await stderr.textContent())!;
    expect(said).toContain('calling the billing API with key [redacted:handler-key]');
    // Its lines as the script wrote them, not as \n in a JSON string.
    expect(said).toMatch(
      /PHP Fatal error: {2}Uncaught Error: Call to undefined function .*\nStack trace:\n#0 \{main\}/,
    );
    expect(await detail.textContent()).not.toContain(CANARY);
    // Only the server's exchange has it: the client's call shows the error it was answered.
    expect(await detail.getByLabel(/^What php answered/).count()).toBe(1);
    expect(await seriousA11yProblems(page)).toEqual([]);
    await stderr.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(await screenshotDir(), 'traffic-handler-error.png') });
  });
});
