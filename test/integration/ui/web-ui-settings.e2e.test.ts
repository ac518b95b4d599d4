/**
 * The Settings screen in real Chromium against a real gateway that watches its config file: a change
 * of the file while the screen is open shows in the boxes the user has not edited, and one they have
 * edited keeps their value, which Save writes. Screenshots go to SCREENSHOT_DIR.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import { ROOT, startGateway, tempDir } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer/dist');

describe('the Settings screen in the web UI', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let browser: TestBrowser;
  let page: Page;
  let file: string;

  beforeAll(async () => {
    dir = await tempDir('sb-ui-settings-');
    file = path.join(dir.dir, 'config.json');
    await writeFile(
      file,
      '{\n  // kept for a week\n  "traffic": { "history": { "days": 7 } },\n  "mcpServers": {},\n}\n',
    );
    gateway = await startGateway(file, { uiDir: UI_DIR, watch: true });
    browser = await openWebUi(gateway.uiLoginUrl()!);
    page = browser.page;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('shows a change of the config file made while it is open, keeping what the user typed', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Settings' }).click();
    const days = page.getByLabel('Keep history for (days; 0 keeps none)');
    const mib = page.getByLabel('Largest history on disk (MiB; 0 keeps none)');
    const recording = page.getByRole('checkbox', { name: 'Record every message (redacted)' });
    await expect.poll(() => days.inputValue()).toBe('7');
    // Edited by hand: the screen went on showing 7 days and recording on.
    await writeFile(file, (await readFile(file, 'utf8')).replace('"days": 7 }', '"days": 10 }, "enabled": false'));
    await expect.poll(() => days.inputValue(), { timeout: 10_000 }).toBe('10');
    await expect.poll(() => recording.isChecked()).toBe(false);
    // The user types a size; meanwhile the file changes the days again, and the size they typed stays.
    await mib.fill('64');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"days": 10', '"days": 12'));
    await expect.poll(() => days.inputValue(), { timeout: 10_000 }).toBe('12');
    expect(await mib.inputValue()).toBe('64');
    await page.screenshot({ path: path.join(await screenshotDir(), 'settings-followed-file.png'), fullPage: true });
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved to the config file and applied.').waitFor();
    // Only the size was written: the days and recording the file had are not put back to what the screen first showed.
    expect(await readFile(file, 'utf8')).toBe(
      '{\n  // kept for a week\n  "traffic": { "history": { "days": 12, "maxBytes": 67108864 }, "enabled": false },\n' +
        '  "mcpServers": {},\n}\n',
    );
    const settings = await gateway.api.getSettings();
    expect(settings).toMatchObject({ historyDays: 12, historyMaxBytes: 64 * 1024 * 1024, trafficEnabled: false });
    // Edited again, nothing is saved: "Saved" goes (it stayed, of a value not saved), and comes back with Save.
    await mib.fill('65');
    await page.getByText('Saved to the config file and applied.').waitFor({ state: 'detached' });
    await mib.fill('64');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Nothing to change.').waitFor();
  });

  it('shows the addresses it listens on right under "Listening now:", as a box under its name', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Settings' }).click();
    const said = page.getByText('Listening now:', { exact: true });
    const address = page.getByRole('listitem').filter({ hasText: gateway.httpUrl()! });
    await address.waitFor();
    await page.screenshot({ path: path.join(await screenshotDir(), 'settings-listening.png') });
    const [above, below] = [(await said.boundingBox())!, (await address.boundingBox())!];
    const [name, box] = [
      (await page.getByText('HTTP port', { exact: true }).boundingBox())!,
      (await page.getByLabel('HTTP port').boundingBox())!,
    ];
    // The list stood 32 pixels under its words, further than from the note above them: it read as apart from them.
    const gap = Math.round(below.y - (above.y + above.height));
    const boxGap = Math.round(box.y - (name.y + name.height));
    expect(gap, `the first address, ${gap} pixels under "Listening now:"`).toBeLessThanOrEqual(boxGap + 2);
  });

  it('refuses a size too large to keep at its field, in MiB', async () => {
    const mib = page.getByLabel('Largest history on disk (MiB; 0 keeps none)');
    await mib.fill('99999999999999');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // It said "Too big: expected int to be <=9007199254740991" (bytes, in the validator's words).
    await page.getByRole('alert').getByText('Type a size in MiB from 0 to 8589934591 (0 keeps no history).').waitFor();
    expect(await mib.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText(/expected int|9007199254740991/).count()).toBe(0);
  });

  it('says what a box takes when its value is out of range, in words that name it, and keeps the file', async () => {
    const days = page.getByLabel('Keep history for (days; 0 keeps none)');
    const mib = page.getByLabel('Largest history on disk (MiB; 0 keeps none)');
    const save = page.getByRole('button', { name: 'Save settings' });
    const before = await readFile(file, 'utf8');
    const focused = (box: typeof days) => box.evaluate((el) => el === el.ownerDocument.activeElement);
    // Each was said in the config check's words, at the box: "expected a number of at least 0" (or "at
    // most 3650"), read out alone by a screen reader with nothing of days or of what to type.
    for (const [box, value, said] of [
      [days, '-1', 'Type a number of days from 0 to 3650 (0 keeps no history).'],
      [days, '5000', 'Type a number of days from 0 to 3650 (0 keeps no history).'],
      [mib, '-5', 'Type a size in MiB from 0 to 8589934591 (0 keeps no history).'],
    ] as const) {
      await page.reload();
      await box.fill(value);
      await save.click();
      await page.getByRole('alert').getByText(said, { exact: true }).waitFor();
      expect(await box.getAttribute('aria-invalid')).toBe('true');
      await expect.poll(() => focused(box)).toBe(true);
    }
    expect(await page.getByText(/expected a number/).count()).toBe(0);
    await page.screenshot({ path: path.join(await screenshotDir(), 'settings-out-of-range.png') });
    expect(await readFile(file, 'utf8')).toBe(before);
    await page.reload();
  });

  it('says it is saving while the gateway writes the file, then that it saved', async () => {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Settings' }).click();
    const days = page.getByLabel('Keep history for (days; 0 keeps none)');
    await days.fill('9');
    let answer = (): void => {};
    const held = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/settings', async (route) => {
      if (route.request().method() === 'POST') await held;
      await route.continue().catch(() => undefined);
    });
    try {
      await page.getByRole('button', { name: 'Save settings' }).click();
      // Only Save greyed out, and not a word, until the answer came.
      await page.getByRole('status').getByText('Saving…').waitFor();
      answer();
      await page.getByRole('status').getByText('Saved to the config file and applied.').waitFor();
      expect(await page.getByText('Saving…').count()).toBe(0);
    } finally {
      answer();
      await page.unroute('**/api/settings');
    }
    expect((await gateway.api.getSettings()).historyDays).toBe(9);
    await gateway.api.changeSettings({ historyDays: 12 }); // as the tests below expect
  });

  it('names the theme choice Theme for a screen reader, and says it is kept in this browser only', async () => {
    // The group was named by its legend alone: "Kept on this device, group", with no word of a theme.
    const themes = page.getByRole('radiogroup', { name: 'Theme' });
    await expect.poll(() => themes.getAttribute('aria-describedby')).toBeTruthy();
    const described = await themes.getAttribute('aria-describedby');
    // Not the desktop app's setting: `switchboard serve` has none, each browser keeps its own.
    expect(await page.locator(`#${described}`).innerText()).toBe('Kept in this browser only');
    await themes.getByRole('radio', { name: 'Dark' }).check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.reload();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await expect.poll(() => themes.getByRole('radio', { name: 'Dark' }).isChecked()).toBe(true);
    await themes.getByRole('radio', { name: 'As the system' }).check();
    expect(await page.locator('html').getAttribute('data-theme')).toBeNull();
  });

  it('says it is reading the settings until the gateway answers, and shows no value it was not given', async () => {
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'Overview' }).click();
    // A gateway slow to answer (a busy machine): held here until the screen has been looked at.
    let answer = (): void => {};
    const held = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/api/settings', async (route) => {
      await held;
      // Refused once the test has let go of the route (it failed before answering): nothing left to answer.
      await route.continue().catch(() => undefined);
    });
    try {
      await nav.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('status').getByText('Reading the settings…').waitFor();
      await page.screenshot({ path: path.join(await screenshotDir(), 'settings-reading.png') });
      // It showed "3" days and recording on, the defaults, as if they were the config's 12 days and recording off.
      const days = page.getByLabel('Keep history for (days; 0 keeps none)');
      expect(await days.count()).toBe(0);
      expect(await page.getByRole('checkbox', { name: 'Record every message (redacted)' }).count()).toBe(0);
      answer();
      await expect.poll(() => days.inputValue()).toBe('12');
      expect(await page.getByText('Reading the settings…').count()).toBe(0);
    } finally {
      answer();
      await page.unroute('**/api/settings');
    }
  });
});
