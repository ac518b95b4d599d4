/**
 * Forms a server asks, answered in the Questions screen of the web UI in real Chromium, while an
 * SDK client that cannot show them waits: what the user sees of each field, and what the client
 * receives. The fixture server's `form` tool asks whatever schema a test passes.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { openWebUi, screenshotDir, seriousA11yProblems, type TestBrowser } from '../../helpers/browser.ts';
import {
  EVERYTHING,
  NODE,
  ROOT,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  writeConfig,
} from '../../helpers/gateway.ts';

const UI_DIR = path.join(ROOT, 'renderer', 'dist');

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let browser: TestBrowser;
let page: Page;
let client: Client;
let shots: string;

beforeAll(async () => {
  dir = await tempDir('sb-ui-questions-');
  shots = await screenshotDir();
  const config = await writeConfig(dir.dir, {
    mcpServers: {
      forms: fixtureServer('forms', { FIXTURE_FORMS: '1', FIXTURE_SAMPLING: '1' }),
      every: { command: NODE, args: [EVERYTHING] },
    },
  });
  gateway = await startGateway(config, { uiDir: UI_DIR });
  browser = await openWebUi(gateway.uiLoginUrl()!);
  page = browser.page;
  client = await httpClient(gateway.httpUrl()!); // no elicitation: the gateway asks the user in the app
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Questions' }).click();
  await page.getByRole('heading', { level: 1, name: 'Questions' }).waitFor();
}, 60_000);

// A test that fails mid-question leaves it waiting; cancelled here, it cannot slow or confuse the next one.
afterEach(async () => {
  for (const { id } of await gateway.api.listQuestions()) await gateway.api.answerQuestion(id, { action: 'cancel' });
});

afterAll(async () => {
  await client?.close();
  await browser?.close();
  await gateway?.stop();
  await dir?.cleanup();
});

interface Asked {
  /** What the client receives: the answer the server got. */
  answer: Promise<{ action: string; content?: Record<string, unknown> }>;
  question: Locator;
}

/** The server asks `schema` (JSON text, so a field may be named `__proto__`); what the client receives. */
function send(message: string, schema: string): Asked['answer'] {
  return client
    .callTool({ name: 'forms__form', arguments: { message, schema } })
    .then((result) => JSON.parse(textOf(result)) as { action: string; content?: Record<string, unknown> });
}

/** As `send`, once the question is on screen. */
async function ask(message: string, schema: string): Promise<Asked> {
  const answer = send(message, schema);
  const question = page.getByRole('article', { name: 'Question from forms' }).filter({ hasText: message });
  await question.waitFor();
  return { answer, question };
}

/** What the client receives once Accept is pressed; a refusal shown instead fails at once, saying what it was. */
async function accepted({ answer, question }: Asked): Promise<Awaited<Asked['answer']>> {
  const refusal = question.getByRole('alert').first();
  const refused = refusal.waitFor().then(async () => {
    throw new Error(`refused: ${await refusal.textContent()}`);
  });
  return Promise.race([answer, refused]);
}

/** What a screen reader reads after a control's name: the text of each element its aria-describedby names. */
async function description(control: Locator): Promise<string> {
  return control.evaluate((el) => {
    const ids: string[] = (el.getAttribute('aria-describedby') ?? '').split(' ').filter((id: string) => id !== '');
    return ids.map((id) => el.ownerDocument.getElementById(id)?.textContent ?? `(nothing is ${id})`).join(' ');
  });
}

