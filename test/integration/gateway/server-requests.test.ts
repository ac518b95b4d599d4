import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  EVERYTHING,
  NODE,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { rawSession, sseMessages } from '../../helpers/raw-http.ts';

describe('server-to-client requests and notifications', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          fx: fixtureServer('fx'),
          other: fixtureServer('other'),
          sampler: fixtureServer('sampler', { FIXTURE_SAMPLING: '1' }),
          sampler2: fixtureServer('sampler2', { FIXTURE_SAMPLING: '1' }),
          forms: fixtureServer('forms', { FIXTURE_FORMS: '1' }),
          every: { command: NODE, args: [EVERYTHING] },
        },
        profiles: { muse: { servers: ['sampler'] } },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('sends an elicitation to the client whose call caused it and returns its answer to the server', async () => {
    const asker = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    const bystander = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    const seenByBystander: unknown[] = [];
    bystander.setRequestHandler(ElicitRequestSchema, async (req) => {
      seenByBystander.push(req);
      return { action: 'decline' };
    });
    asker.setRequestHandler(ElicitRequestSchema, async (req) => {
      expect(req.params.message).toBe('What is your name?');
      return { action: 'accept', content: { name: 'Ada' } };
    });
    try {
      expect(textOf(await asker.callTool({ name: 'fx__ask', arguments: {} }))).toBe('hello Ada');
      expect(seenByBystander).toEqual([]);
    } finally {
      await asker.close();
      await bystander.close();
    }
  });

  it('asks the user through the control API (/api/questions) when the client cannot show the elicitation', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(gateway.httpUrl()!.replace(/\/mcp$/, `/api${path}`), {
        ...init,
        headers: {
          authorization: `Bearer ${gateway.apiToken()!}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
    try {
      const call = client.callTool({ name: 'fx__ask', arguments: {} });
      const question = await waitFor(
        async () =>
          (
            (await (await api('/questions')).json()) as {
              id: string;
              server: string;
              message: string;
              reason: string;
            }[]
          )[0],
        10_000,
        'a waiting question',
      );
      expect(question).toMatchObject({ server: 'fx', message: 'What is your name?' });
      expect(question.reason).toMatch(/cannot show questions from servers \(it does not offer elicitation\)/);
      const bad = await api(`/questions/${question.id}`, {
        method: 'POST',
        body: JSON.stringify({ action: 'accept', content: { name: 42 } }),
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toMatch(/name/);
      const ok = await api(`/questions/${question.id}`, {
        method: 'POST',
        body: JSON.stringify({ action: 'accept', content: { name: 'Grace' } }),
      });
      expect(ok.status).toBeLessThan(300);
      expect(textOf(await call)).toBe('hello Grace');
      expect(await (await api('/questions')).json()).toEqual([]);
      const unauthorised = await fetch(gateway.httpUrl()!.replace(/\/mcp$/, '/api/questions'));
      expect(unauthorised.status).toBe(401);
    } finally {
      await client.close();
    }
  });

  it('tells the server when the user declines in the app', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(gateway.httpUrl()!.replace(/\/mcp$/, `/api${path}`), {
        ...init,
        headers: { authorization: `Bearer ${gateway.apiToken()!}`, 'content-type': 'application/json' },
      });
    try {
      const call = client.callTool({ name: 'fx__ask', arguments: {} });
      const question = await waitFor(
        async () => ((await (await api('/questions')).json()) as { id: string }[])[0],
        10_000,
        'a waiting question',
      );
      await api(`/questions/${question.id}`, { method: 'POST', body: JSON.stringify({ action: 'decline' }) });
      expect(textOf(await call)).toBe('no answer (decline)');
    } finally {
      await client.close();
    }
  });

  it('refuses a form of more choices or fields than the app can draw, saying why, and shows nothing', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const choices = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
    const ask = (properties: Record<string, unknown>) =>
      client.callTool({
        name: 'forms__form',
        arguments: { message: 'Pick', schema: JSON.stringify({ type: 'object', properties }) },
      });
    try {
      // 500 000 choices in one form kept the app's window busy drawing them for as long as it was open.
      const huge = await ask({ city: { type: 'string', enum: choices(500_000) } });
      expect(huge.isError).toBe(true);
      expect(textOf(huge)).toContain(
        'requestedSchema offers more than 1000 choices (property "city" alone has 500000)',
      );
      const spread = await ask({
        a: { type: 'string', enum: choices(600) },
        b: { type: 'array', items: { type: 'string', enum: choices(600) } },
      });
      expect(textOf(spread)).toContain('offers more than 1000 choices (1200 up to property "b")');
      const fields = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, { type: 'string' }]));
      const wide = await ask(fields);
      expect(wide.isError).toBe(true);
      expect(textOf(wide)).toContain('requestedSchema has 101 properties, more than 100');
      expect(await gateway.api.listQuestions()).toEqual([]);
      // A list of countries is shown.
      const call = ask({ country: { type: 'string', enum: choices(250) } });
      const question = await waitFor(async () => (await gateway.api.listQuestions())[0], 10_000, 'the question');
      await gateway.api.answerQuestion(question.id, { action: 'accept', content: { country: 'c249' } });
      expect(JSON.parse(textOf(await call))).toEqual({ action: 'accept', content: { country: 'c249' } });
    } finally {
      await client.close();
    }
  });

  it('refuses a form with a required field no answer fits (contradicting bounds), naming it', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const ask = (properties: Record<string, unknown>, required: string[]) =>
      client.callTool({
        name: 'forms__form',
        arguments: { message: 'Book', schema: JSON.stringify({ type: 'object', properties, required }) },
      });
    try {
      // Each would be shown with every Accept refused ("at most 5", then "at least 10"): Decline the only way on.
      const refused = [
        [{ guests: { type: 'integer', minimum: 10, maximum: 5 } }, 'its minimum 10 is above its maximum 5'],
        [{ guests: { type: 'integer', minimum: 1.2, maximum: 1.8 } }, 'no whole number lies between its minimum 1.2'],
        [{ code: { type: 'string', minLength: 8, maxLength: 4 } }, 'its minLength 8 is above its maxLength 4'],
        [
          { rooms: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 3 } },
          'its minItems 3 is more than the 2 choices it offers',
        ],
        [
          { rooms: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 2, maxItems: 1 } },
          'its minItems 2 is above its maxItems 1',
        ],
      ] as const;
      for (const [properties, why] of refused) {
        const name = Object.keys(properties)[0]!;
        const result = await ask(properties, [name]);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain(
          `requestedSchema property "${name}" is required, and no answer fits it: ${why}`,
        );
      }
      expect(await gateway.api.listQuestions()).toEqual([]);
      // Optional, such a field may be left empty: the form is shown. A number of 1.5 is shown too.
      const call = ask(
        {
          guests: { type: 'integer', minimum: 10, maximum: 5 },
          ratio: { type: 'number', minimum: 1.2, maximum: 1.8 },
        },
        ['ratio'],
      );
      const question = await waitFor(async () => (await gateway.api.listQuestions())[0], 10_000, 'the question');
      await gateway.api.answerQuestion(question.id, { action: 'accept', content: { ratio: 1.5 } });
      expect(JSON.parse(textOf(await call))).toEqual({ action: 'accept', content: { ratio: 1.5 } });
    } finally {
      await client.close();
    }
  });

  it('does not show a page whose URL is over 8192 characters: its server hears decline, the log says why', async () => {
    const client = await httpClient(gateway.httpUrl()!); // no elicitation: the app would show the page
    const logged: string[] = [];
    const onLog = (note: { text: string }) => logged.push(note.text);
    gateway.on('log', onLog);
    try {
      const url = `https://example.com/${'a'.repeat(8200)}`;
      const asked = await client.callTool({ name: 'every__trigger-url-elicitation', arguments: { url } });
      expect(textOf(asked)).toContain('declined');
      expect(logged).toContain(
        'elicitation/create from "every" refused: it has a url longer than 8192 characters; ' +
          'the server was told the user declined',
      );
      expect(await gateway.api.listQuestions()).toEqual([]);
    } finally {
      gateway.off('log', onLog);
      await client.close();
    }
  });

  it('opens the pages a server needs first (-32042) in the app for a client that cannot, then retries', async () => {
    const client = await httpClient(gateway.httpUrl()!); // no elicitation
    const pay = (elicitationId: string) =>
      client.callTool({
        name: 'every__trigger-url-elicitation',
        arguments: { url: 'https://example.com/pay', errorPath: true, elicitationId },
      });
    const page = (url: string) =>
      waitFor(async () => (await gateway.api.listQuestions()).find((q) => q.mode === 'url' && q.url === url));
    try {
      // The reference server refuses the call until its prerequisite page is opened: the client
      // could not show it (its error went to the client, and nobody saw the page).
      const call = pay('pay-1');
      const prerequisite = await page('https://modelcontextprotocol.io/');
      expect(prerequisite).toMatchObject({ server: 'every', client: { name: 'test-client' } });
      expect(prerequisite.reason).toMatch(/cannot show questions from servers/);
      await gateway.api.answerQuestion(prerequisite.id, { action: 'accept' });
      // Called again, the server goes on to ask its own page, through the app as well.
      const own = await page('https://example.com/pay');
      await gateway.api.answerQuestion(own.id, { action: 'accept' });
      expect(textOf(await call)).toContain('User completed the URL elicitation');

      // Declined: the client gets the server's error, saying what became of the page.
      const declined = pay('pay-2');
      await gateway.api.answerQuestion((await page('https://modelcontextprotocol.io/')).id, { action: 'decline' });
      const err = (await declined.then(
        () => undefined,
        (e: unknown) => e,
      )) as { code: number; message: string };
      expect(err.code).toBe(-32042);
      expect(err.message).toContain(
        'requires browser-based authorization. (the page was shown in Switchboard, and the user declined to open it)',
      );
      expect(await gateway.api.listQuestions()).toEqual([]);
    } finally {
      await client.close();
    }
    // A client that opens pages itself gets the error as the server sent it; nothing in the app.
    const opener = await httpClient(gateway.httpUrl()!, { elicitation: { url: {} } });
    try {
      const err = (await opener
        .callTool({
          name: 'every__trigger-url-elicitation',
          arguments: { url: 'https://example.com/a', errorPath: true },
        })
        .catch((e: unknown) => e)) as { code: number; data: { elicitations: { url: string }[] } };
      expect(err.code).toBe(-32042);
      expect(err.data.elicitations[0]!.url).toBe('https://modelcontextprotocol.io');
      expect(await gateway.api.listQuestions()).toEqual([]);
    } finally {
      await opener.close();
    }
  });

  it("passes a server's model request with tools to a client that can use them, else asks the user", async () => {
    // An SDK server sends tools only to a client that declares sampling.tools: the gateway must.
    const able = await httpClient(gateway.httpUrl()!, { sampling: { tools: {} } });
    able.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant',
      content: { type: 'text', text: `offered ${req.params.tools?.map((t) => t.name).join(', ')}` },
      model: 'test-model',
    }));
    const unable = await httpClient(gateway.httpUrl()!, { sampling: {} });
    unable.setRequestHandler(CreateMessageRequestSchema, async () => {
      throw new Error('a client without sampling.tools was sent tools');
    });
    const api = (path: string, init: RequestInit = {}) =>
      fetch(gateway.httpUrl()!.replace(/\/mcp$/, `/api${path}`), {
        ...init,
        headers: { authorization: `Bearer ${gateway.apiToken()!}`, 'content-type': 'application/json' },
      });
    try {
      expect(textOf(await able.callTool({ name: 'sampler__forecast', arguments: {} }))).toBe('offered get_weather');
      const call = unable.callTool({ name: 'sampler__forecast', arguments: {} });
      const question = await waitFor(
        async () => ((await (await api('/questions')).json()) as { id: string; reason: string }[])[0],
        10_000,
        'a waiting question',
      );
      expect(question.reason).toMatch(/cannot let a server's model request use tools/);
      await api(`/questions/${question.id}`, {
        method: 'POST',
        body: JSON.stringify({ action: 'accept', content: { type: 'text', text: 'No rain today.' } }),
      });
      expect(textOf(await call)).toBe('No rain today.');
    } finally {
      await able.close();
      await unable.close();
    }
  });

  it("passes the client's progress on a server's model request back to that server", async () => {
    // Every server's SDK numbers its progress tokens from 0: two servers asking at once would collide.
    const client = await httpClient(gateway.httpUrl()!, { sampling: {} });
    const tokens: unknown[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (req, extra) => {
      const progressToken = req.params._meta?.progressToken;
      tokens.push(progressToken);
      if (progressToken !== undefined)
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress: 1, total: 2, message: 'thinking' },
        });
      return { role: 'assistant', content: { type: 'text', text: 'A thought.' }, model: 'test-model' };
    });
    try {
      const [one, two] = await Promise.all([
        client.callTool({ name: 'sampler__muse', arguments: {} }),
        client.callTool({ name: 'sampler2__muse', arguments: {} }),
      ]);
      expect(textOf(one)).toBe('A thought. (progress heard: 1/2 thinking)');
      expect(textOf(two)).toBe('A thought. (progress heard: 1/2 thinking)');
      expect(new Set(tokens).size).toBe(2);
    } finally {
      await client.close();
    }
  });

  it("does not let another client's progress reach a server's model request to this client", async () => {
    // An SDK server numbers its requests' progress tokens from 0: a client's progress under a token
    // of its own, on no request put to it, must not land on the one put to another client.
    const url = gateway.httpUrl()!.replace(/\/mcp$/, '/mcp/muse');
    const asked = await httpClient(url, { sampling: {} });
    const meddler = await rawSession(url);
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let questions = 0;
    asked.setRequestHandler(CreateMessageRequestSchema, async () => {
      questions++;
      await answered;
      return { role: 'assistant', content: { type: 'text', text: 'A thought.' }, model: 'test-model' };
    });
    try {
      const call = asked.callTool({ name: 'sampler__muse', arguments: {} });
      await waitFor(() => questions === 1, 10_000, 'the model request');
      for (let token = 0; token < 20; token++) {
        const sent = await meddler.post({
          jsonrpc: '2.0',
          method: 'notifications/progress',
          params: { progressToken: token, progress: 9, total: 9, message: 'not yours' },
        });
        await sent.text();
      }
      // A ping answered after them: the gateway has read them all.
      await meddler.call({ jsonrpc: '2.0', id: 1, method: 'ping' });
      answer();
      expect(textOf(await call)).toBe('A thought. (progress heard: none)');
    } finally {
      await asked.close();
    }
  });

  it('delivers log notifications only to sessions of profiles that include the server, at their level', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(`${n.params.level}:${String(n.params.data)}`);
    });
    try {
      await client.setLoggingLevel('warning');
      await client.callTool({ name: 'fx__log', arguments: { level: 'info', text: 'quiet' } });
      await client.callTool({ name: 'fx__log', arguments: { level: 'error', text: 'loud' } });
      await waitFor(() => logs.includes('error:loud'), 5000, 'the error log');
      expect(logs).not.toContain('info:quiet');
    } finally {
      await client.close();
    }
  });

  it('resumes a broken SSE response stream with Last-Event-ID without replaying other streams', async () => {
    const s = await rawSession(gateway.httpUrl()!);
    const controller = new AbortController();
    const res = await s.post({
      jsonrpc: '2.0',
      id: 'r1',
      method: 'tools/call',
      params: { name: 'fx__slow', arguments: { steps: 4, delayMs: 150 }, _meta: { progressToken: 'tok' } },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    // Read the first event, then drop the connection.
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const lastId = /^id: (.+)$/m.exec(text)![1]!;
    await reader.cancel();
    controller.abort();
    await new Promise((r) => setTimeout(r, 100));
    const resumed = await fetch(gateway.httpUrl()!, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': s.sessionId, 'last-event-id': lastId },
    });
    expect(resumed.status).toBe(200);
    const messages = sseMessages(await resumed.text());
    const progress = messages
      .filter((m) => m.method === 'notifications/progress')
      .map((m) => (m.params as { progress: number }).progress);
    const first = (sseMessages(text)[0]!.params as { progress: number }).progress;
    expect(progress).toEqual([2, 3, 4].filter((p) => p > first));
    expect(messages.at(-1)).toMatchObject({ id: 'r1', result: { content: [{ text: 'done after 4 steps' }] } });
  });
});
