/**
 * What a JSON handler upstream makes of the travel desk (list, call, read, get, errors, server-to-
 * client requests, stop), run against each handler backend: Python and Node over HTTP, PHP under
 * php-fpm (TCP and Unix socket), node-fastcgi in-process. Any upstream that serves the travel
 * desk can be handed to it. The lifecycle every kind shares is checked by
 * test/integration/upstreams/lifecycle-suite.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonRpcRequest } from '../../../main/engine/protocol/jsonrpc.ts';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';
import type { ReplyFn, Upstream } from '../../../main/engine/upstreams/types.ts';

export interface BehaviourTarget {
  upstream: Upstream;
  /** What the backend printed, for assertions on elicitation_cancelled (when it can be seen). */
  output?: () => string;
  close(): Promise<void>;
}

type Answer = Parameters<ReplyFn>[0];

/** Answers each elicitation/create with the next answer; records the questions. */
export function answerWith(upstream: Upstream, answers: Answer[]): { asked: JsonRpcRequest[]; done(): void } {
  const asked: JsonRpcRequest[] = [];
  const onRequest = (message: JsonRpcRequest, reply: ReplyFn): void => {
    asked.push(message);
    const next = answers.shift();
    if (next) reply(next);
    else reply({ error: { code: -32601, message: 'no more answers in this test' } });
  };
  upstream.on('request', onRequest);
  return { asked, done: () => upstream.off('request', onRequest) };
}