async function checkAndShoot(name: string): Promise<void> {
  expect(await seriousA11yProblems(page), `axe on ${name}`).toEqual([]);
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

describe('the Questions screen', () => {
  it('shows its note of no questions right under the heading, no lower than a question starts', async () => {
    const heading = page.getByRole('heading', { level: 1, name: 'Questions' });
    const note = page.getByText('No questions are waiting.', { exact: false });
    await note.waitFor();
    await page.screenshot({ path: path.join(shots, 'questions-none.png') });
    const below = async (what: Locator) => {
      // Where its first line of text is drawn, under the heading's bottom edge.
      const textTop = await what.evaluate((el) => {
        const range = el.ownerDocument.createRange();
        range.selectNodeContents(el);
        return range.getClientRects()[0]!.top;
      });
      const box = (await heading.boundingBox())!;
      return Math.round(textTop - (box.y + box.height));
    };
    const noteAt = await below(note);
    const { answer, question } = await ask('Your name?', '{"type":"object","properties":{"name":{"type":"string"}}}');
    await page.screenshot({ path: path.join(shots, 'questions-one.png') });
    const questionAt = await below(question.locator('header'));
    await question.getByRole('button', { name: 'Cancel' }).click();
    await answer;
    // The note stood a gap of its own (24 pixels) under the heading: lower than a question's first line, in its card.
    expect(noteAt, `the note ${noteAt}, a question ${questionAt} pixels under the heading`).toBeLessThanOrEqual(
      questionAt,
    );
  });
});

describe('forms in the Questions screen', () => {
  it('takes fields named like built-in object properties as fields like any other', async () => {
    // Each filled in: an SDK server's check (ajv) reads an absent "toString" as the inherited function.
    const { answer, question } = await ask(
      'Company details',
      '{"type":"object","properties":{"constructor":{"type":"string","title":"Company"},' +
        '"valueOf":{"type":"number","title":"Value"},"__proto__":{"type":"string","title":"Proto"}},' +
        '"required":["constructor"]}',
    );
    // Empty, not "function Object() { [native code] }".
    expect(await question.getByLabel('Company (required)').inputValue()).toBe('');
    expect(await question.getByLabel('Value').inputValue()).toBe('');
    await question.getByLabel('Company (required)').fill('Acme');
    await question.getByLabel('Value').fill('3');
    await question.getByLabel('Proto').fill('p');
    await checkAndShoot('question-proto-fields');
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/questions/'));
    await question.getByRole('button', { name: 'Accept' }).click();
    // All three go to the gateway ("__proto__" too: the SDK's server drops that one on its side).
    const sent = JSON.parse((await posted).postData() ?? '') as { content: Record<string, unknown> };
    expect(Object.entries(sent.content).sort()).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'Acme'],
      ['valueOf', 3],
    ]);
    const received = await answer;
    expect(received.action).toBe('accept');
    expect(received.content).toMatchObject({ constructor: 'Acme', valueOf: 3 });
    await question.waitFor({ state: 'detached' });
  });

  it('leaves an optional multiple choice with nothing ticked out of the answer', async () => {
    const asked = await ask(
      'Anything else?',
      JSON.stringify({
        type: 'object',
        properties: {
          name: { type: 'string', title: 'Name' },
          extras: { type: 'array', title: 'Extras', items: { type: 'string', enum: ['wifi', 'parking'] }, minItems: 1 },
        },
        required: ['name'],
      }),
    );
    const { question } = asked;
    await question.getByLabel('Name (required)').fill('Ann');
    const extras = question.getByRole('group', { name: 'Extras' });
    await extras.getByRole('checkbox', { name: 'wifi' }).check();
    await extras.getByRole('checkbox', { name: 'wifi' }).uncheck();
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { name: 'Ann' } });
    await question.waitFor({ state: 'detached' });
  });

  it('says a number or a date the browser cannot read is wrong, not required or left out', async () => {
    const asked = await ask(
      'How many, and when?',
      JSON.stringify({
        type: 'object',
        properties: {
          guests: { type: 'integer', title: 'Guests', minimum: 1 },
          budget: { type: 'number', title: 'Budget' },
          day: { type: 'string', format: 'date', title: 'Day' },
        },
        required: ['guests'],
      }),
    );
    const { question } = asked;
    // What a field takes is said beside it before anything is typed, and is what describes its input.
    expect(await description(question.getByLabel('Guests (required)'))).toBe('A whole number at least 1.');
    // What Chromium lets through into a number input, and a date with only its month typed: each reads ''.
    await question.getByLabel('Guests (required)').pressSequentially('2e');
    await question.getByLabel('Budget').pressSequentially('--');
    await question.getByLabel('Day').pressSequentially('03');
    const accept = question.getByRole('button', { name: 'Accept' });
    await accept.press('Enter');
    await question.getByText('Guests must be a whole number.').waitFor();
    // Not 'Guests is required.' beside the '2e' it shows, and an optional field is not left out unsaid.
    // Each is its field's, read with it; said all at once (an alert each), they were read out as a pile.
    expect(await question.getByRole('alert').allTextContents()).toEqual(['Not sent: 3 answers need fixing.']);
    const invalid = question.locator('[aria-invalid="true"]');
    expect(await Promise.all((await invalid.all()).map(description))).toEqual([
      'A whole number at least 1. Guests must be a whole number.',
      'Budget must be a number.',
      'Day must be a whole date: its day, month and year.',
    ]);
    expect(await question.getByLabel('Guests (required)').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(
      true,
    );
    await checkAndShoot('question-unreadable-input');
    await question.getByLabel('Guests (required)').fill('2');
    await question.getByLabel('Budget').fill('');
    await question.getByLabel('Day').fill('');
    await accept.click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { guests: 2 } });
  });

  it("shows a date and time default in the picker, in the user's time zone, and sends what it shows", async () => {
    // The page in Berlin (UTC+1 in December), whatever zone the machine is in.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Europe/Berlin' });
    try {
      const asked = await ask(
        'When should the backup run?',
        JSON.stringify({
          type: 'object',
          properties: {
            when: { type: 'string', format: 'date-time', title: 'Start', default: '2026-12-24T10:30:00Z' },
          },
          required: ['when'],
        }),
      );
      const start = asked.question.getByLabel('Start (required)');
      expect(await start.inputValue()).toBe('2026-12-24T11:30');
      await checkAndShoot('question-datetime-default');
      await asked.question.getByRole('button', { name: 'Accept' }).click();
      expect(await accepted(asked)).toEqual({ action: 'accept', content: { when: '2026-12-24T11:30:00+01:00' } });
    } finally {
      await cdp.send('Emulation.setTimezoneOverride', { timezoneId: '' });
      await cdp.detach();
    }
  });

  it('moves the keyboard to the field a refused Accept names: its own checks, or the gateway', async () => {
    const asked = await ask(
      'Who?',
      JSON.stringify({
        type: 'object',
        properties: {
          first: { type: 'string', title: 'First' },
          email: { type: 'string', format: 'email', title: 'Email' },
          rooms: { type: 'array', title: 'Rooms', items: { type: 'string', enum: ['a', 'b'] }, minItems: 1 },
        },
        required: ['email', 'rooms'],
      }),
    );
    const { question } = asked;
    const focused = (control: Locator) => control.evaluate((el) => el === el.ownerDocument.activeElement);
    const email = question.getByLabel('Email (required)');
    await email.fill('not-an-address');
    await question.getByRole('button', { name: 'Accept' }).press('Enter');
    await question.getByText('Email must be an email address.').waitFor();
    expect(await focused(email)).toBe(true);
    // A group of choices: the group, which reads out its message.
    await email.fill('ann@example.org');
    await question.getByRole('button', { name: 'Accept' }).press('Enter');
    const rooms = question.getByRole('group', { name: 'Rooms (choose at least 1)' });
    // The message names the group, as each field's does: "Choose at least 1." said not which.
    await question.getByText('Rooms: choose at least 1.', { exact: true }).waitFor();
    expect(await focused(rooms)).toBe(true);
    expect(await description(rooms)).toBe('Rooms: choose at least 1.');
    await checkAndShoot('question-refused');
    // The gateway refuses (as it would an answer the server's schema rules out), naming the field.
    await rooms.getByRole('checkbox', { name: 'a' }).check();
    await page.route('**/api/questions/*', (route) =>
      route.fulfill({
        status: 400,
        contentType: 'application/json',
        body: JSON.stringify({
          ok: false,
          error: { code: 'invalid_request', message: 'field "email" is taken', field: 'email' },
        }),
      }),
    );
    try {
      await question.getByRole('button', { name: 'Accept' }).press('Enter');
      await question.getByText('field "email" is taken').waitFor();
      expect(await focused(email)).toBe(true);
    } finally {
      await page.unroute('**/api/questions/*');
    }
    // While the next answer is on its way, the refusal of the last one is no longer said beside it.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/questions/*', async (route) => {
      await held;
      await route.continue();
    });
    try {
      await question.getByRole('button', { name: 'Accept' }).click();
      expect(await question.getByText('field "email" is taken').count()).toBe(0);
    } finally {
      release();
      // Waits for the held answer to go on (unrouting under it handled it twice).
      await page.unrouteAll({ behavior: 'wait' });
    }
    expect(await accepted(asked)).toEqual({
      action: 'accept',
      content: { email: 'ann@example.org', rooms: ['a'] },
    });
  });

  it("links each field's description and error to it, whatever the field's name; marks a required yes/no", async () => {
    const asked = await ask(
      'Your name',
      JSON.stringify({
        type: 'object',
        properties: {
          'first name': { type: 'string', minLength: 2, description: 'As on your passport' },
          'dietary needs': {
            type: 'array',
            items: { type: 'string', enum: ['vegan', 'halal'] },
            description: 'Tick any that apply',
          },
          terms: { type: 'boolean', title: 'I agree', description: 'The booking terms' },
        },
        required: ['first name', 'terms'],
      }),
    );
    const { question } = asked;
    const name = question.getByLabel('first name (required)');
    expect(await description(name)).toBe('As on your passport. At least 2 characters.');
    expect(await description(question.getByRole('group', { name: 'dietary needs' }))).toBe('Tick any that apply');
    const terms = question.getByRole('radiogroup', { name: 'I agree (required)' });
    expect(await description(terms)).toBe('The booking terms');
    await name.fill('A');
    await question.getByRole('button', { name: 'Accept' }).click();
    await question.getByText('first name must be at least 2 characters.').waitFor();
    expect(await description(name)).toBe(
      'As on your passport. At least 2 characters. first name must be at least 2 characters.',
    );
    await checkAndShoot('question-descriptions');
    await name.fill('Ann');
    await terms.getByRole('radio', { name: 'Yes' }).check();
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { 'first name': 'Ann', terms: true } });
  });

  it('asks a required yes/no with no default to be answered, rather than send "no" for it unseen', async () => {
    const asked = await ask(
      'Keep the old backups?',
      JSON.stringify({
        type: 'object',
        properties: {
          keep: { type: 'boolean', title: 'Keep them', description: 'They take 40 GB' },
          notify: { type: 'boolean', title: 'Tell me when done', default: true },
        },
        required: ['keep', 'notify'],
      }),
    );
    const { question } = asked;
    // Accept with nothing touched: an unticked box went as an answer of "no" the user never gave.
    await question.getByRole('button', { name: 'Accept' }).click();
    const outcome = await Promise.race([
      question
        .getByText('Keep them: choose Yes or No.')
        .waitFor()
        .then(() => 'asked to choose'),
      asked.answer.then((a) => `sent ${JSON.stringify(a.content)}`),
    ]);
    expect(outcome).toBe('asked to choose');
    // Asked as a choice of two, neither chosen.
    const keep = question.getByRole('radiogroup', { name: 'Keep them (required)' });
    expect(await keep.getByRole('radio', { name: 'Yes' }).isChecked()).toBe(false);
    expect(await keep.getByRole('radio', { name: 'No' }).isChecked()).toBe(false);
    // One with a default starts as the server asks, shown: sending it is what the user sees.
    expect(await question.getByRole('checkbox', { name: 'Tell me when done (required)' }).isChecked()).toBe(true);
    expect(await keep.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(await description(keep)).toBe('They take 40 GB Keep them: choose Yes or No.');
    await checkAndShoot('question-required-yes-no');
    await keep.getByRole('radio', { name: 'No' }).check();
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { keep: false, notify: true } });
  });

  it('asks for a link in plain words', async () => {
    const asked = await ask(
      'Where is your shop?',
      JSON.stringify({
        type: 'object',
        properties: { site: { type: 'string', format: 'uri', title: 'Website' } },
        required: ['site'],
      }),
    );
    const { question } = asked;
    const site = question.getByLabel('Website (required)');
    expect(await description(site)).toBe('A full link, such as https://example.com.');
    await site.fill('shop.example.com');
    await question.getByRole('button', { name: 'Accept' }).click();
    await question.getByText('Website must be a full link, such as https://example.com.').waitFor();
    // Nowhere the word of the specification, which few who answer know.
    expect(await question.innerText()).not.toMatch(/\bURI\b/i);
    await checkAndShoot('question-link-field');
    await site.fill('https://shop.example.com');
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { site: 'https://shop.example.com' } });
  });

  it('sends a link typed with a letter such as ä, or a space, as the server checks it, encoded', async () => {
    const asked = await ask(
      'Which page?',
      JSON.stringify({
        type: 'object',
        properties: { page: { type: 'string', format: 'uri', title: 'Page' } },
        required: ['page'],
      }),
    );
    const { question } = asked;
    // As typed or read off a page: the server takes a link with %-codes only, and failed the call.
    await question.getByLabel('Page (required)').fill('https://de.wikipedia.org/wiki/Käse vom Hof');
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({
      action: 'accept',
      content: { page: 'https://de.wikipedia.org/wiki/K%C3%A4se%20vom%20Hof' },
    });
  });

  it('says a link that cannot be sent as typed is not a link, rather than send what the server refuses', async () => {
    const asked = await ask(
      'Which host?',
      JSON.stringify({ type: 'object', properties: { host: { type: 'string', format: 'uri', title: 'Host' } } }),
    );
    const { question } = asked;
    const host = question.getByLabel('Host');
    await host.fill('https://example.com/50%off');
    await question.getByRole('button', { name: 'Accept' }).click();
    await question.getByText('Host must be a full link, such as https://example.com.').waitFor();
    await host.fill('https://example.com/50%25off');
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { host: 'https://example.com/50%25off' } });
  });

  it("wraps a long unbroken token in a server's message and field texts inside the question's card", async () => {
    const token = 'A1B2C3D4E5'.repeat(30);
    const asked = await ask(
      `Confirm the transfer. Reference: ${token}`,
      JSON.stringify({ type: 'object', properties: { ok: { type: 'boolean', title: 'Yes', description: token } } }),
    );
    const { question } = asked;
    const overflow = (of: Locator) => of.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(await overflow(question)).toBeLessThanOrEqual(0);
    expect(await overflow(question.getByText('Confirm the transfer.'))).toBeLessThanOrEqual(0);
    expect(await overflow(question.getByText(token, { exact: true }))).toBeLessThanOrEqual(0);
    await checkAndShoot('question-long-message');
    await question.getByRole('button', { name: 'Decline' }).click();
    expect(await asked.answer).toEqual({ action: 'decline' });
  });

  it('keeps each choice of a multiple choice beside its box, in a narrow window too', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      const names = ['alpha-long-choice-name', 'beta-long-choice-name', 'gamma', 'delta-very-long-choice-name-here'];
      const asked = await ask(
        'Which tags?',
        JSON.stringify({
          type: 'object',
          properties: { tags: { type: 'array', title: 'Tags', items: { type: 'string', enum: names } } },
        }),
      );
      const tags = asked.question.getByRole('group', { name: 'Tags' });
      for (const name of names) {
        const box = tags.getByRole('checkbox', { name });
        // One line of its own: run on after the one before, a name broke after the next choice's box.
        const lines = await box.evaluate((el) => {
          const label = el.closest('label')!;
          const top = label.getBoundingClientRect().top;
          const sameLine = [...label.parentElement!.querySelectorAll('label')].filter(
            (other) => other !== label && other.getBoundingClientRect().top === top,
          );
          return { rects: label.getClientRects().length, sharing: sameLine.length };
        });
        expect(lines, name).toEqual({ rects: 1, sharing: 0 });
      }
      await checkAndShoot('question-choices-narrow');
      await asked.question.getByRole('button', { name: 'Cancel' }).click();
      expect(await asked.answer).toEqual({ action: 'cancel' });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("keeps a question's answer within reach however long its message, which scrolls by keyboard too", async () => {
    const long = 'A line of the terms the server wants read before the answer.\n'.repeat(20_000);
    const asked = await ask(`Read these terms. ${long}`, JSON.stringify({ type: 'object', properties: {} }));
    const { question } = asked;
    const decline = question.getByRole('button', { name: 'Decline' });
    // It was 800 000 pixels down the page, below every line.
    expect((await decline.boundingBox())!.y).toBeLessThan(800);
    const message = question.getByText('Read these terms.');
    // A stop for the keyboard, whose keys scroll it (made one once its text is laid out, past its height).
    await expect.poll(() => message.getAttribute('tabindex')).toBe('0');
    await question.focus();
    // Tab goes on from the card only once the card has the keyboard (a busy page may not have moved it yet).
    await expect.poll(() => question.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Tab');
    await expect.poll(() => message.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('End');
    await expect.poll(() => message.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    await checkAndShoot('question-long-message-scrolls');
    await decline.click();
    expect(await asked.answer).toEqual({ action: 'decline' });
    // A short one is no stop on the way to the answer.
    const short = await ask('Short one', JSON.stringify({ type: 'object', properties: {} }));
    expect(await short.question.getByText('Short one').getAttribute('tabindex')).toBeNull();
    await short.question.getByRole('button', { name: 'Cancel' }).click();
    expect(await short.answer).toEqual({ action: 'cancel' });
  });

  it('shows a choice the server lists twice once, and the rest of the screen with it', async () => {
    const errors: string[] = [];
    const onError = (e: Error) => errors.push(e.message);
    page.on('pageerror', onError);
    try {
      const asked = await ask(
        'Which room?',
        JSON.stringify({
          type: 'object',
          properties: {
            room: { type: 'string', title: 'Room', enum: ['a', 'a', 'b'], enumNames: ['Attic', 'Again', 'Basement'] },
            size: {
              type: 'string',
              title: 'Size',
              oneOf: [
                { const: 's', title: 'Small' },
                { const: 's', title: 'Same' },
              ],
            },
            extras: {
              type: 'array',
              title: 'Extras',
              items: { type: 'string', enum: ['tea', 'tea', 'fan'] },
              default: ['tea', 'tea'],
            },
          },
        }),
      );
      // The screen drew nothing at all (no question, not even "No questions are waiting").
      const { question } = asked;
      const options = (name: string) => question.getByLabel(name).locator('option').allTextContents();
      expect(await options('Room')).toEqual(['Choose…', 'Attic', 'Basement']);
      expect(await options('Size')).toEqual(['Choose…', 'Small']);
      const extras = question.getByRole('group', { name: 'Extras' });
      expect(await extras.getByRole('checkbox').count()).toBe(2);
      expect(await extras.getByRole('checkbox', { name: 'tea' }).isChecked()).toBe(true);
      await question.getByLabel('Room').selectOption('b');
      await question.getByRole('button', { name: 'Accept' }).click();
      // The default chosen once is sent once (twice, the gateway refused it).
      expect(await accepted(asked)).toEqual({ action: 'accept', content: { room: 'b', extras: ['tea'] } });
      expect(errors).toEqual([]);
    } finally {
      page.off('pageerror', onError);
    }
  });

  it('names a field or a choice whose title is blank by its own name', async () => {
    const asked = await ask(
      'Blank titles',
      JSON.stringify({
        type: 'object',
        properties: {
          city: { type: 'string', title: '  ' },
          room: { type: 'string', title: '', enum: ['a', 'b'], enumNames: ['Attic', ' '] },
          size: { type: 'string', title: 'Size', oneOf: [{ const: 's', title: '' }] },
        },
      }),
    );
    const { question } = asked;
    // Each was drawn without a name: an input a screen reader announced as "edit text", a blank option.
    await question.getByLabel('city', { exact: true }).fill('Oslo');
    expect(await question.getByLabel('room', { exact: true }).locator('option').allTextContents()).toEqual([
      'Choose…',
      'Attic',
      'b',
    ]);
    expect(await question.getByLabel('Size').locator('option').allTextContents()).toEqual(['Choose…', 's']);
    await checkAndShoot('question-blank-titles');
    await question.getByRole('button', { name: 'Accept' }).click();
    expect(await accepted(asked)).toEqual({ action: 'accept', content: { city: 'Oslo' } });
  });

  it('announces each new question, a second one from the same server too', async () => {
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'Overview' }).click();
    // The live region, wherever the user is: each arrival changes its text, so each is read out.
    const news = page.getByRole('status').filter({ hasText: 'waiting' });
    const first = send('First question', '{"type":"object","properties":{}}');
    await news.getByText('A question from forms is waiting.', { exact: true }).waitFor();
    const second = send('Second question', '{"type":"object","properties":{}}');
    await news.getByText('A question from forms is waiting (2 are waiting).', { exact: true }).waitFor();
    await nav.getByRole('link', { name: 'Questions' }).click();
    const question = (text: string) =>
      page.getByRole('article', { name: 'Question from forms' }).filter({ hasText: text });
    await question('First question').getByRole('button', { name: 'Decline' }).click();
    expect(await first).toEqual({ action: 'decline' });
    await news.getByText('1 question is waiting.', { exact: true }).waitFor();
    // Two waiting again: not the text the region held before, so read out as well.
    const third = send('Third question', '{"type":"object","properties":{}}');
    await news.getByText('A question from forms is waiting (2 are waiting).', { exact: true }).waitFor();
    await question('Second question').getByRole('button', { name: 'Decline' }).click();
    await question('Third question').getByRole('button', { name: 'Decline' }).click();
    expect([await second, await third]).toEqual([{ action: 'decline' }, { action: 'decline' }]);
    await news.waitFor({ state: 'detached' });
  });

  it('keeps the question being typed in where it is when a new one arrives above it', async () => {
    const form = (fields: number) =>
      JSON.stringify({
        type: 'object',
        properties: Object.fromEntries(Array.from({ length: fields }, (_, i) => [`f${i}`, { type: 'string' }])),
      });
    // Two older questions below give the page room to scroll.
    const older = [send('Older one', form(6)), send('Older two', form(6))];
    await page.getByRole('article').filter({ hasText: 'Older two' }).waitFor();
    const typing = await ask('Being answered', form(1));
    const field = typing.question.getByLabel('f0');
    await field.click();
    await page.keyboard.type('half');
    const top = async () => (await field.boundingBox())!.y;
    const before = await top();
    // Newest first: drawn above the one being typed in, which it pushed down (no scroll yet: no browser anchor).
    const newer = send('Arrived meanwhile', form(3));
    await page.getByRole('article').filter({ hasText: 'Arrived meanwhile' }).waitFor();
    // Within a pixel (the page scrolls by whole pixels).
    await expect.poll(async () => Math.abs((await top()) - before)).toBeLessThan(1);
    // Once scrolled, the browser keeps a place of its own: not moved twice.
    const later = send('Arrived later', form(2));
    await page.getByRole('article').filter({ hasText: 'Arrived later' }).waitFor();
    await expect.poll(async () => Math.abs((await top()) - before)).toBeLessThan(1);
    await page.keyboard.type(' typed');
    expect(await field.inputValue()).toBe('half typed');
    await checkAndShoot('question-arrived-above');
    for (const message of ['Arrived later', 'Arrived meanwhile', 'Being answered', 'Older one', 'Older two'])
      await page.getByRole('article').filter({ hasText: message }).getByRole('button', { name: 'Cancel' }).click();
    const answers = await Promise.all([...older, typing.answer, newer, later]);
    expect(answers.map((a) => a.action)).toEqual(['cancel', 'cancel', 'cancel', 'cancel', 'cancel']);
  });

  it('keeps the keyboard on the screen when questions are withdrawn as one is typed in, and on Dismiss', async () => {
    const schema = '{"type":"object","properties":{"note":{"type":"string","title":"Note"}}}';
    const calls = [0, 1].map((i) => send(`To withdraw ${i}`, schema).catch(() => undefined));
    const question = (i: number) =>
      page.getByRole('article', { name: 'Question from forms' }).filter({ hasText: `To withdraw ${i}` });
    await question(1).waitFor();
    await question(0).getByLabel('Note').fill('half typed');
    const focused = () =>
      page.evaluate('document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent');
    // Its server stops: both questions go away.
    await gateway.api.setServerEnabled('forms', false);
    try {
      await Promise.all(calls);
      await question(0).waitFor({ state: 'detached' });
      // Not lost to the page: on the screen's heading, none being left.
      await expect.poll(focused).toBe('Questions');
      const gone = page.getByRole('alert').filter({ hasText: 'withdrawn' });
      // One note for both, saying so.
      await gone.getByText(/^\s*2 questions from forms were withdrawn: the calls that asked them ended/).waitFor();
      await gone.getByRole('button', { name: 'Dismiss' }).focus();
      await page.keyboard.press('Enter');
      await gone.waitFor({ state: 'detached' });
      await expect.poll(focused).toBe('Questions');
    } finally {
      await gateway.api.setServerEnabled('forms', true);
    }
  });
});

