/**
 * The web UI when the gateway is frozen (suspended with Ctrl-Z or SIGSTOP) or the connection to it died without a
 * word (an `ssh -L` tunnel whose link went down): nothing ends, the live stream just goes quiet. The page must not
 * go on looking live, nor leave a button waiting for ever: it says the gateway cannot be reached, as when the
 * gateway goes away, in every tab, and is live again once the gateway goes on.
 *
 * A real `switchboard serve` process, stopped with SIGSTOP and continued with SIGCONT, in real Chromium. The
 * gateway's keep-alive is made short (SWITCHBOARD_API_KEEPALIVE_MS) so the stall shows within seconds; the page's
 * clock is moved on for the time limit of a call.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { CLI, NODE, cliRun, fixtureServer, tempDir, waitFor } from '../../helpers/gateway.ts';

/** Short, yet long enough (a stall is 2.5 of them) for Turn off to be pressed before the page notices. */
const KEEP_ALIVE_MS = 1000;
const BROKE = /The gateway cannot be reached: the live connection to it broke/;

let dir: { dir: string; cleanup(): Promise<void> };
let env: NodeJS.ProcessEnv;
let gateway: ChildProcess | undefined;
let browser: TestBrowser;

/** A new login link of the running gateway, as `switchboard ui` prints it. */
async function loginLink(): Promise<string> {
  const { stdout, stderr } = await cliRun(env, 'ui');
  const link = /http:\/\/\S+#login=[A-Za-z0-9_-]+/.exec(stdout + stderr)?.[0];
  if (!link) throw new Error(`switchboard ui printed no link: ${stdout}${stderr}`);
  return link;
}

function signal(name: NodeJS.Signals): void {
  if (gateway?.pid !== undefined && gateway.exitCode === null && gateway.signalCode === null)
    process.kill(gateway.pid, name);
}

beforeAll(async () => {
  dir = await tempDir('sb-ui-frozen-');
  env = {
    ...process.env,
    HOME: dir.dir,
    XDG_CONFIG_HOME: path.join(dir.dir, '.config'),
    SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    SWITCHBOARD_API_KEEPALIVE_MS: String(KEEP_ALIVE_MS),
  };
  const configDir = path.join(dir.dir, '.config', 'switchboard');
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(
    path.join(configDir, 'config.json'),
    JSON.stringify({ listen: { http: { port: 0 } }, mcpServers: { fx: fixtureServer('fx') } }),
  );
  const child = spawn(NODE, [CLI, 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  gateway = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => /ready/.test(stderr), 20_000, 'the gateway to be ready');
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  // Never leave the process stopped: continue it, then end it as a user would.
  signal('SIGCONT');
  const exited = gateway && new Promise((resolve) => gateway!.once('exit', resolve));
  signal('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  signal('SIGKILL');
  await dir?.cleanup();
});

describe('the web UI when the gateway is frozen', () => {
  it('says in every tab the gateway cannot be reached, fails a waiting call in time, and recovers', async () => {
    // The clock of the pages, moved on below for the time limit of a call; it runs as usual until then.
    await browser.context.clock.install();
    const tabs: Page[] = [browser.page, await browser.context.newPage()];
    // The first tab's live stream open (it reads it for both): until its answer says the gateway's keep-alive
    // interval, a page waits the default's.
    const stream = browser.page.waitForResponse((r) => r.url().includes('/api/events'));
    for (const tab of tabs) {
      tab.setDefaultTimeout(10_000);
      await tab.goto(await loginLink());
      await tab.getByText('1 ready').waitFor();
    }
    await stream;
    // The first tab reads the live stream for both; it has a server's page open.
    const [reader, other] = tabs as [Page, Page];
    await reader.getByRole('link', { name: 'Servers' }).click();
    await reader.getByRole('button', { name: 'fx', exact: true }).click();
    const detail = reader.getByRole('region', { name: 'Server fx' });
    const turnOff = detail.getByRole('button', { name: 'Turn off' });
    await turnOff.waitFor();

    signal('SIGSTOP');
    // A call made before the page notices waits: the gateway's socket accepts it, and nobody answers. Pressed at
    // once (the page's clock is a test's, so its check that the button is still takes long): once the page notices
    // the stall, Turn off is no longer offered.
    await turnOff.click({ force: true });
    // Within a few keep-alive intervals both tabs say what is true: the gateway cannot be reached.
    for (const tab of tabs) await tab.getByRole('alert').getByText(BROKE).waitFor({ timeout: 10_000 });
    await other.getByRole('button', { name: 'Pause gateway' }).waitFor();
    expect(await other.getByRole('button', { name: 'Pause gateway' }).isDisabled()).toBe(true);
    // The waiting call ends at its time limit, saying so, rather than never.
    await browser.context.clock.fastForward('02:01');
    await reader
      .getByText(/did not answer in 120 s: the gateway may be suspended, or the connection to it stalled/)
      .waitFor();
    await reader.screenshot({ path: path.join(await screenshotDir(), 'web-ui-frozen-gateway.png') });

    signal('SIGCONT');
    // Live again in both tabs: the notice goes, and the server's switch works again. (Whether the gateway took the
    // call that timed out depends on whether it read the request before the page gave up on it.)
    for (const tab of tabs)
      await tab.getByRole('alert').getByText(BROKE).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await other.getByRole('button', { name: 'Pause gateway' }).isDisabled()).toBe(false);
    const turnOn = detail.getByRole('button', { name: 'Turn on' });
    await turnOn.or(turnOff).first().waitFor();
    const wasOff = await turnOn.isVisible();
    await (wasOff ? turnOn : turnOff).click();
    await other.getByText(wasOff ? '1 ready' : '1 off').waitFor({ timeout: 15_000 });
    await reader.screenshot({ path: path.join(await screenshotDir(), 'web-ui-frozen-gateway-resumed.png') });
  }, 90_000);
});
