/**
 * Text that servers and clients wrote, shown in real Chromium outside the Traffic screen: a question,
 * a model request, a server's tools, errors and log, the Overview. A bidi override (U+202E draws
 * "gro.live" as "evil.org") or a control character in it is shown as its code, never obeyed; text
 * written right to left (Hebrew) is shown as it was written.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, type TestBrowser } from '../../helpers/browser.ts';
import {
  NODE,
  ROOT,
  TEST_BACKOFF,
  fixtureServer,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');
const HOSTILE = path.join(ROOT, 'test/fixtures/servers/hostile-server.ts');
/** What the screen must never hold raw: it would be obeyed, not shown. */
const UNSEEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** What the hostile server writes (its TERMINAL_ATTACK), as the screens show it. */
const ATTACK_SHOWN =
  String.raw`\u001b]0;PWNED\u0007\u001b[2K\u001b[1Ainjected` +
  String.raw`\u001b]52;c;cm0gLXJmIH4=\u0007\u009b2J\u202eesrever`;

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let client: Client;
let shots: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-unseen-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, {
    mcpServers: {
      forms: fixtureServer('forms', { FIXTURE_FORMS: '1', FIXTURE_SAMPLING: '1' }),
      hostile: { command: NODE, args: [HOSTILE] },
      broken: { command: NODE, args: [HOSTILE], env: { HOSTILE_FAIL_START: '1' } },
    },
  });
  gateway = await startGateway(config, { uiDir: UI_DIR, backoff: TEST_BACKOFF });
  await waitFor(() => gateway.servers().find((s) => s.name === 'broken')?.state === 'failed', 20_000, 'broken failed');
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
  // A client that cannot show questions (the app asks them), and names itself with an override.
  client = new Client({ name: 'report\u202ecod.exe', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!)));
}, 60_000);

afterEach(async () => {
  for (const { id } of await gateway.api.listQuestions()) await gateway.api.answerQuestion(id, { action: 'cancel' });
});

afterAll(async () => {
  await client?.close();
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

async function screen(name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** What the screen draws: nothing in it is obeyed rather than shown. */
async function drawn(where: Locator): Promise<string> {
  const text = await where.innerText();
  expect(text).not.toMatch(UNSEEN);
  return text;
}

const WARNING = 'This question holds characters that are not drawn but change what is drawn';

describe('a question in the Questions screen', () => {
  it('shows an override in its message, fields, choices and asker as \\u202e, and warns of it', async () => {
    await screen('Questions');
    const schema = {
      type: 'object',
      properties: {
        to: { type: 'string', title: 'Pay to \u202egro.live', description: 'The shop \u2067evil\u2069 named' },
        how: { type: 'string', oneOf: [{ const: 'card', title: 'Card \u202ekcab' }] },
      },
    };
    const call = client.callTool({
      name: 'forms__form',
      arguments: { message: 'Approve paying \u202egro.live 1 BTC', schema: JSON.stringify(schema) },
    });
    const question = page.getByRole('article', { name: 'Question from forms' });
    await question.getByText(String.raw`Approve paying \u202egro.live 1 BTC`, { exact: true }).waitFor();
    const text = await drawn(question);
    expect(text).toContain(String.raw`asks, during a call from report\u202ecod.exe`);
    expect(text).toContain(WARNING);
    await question.getByLabel(String.raw`Pay to \u202egro.live`).waitFor();
    expect(text).toContain(String.raw`The shop \u2067evil\u2069 named`);
    const choice = question.getByRole('combobox', { name: 'how' });
    expect(await choice.locator('option').allInnerTexts()).toEqual(['Choose…', String.raw`Card \u202ekcab`]);
    await page.screenshot({ path: path.join(shots, 'question-bidi-override.png') });
    await question.getByRole('button', { name: 'Decline' }).click();
    expect(JSON.parse(textOf(await call))).toEqual({ action: 'decline' });
  });

  it('shows a question written in Hebrew as it was written, right to left, with no warning', async () => {
    const message = 'לאשר תשלום ל-gro.live?';
    // A client whose name holds nothing hidden either.
    const plain = new Client({ name: 'plain-client', version: '1.0.0' });
    await plain.connect(new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!)));
    const call = plain.callTool({ name: 'forms__form', arguments: { message, schema: '{"type":"object"}' } });
    const question = page.getByRole('article', { name: 'Question from forms' });
    const shown = question.getByText(message, { exact: true });
    await shown.waitFor();
    expect(await drawn(question)).not.toContain(WARNING);
    expect(await shown.evaluate((el) => el.matches(':dir(rtl)'))).toBe(true);
    await page.screenshot({ path: path.join(shots, 'question-hebrew.png') });
    await question.getByRole('button', { name: 'Decline' }).click();
    await call;
    await plain.close();
  });

  it("shows an override in a model request's conversation as \\u202e", async () => {
    const call = client.callTool({ name: 'forms__forecast', arguments: { question: 'Rain at \u202egro.live?' } });
    const question = page.getByRole('article', { name: 'Question from forms' });
    await question.getByText(String.raw`Rain at \u202egro.live?`, { exact: true }).waitFor();
    expect(await drawn(question)).toContain(WARNING);
    await question.getByRole('button', { name: 'Reject' }).click();
    await call.catch(() => undefined);
  });
});

describe("a server's texts", () => {
  it('shows the controls in a tool description, an error and the log as codes (Servers)', async () => {
    await screen('Servers');
    const list = page.getByRole('table').first();
    expect(await drawn(list)).toContain(`cannot start ${ATTACK_SHOWN}`);
    await page.getByRole('button', { name: 'broken', exact: true }).click();
    const broken = page.getByRole('region', { name: 'Server broken' });
    const log = broken.getByLabel('Log of broken');
    await expect.poll(() => log.innerText()).toContain(`cannot start ${ATTACK_SHOWN}`);
    await drawn(broken);
    await page.getByRole('button', { name: 'hostile', exact: true }).click();
    const hostile = page.getByRole('region', { name: 'Server hostile' });
    await hostile.getByRole('cell', { name: `Shouts ${ATTACK_SHOWN}`, exact: true }).waitFor();
    await drawn(hostile);
    await page.screenshot({ path: path.join(shots, 'servers-control-characters.png') });
  });

  it("shows a client's name and a server's error with their controls as codes (Overview)", async () => {
    await screen('Overview');
    const main = page.locator('main');
    await main.getByText(String.raw`report\u202ecod.exe 1.0.0`, { exact: true }).waitFor();
    await page.getByRole('list', { name: 'Servers down' }).getByText('cannot start', { exact: false }).waitFor();
    await drawn(main);
  });
});