const text = (result: Record<string, unknown>): string =>
  ((result.content as { type: string; text?: string }[]) ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

export function describeUpstreamBehaviour(label: string, setup: () => Promise<BehaviourTarget>): void {
  describe(`upstream behaviour: ${label}`, () => {
    let target: BehaviourTarget;
    let u: Upstream;

    beforeAll(async () => {
      target = await setup();
      u = target.upstream;
      u.start();
      await u.whenReady(10_000);
    });
    afterAll(async () => {
      await target?.close();
    });

    it('is ready with a synthetic initialize result', () => {
      const info = u.info()!;
      expect(info.serverInfo.name).toBe(u.name);
      expect(info.capabilities).toMatchObject({
        tools: { listChanged: false },
        resources: { listChanged: false },
        prompts: { listChanged: false },
      });
      expect(u.status()).toMatchObject({ name: u.name, state: 'ready' });
      expect(u.status().lastError).toBeUndefined();
    });

    it('lists tools in MCP shape (schemas and annotations mapped)', async () => {
      const { tools } = (await u.request('tools/list', {})) as { tools: Record<string, unknown>[] };
      expect(tools.map((t) => t.name)).toEqual(['get_weather', 'book_flight', 'whoami']);
      expect(tools[0]).toMatchObject({
        title: 'Weather',
        inputSchema: { type: 'object', required: ['city'] },
        outputSchema: { type: 'object', required: ['city', 'temperature_c', 'conditions'] },
        annotations: { readOnlyHint: true, openWorldHint: false },
      });
      expect(tools[0]).not.toHaveProperty('input_schema');
      expect(tools[2]!.inputSchema).toEqual({ type: 'object', properties: {} });
    });

    it('lists resources, resource templates and prompts', async () => {
      expect(await u.request('resources/list', {})).toEqual({
        resources: [
          {
            uri: 'travel://policy',
            name: 'travel-policy',
            title: 'Travel policy',
            description: 'Who may book which class.',
            mimeType: 'text/markdown',
          },
        ],
      });
      expect(await u.request('resources/templates/list', {})).toEqual({
        resourceTemplates: [
          {
            uriTemplate: 'travel://bookings/{id}',
            name: 'booking',
            description: 'A booking by id, e.g. travel://bookings/BK-TOK-14A',
            mimeType: 'application/json',
          },
        ],
      });
      const { prompts } = (await u.request('prompts/list', {})) as { prompts: unknown[] };
      expect(prompts).toEqual([
        {
          name: 'trip_summary',
          title: 'Trip summary',
          description: 'Asks for a short summary of a trip.',
          arguments: [{ name: 'destination', description: 'Where to', required: true }],
        },
      ]);
    });

    it('calls a tool with structured output', async () => {
      const result = await u.request('tools/call', { name: 'get_weather', arguments: { city: 'Oslo' } });
      expect(result).toEqual({
        content: [{ type: 'text', text: 'Oslo: 14 °C, sunny' }],
        structuredContent: { city: 'Oslo', temperature_c: 14, conditions: 'sunny' },
      });
    });

    it("turns the handler's error into a tool error with the code in the text and _meta", async () => {
      const result = await u.request('tools/call', { name: 'get_weather', arguments: {} });
      expect(result).toEqual({
        content: [{ type: 'text', text: 'Error 400: city is required' }],
        isError: true,
        _meta: { 'switchboard/handlerError': { code: 400, message: 'city is required' } },
      });
      expect(text(await u.request('tools/call', { name: 'nope', arguments: {} }))).toBe(
        'Error 404: Unknown tool: nope',
      );
    });

    it('reads a resource and a templated one; an unknown one is resource-not-found', async () => {
      expect(await u.request('resources/read', { uri: 'travel://policy' })).toEqual({
        contents: [
          {
            uri: 'travel://policy',
            mimeType: 'text/markdown',
            text: '# Travel policy\n\nEconomy for trips under 6 hours; business above.\n',
          },
        ],
      });
      const booking = await u.request('resources/read', { uri: 'travel://bookings/BK-TOK-14A' });
      expect(JSON.parse((booking.contents as { text: string }[])[0]!.text)).toEqual({
        booking: 'BK-TOK-14A',
        status: 'confirmed',
      });
      const err = (await u
        .request('resources/read', { uri: 'travel://nowhere' })
        .catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.rpc).toEqual({
        code: -32602,
        message:
          `Resource not found: travel://nowhere (server "${u.name}": ` +
          `Error 404: No such resource: travel://nowhere)`,
        data: { uri: 'travel://nowhere', code: 404 },
      });
    });

    it('gets a prompt (role from the handler); a bad one is invalid params', async () => {
      expect(await u.request('prompts/get', { name: 'trip_summary', arguments: { destination: 'Lima' } })).toEqual({
        description: 'Trip to Lima',
        messages: [
          { role: 'user', content: { type: 'text', text: 'Summarise my trip to Lima in three bullet points.' } },
        ],
      });
      const err = (await u
        .request('prompts/get', { name: 'trip_summary', arguments: {} })
        .catch((e: unknown) => e)) as GatewayError;
      expect(err.rpc).toMatchObject({
        code: -32602,
        message: `server "${u.name}": Error 400: destination is required`,
      });
    });

    it('runs the two-step elicitation: class, then seat, then the booking', async () => {
      const answers = answerWith(u, [
        { result: { action: 'accept', content: { class: 'business' } } },
        { result: { action: 'accept', content: { seat: 'window' } } },
      ]);
      try {
        const result = await u.request('tools/call', { name: 'book_flight', arguments: { destination: 'Tokyo' } });
        expect(answers.asked.map((m) => [m.method, m.params?.message])).toEqual([
          ['elicitation/create', 'Which class would you like to fly to Tokyo?'],
          ['elicitation/create', 'Window or aisle seat in business?'],
        ]);
        expect(answers.asked[0]!.params?.requestedSchema).toMatchObject({
          properties: { class: { enum: ['economy', 'premium', 'business'] } },
          required: ['class'],
        });
        expect(result).toEqual({
          content: [
            { type: 'text', text: 'Booked a business window seat (14A) to Tokyo. Booking BK-TOK-14A.' },
            {
              type: 'resource_link',
              uri: 'travel://bookings/BK-TOK-14A',
              name: 'BK-TOK-14A',
              mimeType: 'application/json',
            },
          ],
          structuredContent: { booking: 'BK-TOK-14A', destination: 'Tokyo', class: 'business', seat: '14A' },
        });
      } finally {
        answers.done();
      }
    });

    it('declining the second question ends the call with a tool error saying so', async () => {
      const answers = answerWith(u, [
        { result: { action: 'accept', content: { class: 'economy' } } },
        { result: { action: 'decline' } },
      ]);
      try {
        const result = await u.request('tools/call', { name: 'book_flight', arguments: { destination: 'Rome' } });
        expect(result).toEqual({
          content: [
            {
              type: 'text',
              text: 'The user declined to answer "Window or aisle seat in economy?", so book_flight did not complete.',
            },
          ],
          isError: true,
          _meta: { 'switchboard/elicitation': { action: 'decline' } },
        });
        if (target.output) await expect.poll(target.output).toMatch(/book_flight: decline/);
      } finally {
        answers.done();
      }
    });

    it('a cancelled question and an unanswerable one end the call too', async () => {
      const cancel = answerWith(u, [{ result: { action: 'cancel' } }]);
      try {
        expect(text(await u.request('tools/call', { name: 'book_flight', arguments: { destination: 'Rome' } }))).toBe(
          'The user cancelled the question "Which class would you like to fly to Rome?", so book_flight did ' +
            'not complete.',
        );
      } finally {
        cancel.done();
      }
      const nobody = answerWith(u, []);
      try {
        const result = await u.request('tools/call', { name: 'book_flight', arguments: { destination: 'Rome' } });
        expect(text(result)).toBe(
          'Nobody could answer "Which class would you like to fly to Rome?" (no more answers in this test), ' +
            'so book_flight did not complete.',
        );
        expect(result._meta).toEqual({ 'switchboard/elicitation': { action: 'unsupported' } });
      } finally {
        nobody.done();
      }
    });

    it('passes the session id and forwards client headers by the rules', async () => {
      const result = await u.request(
        'tools/call',
        { name: 'whoami', arguments: {} },
        {
          sessionId: 'session-7',
          clientHeaders: [
            ['X-Tenant', 'acme'],
            ['X_Tenant', 'spoof'],
          ],
        },
      );
      expect(result.structuredContent).toEqual({ session_id: 'session-7', tenant: 'acme' });
      expect((await u.request('tools/call', { name: 'whoami', arguments: {} })).structuredContent).toEqual({
        session_id: null,
        tenant: null,
      });
    });

    it('serves many calls at once', async () => {
      const cities = Array.from({ length: 24 }, (_, i) => `City${i}`);
      const results = await Promise.all(
        cities.map((city) => u.request('tools/call', { name: 'get_weather', arguments: { city } })),
      );
      expect(results.map((r) => (r.structuredContent as { city: string }).city)).toEqual(cities);
    });

    it('answers methods a handler has no notion of', async () => {
      expect(await u.request('ping', {})).toEqual({});
      const err = (await u
        .request('resources/subscribe', { uri: 'travel://policy' })
        .catch((e: unknown) => e)) as GatewayError;
      expect(err.rpc).toMatchObject({ code: -32601 });
      expect(err.message).toBe(`server "${u.name}" is a JSON handler and does not support resources/subscribe`);
    });

    it('fails requests once stopped', async () => {
      await u.stop();
      expect(u.status().state).toBe('stopped');
      const err = (await u
        .request('tools/call', { name: 'get_weather', arguments: { city: 'Oslo' } })
        .catch((e: unknown) => e)) as GatewayError;
      expect(err.code).toBe('upstream_unavailable');
      await expect(u.whenReady(100)).rejects.toThrow(/stopped/);
    });
  });
}