describe('one question in two windows', () => {
  it('says in the other window that it was answered, and nothing of the kind in the window that did', async () => {
    const other = await openWebUi(gateway.uiLoginUrl()!);
    try {
      await other.page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Questions' }).click();
      const asked = await ask('Where to?', '{"type":"object","properties":{"city":{"type":"string","title":"City"}}}');
      const there = other.page.getByRole('article', { name: 'Question from forms' }).filter({ hasText: 'Where to?' });
      // Half typed in the other window, when the answer comes from this one.
      await there.getByLabel('City').fill('Ber');
      await asked.question.getByLabel('City').fill('Oslo');
      await asked.question.getByRole('button', { name: 'Accept' }).click();
      expect(await accepted(asked)).toEqual({ action: 'accept', content: { city: 'Oslo' } });
      await there.waitFor({ state: 'detached' });
      // What was typed there went with it: the note says why (it vanished without a word).
      await other.page
        .getByRole('alert')
        .getByText('The question from forms was answered in another window.', { exact: false })
        .waitFor();
      await other.page.screenshot({ path: path.join(shots, 'question-answered-elsewhere.png') });
      await page.getByRole('status').getByText('Answered the question from forms.').waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('pages to open in the Questions screen', () => {
  it('shows the page and its host, opens it only when asked, and takes Done, all from the keyboard', async () => {
    const url = 'https://pay.example.com/checkout?item=<b>1</b>';
    const call = client.callTool({
      name: 'every__trigger-url-elicitation',
      arguments: { url, message: 'Pay for <b>it</b>' },
    });
    const question = page.getByRole('article', { name: 'Question from every' });
    await question.getByText('The server asks you to open a page on pay.example.com:').waitFor();
    await question.getByText('Pay for <b>it</b>', { exact: true }).waitFor();
    await question.getByText('https://pay.example.com/checkout?item=%3Cb%3E1%3C/b%3E', { exact: true }).waitFor();
    const done = question.getByRole('button', { name: 'Done' });
    expect(await done.isDisabled()).toBe(true);
    // Greyed out, Done said nothing of why (and Tab passes it by).
    const why = question.getByText('Done can be pressed once the page is opened or its link copied.');
    expect(await why.isVisible()).toBe(true);
    await checkAndShoot('question-page-to-open');
    await question.getByRole('button', { name: 'Open pay.example.com' }).focus();
    const opened = page.context().waitForEvent('page');
    await page.keyboard.press('Enter');
    const tab = await opened;
    // Opened apart from the app: the page cannot reach back into it.
    expect(await tab.evaluate('window.opener === null')).toBe(true);
    await tab.close();
    expect(await why.count()).toBe(0);
    await page.keyboard.press('Tab'); // Copy link
    await page.keyboard.press('Tab');
    expect(await done.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(textOf(await call)).toContain('User completed the URL elicitation flow');
    await page.getByRole('status').getByText('Answered the question from every.').waitFor();
  });
});

describe('a page to open in another browser', () => {
  it('copies its link, and Done then counts without opening it here', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const url = 'https://login.example.com/authorize?client=switchboard';
    const call = client.callTool({ name: 'every__trigger-url-elicitation', arguments: { url, message: 'Sign in' } });
    const question = page.getByRole('article', { name: 'Question from every' }).filter({ hasText: 'Sign in' });
    const done = question.getByRole('button', { name: 'Done' });
    expect(await done.isDisabled()).toBe(true);
    await question.getByRole('button', { name: 'Copy link' }).click();
    await page
      .getByRole('status')
      .getByText('Link copied: open it in the browser you want, then press Done.')
      .waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(url);
    await done.click();
    expect(textOf(await call)).toContain('User completed the URL elicitation flow');
  });
});

describe('model requests in the Questions screen', () => {
  it('says which tools the model is offered, and the reply written here reaches the server', async () => {
    const call = client.callTool({ name: 'forms__forecast', arguments: {} });
    const question = page.getByRole('article', { name: 'Question from forms' }).filter({ hasText: 'Lisbon' });
    await question
      .getByText('The model is offered a tool: get_weather. A reply here is text, and uses none of them.')
      .waitFor();
    await checkAndShoot('questions-sampling-tools');
    await question.getByLabel('Reply').fill('No rain today.');
    await question.getByRole('button', { name: 'Send reply' }).click();
    expect(textOf(await call)).toBe('No rain today.');
  });
});
