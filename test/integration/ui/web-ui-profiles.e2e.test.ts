/**
 * The Profiles screen in real Chromium, open in two tabs at once and beside a config file edited by
 * hand: a profile saved in one place does not silently undo what was saved in the other.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimCommand, type Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { NODE, ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { brokenWords, linesOf } from '../../helpers/layout.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

interface Profiles {
  [name: string]: { servers: string[]; description?: string };
}

describe('the Profiles screen in two tabs', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let one: Page;
  let two: Page;
  let shots: string;

  const profiles = async () =>
    (JSON.parse(await readFile(gateway.configPath(), 'utf8')) as { profiles: Profiles }).profiles;
  /** An edit of the file by hand, applied by the gateway before it returns. */
  async function handEdit(change: (profiles: Profiles) => void): Promise<void> {
    const file = JSON.parse(await readFile(gateway.configPath(), 'utf8')) as { profiles: Profiles };
    change(file.profiles);
    await writeFile(gateway.configPath(), JSON.stringify(file, null, 2));
    const want = JSON.stringify(file.profiles);
    await waitFor(
      async () => {
        const listed = (await gateway.api.listProfiles()).filter((p) => !p.implicit);
        const now = Object.fromEntries(
          listed.map((p) => [p.name, { servers: p.servers, ...(p.description ? { description: p.description } : {}) }]),
        );
        return JSON.stringify(now) === want;
      },
      10_000,
      'the hand edit applied',
    );
  }
  async function editWork(page: Page) {
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('button', { name: 'Edit work' }).click();
    return page.getByRole('region', { name: 'Edit work' });
  }

  beforeAll(async () => {
    dir = await tempDir('sb-ui-profiles-');
    shots = await screenshotDir();
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        a: fixtureServer('a'),
        b: { ...fixtureServer('b'), disabled: true },
        c: { ...fixtureServer('c'), disabled: true },
      },
      profiles: { work: { servers: ['a'], description: 'Work' } },
    });
    gateway = await startGateway(file, { uiDir: UI_DIR, watch: true });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    one = browser.page;
    // A second tab, signed in with a link of its own.
    two = await browser.context.newPage();
    two.setDefaultTimeout(10_000);
    await two.goto(gateway.uiLoginUrl()!);
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('opens Edit on its first field, the description: the name, not changed there, is no field', async () => {
    const form = await editWork(one);
    const description = form.getByRole('textbox', { name: 'Description (optional)' });
    await waitFor(() => description.evaluate((field) => field === field.ownerDocument.activeElement), 5_000, 'focus');
    // The keyboard starts on the form's first field: nothing above it looks like one that can be typed in.
    expect(
      await form
        .getByRole('textbox')
        .first()
        .evaluate((field) => field === field.ownerDocument.activeElement),
    ).toBe(true);
    await form.getByText('Clients reach it by its name, so it is not changed here.').waitFor();
    await form.getByText('work', { exact: true }).waitFor();
    await one.screenshot({ path: path.join(shots, 'profiles-edit-name.png') });
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it("names each profile's tool names toggle by whose they are, still showing just names", async () => {
    await one.getByRole('link', { name: 'Profiles' }).click();
    const work = one.getByLabel('Tool names of work', { exact: true });
    await work.waitFor();
    expect((await work.innerText()).trim()).toBe('names');
    // The toggles as Chromium gives them to a screen reader (a summary has no ARIA role Playwright could find it by):
    // each says whose names it shows, none is just "names".
    const cdp = await one.context().newCDPSession(one);
    try {
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
        nodes: { role?: { value: string }; name?: { value: string } }[];
      };
      const toggles = nodes.filter((n) => n.role?.value === 'DisclosureTriangle').map((n) => n.name?.value);
      expect(toggles).toEqual(['Tool names of default', 'Tool names of work']);
    } finally {
      await cdp.detach();
    }
    await work.click();
    await one.getByRole('list', { name: 'Tools of work' }).waitFor();
    await one.screenshot({ path: path.join(shots, 'profiles-tool-names-open.png') });
    await work.click();
  });

  it('keeps a server added in the other tab when this one saves its description', async () => {
    const first = await editWork(one);
    const second = await editWork(two);
    await second.getByRole('checkbox', { name: /^b/ }).check();
    await second.getByRole('button', { name: 'Save profile' }).click();
    // b is turned off: in the profile, but not what its clients see.
    await two.getByRole('status').getByText('Saved work: its clients see 1 server now (b is turned off).').waitFor();
    await first.getByLabel('Description (optional)').fill('Work, from the first tab');
    await first.getByRole('button', { name: 'Save profile' }).click();
    await one.getByRole('status').getByText('Saved work: its clients see 1 server now (b is turned off).').waitFor();
    expect((await profiles()).work).toEqual({ servers: ['a', 'b'], description: 'Work, from the first tab' });
    const row = one.getByRole('row', { name: /^work/ });
    await row.getByRole('cell', { name: 'a, b (turned off)' }).waitFor();
    await one.screenshot({ path: path.join(shots, 'profiles-turned-off.png'), fullPage: true });
  });

  it('refuses, at the field, a change that would undo one made in the file meanwhile', async () => {
    const form = await editWork(one);
    await form.getByRole('checkbox', { name: /^c/ }).check();
    await handEdit((p) => (p.work!.servers = ['a']));
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form
      .getByRole('alert')
      .getByText('Its servers were changed in the config file while this form was open: Cancel, and edit again.')
      .waitFor();
    await one.screenshot({ path: path.join(shots, 'profiles-changed-meanwhile.png'), fullPage: true });
    expect((await profiles()).work!.servers).toEqual(['a']);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('does not bring back a profile removed while its form was open, nor replace one made meanwhile', async () => {
    const form = await editWork(one);
    await form.getByRole('checkbox', { name: /^b/ }).check();
    await handEdit((p) => delete p.work);
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form
      .getByRole('alert')
      .getByText('work was removed from the config file while this form was open.')
      .waitFor();
    expect(await profiles()).toEqual({});
    await form.getByRole('button', { name: 'Cancel' }).click();

    await one.getByRole('button', { name: 'New profile' }).click();
    const added = one.getByRole('region', { name: 'New profile' });
    await added.getByLabel('Name', { exact: true }).fill('research');
    await added.getByRole('checkbox', { name: /^a/ }).check();
    await handEdit((p) => (p.research = { servers: ['b', 'c'] }));
    await added.getByRole('button', { name: 'Save profile' }).click();
    await added.getByRole('alert').getByText('There is a profile named research already.').waitFor();
    expect(await profiles()).toEqual({ research: { servers: ['b', 'c'] } });
  });
});

const LONG = `research.${'x'.repeat(55)}`;
/** A server's name as long as names go (64 characters), in one word. */
const LONG_SERVER = 'github_enterprise_production_readonly_mirror_for_ci_and_releases';

describe('removing the default profile listed in the config, beside a profile with a long name', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-profiles-default-');
    const home = path.join(dir.dir, 'home');
    const claude = path.join(home, '.config', 'Claude', 'claude_desktop_config.json');
    await mkdir(path.dirname(claude), { recursive: true });
    await writeFile(claude, '{ "mcpServers": {} }\n');
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        a: fixtureServer('a'),
        b: fixtureServer('b'),
        [LONG_SERVER]: { ...fixtureServer('mirror'), disabled: true },
      },
      // default narrowed by hand, to one server; and a name as long as names go (64 characters, one word).
      profiles: {
        default: { servers: ['a'] },
        [LONG]: { servers: ['a', 'b'], description: 'Everything, named at length' },
      },
    });
    gateway = await startGateway(file, {
      uiDir: UI_DIR,
      watch: true,
      clientInstalls: {
        context: { platform: 'linux', env: {}, home, stateDir: path.join(dir.dir, 'state') },
        shim: (profile) =>
          shimCommand({ executable: NODE, script: path.join(ROOT, 'bin', 'switchboard.js'), profile }).shim,
      },
    });
    await gateway.api.installClient('claude-desktop', 'default');
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('says it is reading the profiles, then their clients, until the gateway answers (not "no client")', async () => {
    const page = browser.page;
    // A gateway slow to answer (reading a large client config takes seconds): held until looked at.
    const hold = async (route: string) => {
      let answer = (): void => {};
      const held = new Promise<void>((resolve) => (answer = resolve));
      await page.route(route, async (r) => {
        await held;
        // Refused once the test has let go of the route (it failed before answering): nothing left to answer.
        await r.continue().catch(() => undefined);
      });
      return answer;
    };
    const answerProfiles = await hold('**/api/profiles');
    const answerClients = await hold('**/api/clients');
    try {
      await page.getByRole('link', { name: 'Profiles' }).click();
      await page.getByRole('status').getByText('Reading the profiles…').waitFor();
      // An empty table said nothing was there.
      expect(await page.getByRole('table').isVisible()).toBe(false);
      answerProfiles();
      const usedBy = page
        .getByRole('row', { name: /^default/ })
        .getByRole('cell')
        .nth(5);
      await usedBy.getByText('reading the clients…').waitFor();
      await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-reading-clients.png') });
      // It said "no client found" of a profile Claude Desktop starts, until the clients were read.
      expect(await page.getByText('no client found').count()).toBe(0);
      expect(await page.getByText('Reading the profiles…').count()).toBe(0);
      answerClients();
      await usedBy.getByText('Claude Desktop').waitFor();
    } finally {
      answerProfiles();
      answerClients();
      await page.unroute('**/api/profiles');
      await page.unroute('**/api/clients');
    }
  });

  it('reads the profiles again when servers change state, but not every client file', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page
      .getByRole('row', { name: /^default/ })
      .getByText('Claude Desktop')
      .waitFor();
    const asked = { profiles: 0, clients: 0 };
    const count = (request: { url(): string; method(): string }) => {
      const route = new URL(request.url()).pathname;
      if (request.method() === 'GET' && route === '/api/profiles') asked.profiles++;
      if (request.method() === 'GET' && route === '/api/clients') asked.clients++;
    };
    page.on('request', count);
    try {
      // A burst of state changes (each restart is stopping, starting, ready), as a flaky server makes.
      for (let i = 0; i < 4; i++) await gateway.api.restartServer('b');
      const ready = async () => (await gateway.api.listServers()).find((s) => s.name === 'b')?.state === 'ready';
      await waitFor(ready, 10_000, 'b ready again');
      // The screen took the news: its profiles (their tool counts) were read again (events close together
      // may be taken in one reading, so not necessarily once per restart).
      await waitFor(() => asked.profiles >= 2, 10_000, 'the profiles read again');
      await page.waitForTimeout(500);
      expect(asked.clients).toBe(0);
      await page
        .getByRole('row', { name: /^default/ })
        .getByText('Claude Desktop')
        .waitFor();
      await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-after-restarts.png'), fullPage: true });
    } finally {
      page.off('request', count);
    }
  });

  it('lists the clients again at the next server change when listing them failed', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Servers' }).click();
    let failed = 0;
    await page.route('**/api/clients', async (route) => {
      if (failed++ === 0) return route.abort('connectionfailed');
      await route.continue();
    });
    try {
      await page.getByRole('link', { name: 'Profiles' }).click();
      await page.getByRole('row', { name: /^default/ }).waitFor();
      await waitFor(() => failed >= 1, 10_000, 'the first listing of the clients');
      await gateway.api.restartServer('b');
      await page
        .getByRole('row', { name: /^default/ })
        .getByText('Claude Desktop')
        .waitFor({ timeout: 10_000 });
    } finally {
      await page.unroute('**/api/clients');
    }
  });

  it('says default goes back to every enabled server, not that its clients will be refused', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page
      .getByRole('row', { name: /^default/ })
      .getByText('Claude Desktop')
      .waitFor();
    // Listed in the file, default is one to edit: a new one of that name is refused as any taken name is.
    await page.getByRole('button', { name: 'New profile' }).click();
    const form = page.getByRole('region', { name: 'New profile' });
    await form.getByLabel('Name', { exact: true }).fill('default');
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form.getByRole('alert').getByText('There is a profile named default already.').waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Remove default' }).click();
    await page
      .getByRole('status')
      .getByText('Removed default from the config file: it is every enabled server again.')
      .waitFor();
    expect(asked).toBe(
      'Remove default from the config file? It goes back to every enabled server (a, b), ' +
        'and Claude Desktop, which starts it, sees them all.',
    );
    await page
      .getByRole('row', { name: /^default/ })
      .getByText('every enabled server')
      .waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-default-removed.png'), fullPage: true });
    expect((await gateway.api.listProfiles()).find((p) => p.name === 'default')).toMatchObject({
      implicit: true,
      servers: ['a', 'b'],
    });
  });

  it('says, of a name too long, how long a name may be and how long this one is', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('button', { name: 'New profile' }).click();
    const form = page.getByRole('region', { name: 'New profile' });
    const name = form.getByLabel('Name', { exact: true });
    // The hint said which characters a name takes, not how many; the refusal, not how far over this one was.
    await form.getByText('at most 64 of them', { exact: false }).waitFor();
    await name.fill(`research-${'x'.repeat(71)}`);
    await form.getByRole('button', { name: 'Save profile' }).click();
    await form
      .getByRole('alert')
      .getByText('must be at most 64 characters (this one has 80)', { exact: true })
      .waitFor();
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-name-too-long.png'), fullPage: true });
    expect((await gateway.api.listProfiles()).map((p) => p.name)).not.toContain(`research-${'x'.repeat(71)}`);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('keeps the row of a profile with a 64-character name, and its buttons, within the window', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Profiles' }).click();
    const edit = page.getByRole('button', { name: `Edit ${LONG}` });
    await edit.waitFor();
    // The name and its --profile argument wrap: the table used to grow past the window, its buttons out of sight.
    const [width, scroll] = (await page.evaluate(
      '[document.querySelector("main").clientWidth, document.querySelector("main").scrollWidth]',
    )) as [number, number];
    expect(scroll).toBeLessThanOrEqual(width);
    const box = (await edit.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-long-name.png'), fullPage: true });
  });

  it("keeps a long server's choice within a window as narrow as 400% zoom makes it", async () => {
    const page = browser.page;
    await page.setViewportSize({ width: 320, height: 640 });
    try {
      await page.getByRole('link', { name: 'Profiles' }).click();
      await page.getByRole('button', { name: 'New profile' }).click();
      const choice = page.getByRole('checkbox', { name: LONG_SERVER });
      await choice.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-long-server-narrow.png') });
      // The list of servers was as wide as the name: it ran past the window, and the page scrolled sideways.
      const label = (await page.locator('label.server').filter({ has: choice }).boundingBox())!;
      expect(label.x + label.width).toBeLessThanOrEqual(320);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
      await page.getByRole('button', { name: 'Cancel' }).click();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('keeps short names whole in an 800x600 window, beside a name of 64 characters in one word', async () => {
    const page = browser.page;
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      await page.getByRole('link', { name: 'Profiles' }).click();
      await page.getByRole('row', { name: /^default/ }).waitFor();
      await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-short-names-800.png'), fullPage: true });
      // The columns were squeezed to a few letters: "default" broke into "defaul" and "t", "--profile" into "--" and
      // "profile", the address every 8 characters.
      expect(await brokenWords(page.getByRole('table'))).toEqual([]);
      // The tool names' disclosure keeps its triangle beside "names", one line high (the triangle stood above it).
      for (const names of await page.getByRole('table').getByText('names', { exact: true }).all())
        expect((await names.boundingBox())!.height).toBeLessThan(30);
      // An address breaks after a "/" or ":", not within its host or port ("http://127" above ".0.0.1:437" above
      // "53/mcp").
      const address = page
        .getByRole('row', { name: /^default/ })
        .getByRole('cell')
        .nth(4);
      const { hostname, port } = new URL(gateway.httpUrl()!);
      expect(await linesOf(address, hostname)).toBe(1);
      expect(await linesOf(address, port)).toBe(1);
      // The name of 64 characters in one word still wraps, within the window.
      const long = page
        .getByRole('row', { name: /^research/ })
        .getByRole('cell')
        .first()
        .getByText(LONG, { exact: true });
      expect((await long.boundingBox())!.height).toBeGreaterThan(30);
      const [width, scroll] = (await page.evaluate(
        '[document.querySelector("main").clientWidth, document.querySelector("main").scrollWidth]',
      )) as [number, number];
      expect(scroll).toBeLessThanOrEqual(width);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('keeps the table within an 800x600 window when a description is one long word (a URL)', async () => {
    const page = browser.page;
    await page.setViewportSize({ width: 800, height: 600 });
    try {
      await page.getByRole('link', { name: 'Profiles' }).click();
      await page.getByRole('button', { name: `Edit ${LONG}` }).click();
      const form = page.getByRole('region', { name: `Edit ${LONG}` });
      const url = `https://wiki.example.com/teams/${'platform-tools-'.repeat(16)}`;
      await form.getByLabel('Description (optional)').fill(url);
      await form.getByRole('button', { name: 'Save profile' }).click();
      await page.getByRole('row', { name: /^default/ }).waitFor();
      await page.getByText(url).waitFor();
      // It ran on in one line: the table grew past the window, every column after the first off screen.
      const [width, scroll] = (await page.evaluate(
        '[document.querySelector("main").clientWidth, document.querySelector("main").scrollWidth]',
      )) as [number, number];
      expect(scroll).toBeLessThanOrEqual(width);
      const remove = (await page.getByRole('button', { name: `Remove ${LONG}` }).boundingBox())!;
      expect(remove.x + remove.width).toBeLessThanOrEqual(800);
      await page.screenshot({
        path: path.join(await screenshotDir(), 'profiles-long-description.png'),
        fullPage: true,
      });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});

describe('profiles beside servers that are not ready, and a config file broken by hand', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-profiles-not-ready-');
    const file = await writeConfig(dir.dir, {
      mcpServers: {
        a: fixtureServer('a'),
        broken: fixtureServer('broken', { FIXTURE_FAIL_START: '1' }),
        own: { ...fixtureServer('own'), isolated: true },
      },
      profiles: { work: { servers: ['a'] } },
    });
    gateway = await startGateway(file, { uiDir: UI_DIR, watch: true });
    await waitFor(
      async () => (await gateway.api.listServers()).find((s) => s.name === 'broken')?.state === 'failed',
      20_000,
      'broken failed',
    );
    browser = await openWebUi(gateway.uiLoginUrl()!);
  }, 40_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('does not count a failed server as one its clients see, and says whose tools are not counted', async () => {
    const page = browser.page;
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('button', { name: 'Edit work' }).click();
    const form = page.getByRole('region', { name: 'Edit work' });
    await form.getByRole('checkbox', { name: /^broken/ }).check();
    await form.getByRole('checkbox', { name: /^own/ }).check();
    await form.getByRole('button', { name: 'Save profile' }).click();
    // It said "its clients see 3 servers now": broken never started, and its clients get none of its tools.
    await page
      .getByRole('status')
      .getByText('Saved work: its clients see 2 servers now (broken is not ready now: failed).')
      .waitFor();
    // The tool count and its cost were those of a alone, as if broken and own had no tools.
    const row = page.getByRole('row', { name: /^work/ });
    await row
      .getByText('Not counted, their tools are not known yet: broken (failed), own (starts with each client).')
      .waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'profiles-not-ready.png'), fullPage: true });
  });

  it('keeps the keyboard on Save when the file refuses every edit, and Escape then closes the form', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: 'New profile' }).click();
    const form = page.getByRole('region', { name: 'New profile' });
    await form.getByLabel('Name', { exact: true }).fill('later');
    // Broken by hand while the form is open: no field of the form is at fault.
    const file = gateway.configPath();
    await writeFile(file, (await readFile(file, 'utf8')).replace('"mcpServers"', '"traffic": 7, "mcpServers"'));
    await waitFor(async () => (await gateway.api.getStatus()).configError !== undefined, 10_000, 'the config error');
    await form.getByRole('button', { name: 'Save profile' }).focus();
    await page.keyboard.press('Enter');
    // It said "traffic: expected an object, …", as if the profile had something to do with it.
    await page
      .getByRole('alert')
      .getByText(
        'the config file has a problem to fix first, at line 2, traffic: expected an object, got the number 7 ' +
          '(the file was not changed)',
      )
      .waitFor();
    // The button was disabled while the save ran, and the keyboard fell to the page, out of the form.
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Save profile');
    await page.keyboard.press('Escape');
    await expect.poll(() => form.count()).toBe(0);
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('New profile');
  });
});
