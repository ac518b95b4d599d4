/**
 * Text that servers and clients wrote, shown in real Chromium outside the Traffic screen: a question,
 * a model request. A bidi override (U+202E draws
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
import { ROOT, fixtureServer, startGateway, tempDir, textOf, writeConfig } from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');
/** What the screen must never hold raw: it would be obeyed, not shown. */
const UNSEEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

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
    },
  });
  gateway = await startGateway(config, { uiDir: UI_DIR });
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
