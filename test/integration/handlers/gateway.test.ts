/**
 * Issue 4's "done when", end to end through the gateway: the three examples (Python and Node
 * over HTTP, PHP under php-fpm) plus a stdio MCP server, served at once to one MCP client over
 * Streamable HTTP; the two-step elicitation completes for a client that shows forms and,
 * through the control API (/api/questions), for one that does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Gateway } from '../../../main/engine/index.ts';
import {
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { startExample, type ExampleHandler } from '../../fixtures/handlers/example-process.ts';
import { EXAMPLE_PHP, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

describe('handlers and MCP servers behind one gateway', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let python: ExampleHandler;
  let node: ExampleHandler;
  let fpm: PhpFpm;

  beforeAll(async () => {
    [python, node, fpm, dir] = await Promise.all([
      startExample('python'),
      startExample('node'),
      startPhpFpm({ listen: 'tcp' }),
      tempDir(),
    ]);
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          py: { handler: python.url },
          js: { handler: node.url, headers: { 'X-Tenant': 'from-config' }, overridableHeaders: ['X-Tenant'] },
          php: { handler: fpm.address, entrypoint: EXAMPLE_PHP },
          fx: fixtureServer('fx'),
        },
      }),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([python?.stop(), node?.stop(), fpm?.stop(), dir?.cleanup()]);
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(gateway.httpUrl()!.replace(/\/mcp$/, `/api${path}`), {
      ...init,
      headers: { authorization: `Bearer ${gateway.apiToken()!}`, 'content-type': 'application/json' },
    });

  it('serves the tools, resources and prompts of all four at once', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      for (const server of ['py', 'js', 'php'])
        expect(tools).toEqual(
          expect.arrayContaining([`${server}__get_weather`, `${server}__book_flight`, `${server}__whoami`]),
        );
      expect(tools).toContain('fx__echo');
      const weather = (await client.listTools()).tools.find((t) => t.name === 'php__get_weather')!;
      expect(weather).toMatchObject({ outputSchema: { type: 'object' }, annotations: { readOnlyHint: true } });
      for (const server of ['py', 'js', 'php']) {
        const result = await client.callTool({ name: `${server}__get_weather`, arguments: { city: 'Oslo' } });
        expect(result.structuredContent).toEqual({ city: 'Oslo', temperature_c: 14, conditions: 'sunny' });
      }
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }))).toContain('hi');
      expect((await client.listResources()).resources.length).toBeGreaterThanOrEqual(3);
      expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(
        expect.arrayContaining(['py__trip_summary', 'js__trip_summary', 'php__trip_summary']),
      );
      const prompt = await client.getPrompt({ name: 'php__trip_summary', arguments: { destination: 'Lima' } });
      expect(prompt.messages).toEqual([
        { role: 'user', content: { type: 'text', text: 'Summarise my trip to Lima in three bullet points.' } },
      ]);
    } finally {
      await client.close();
    }
  });

  it("forwards the client's X-Tenant where its entry lets it replace the configured one, and the session", async () => {
    const client = new Client({ name: 'tenant-client', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(gateway.httpUrl()!), {
      requestInit: { headers: { 'X-Tenant': 'from-client', X_Dropped: 'underscore names are dropped' } },
    });
    await client.connect(transport);
    try {
      const who = textOf(await client.callTool({ name: 'js__whoami', arguments: {} }));
      expect(who).toContain('from-client');
      expect(who).toContain(transport.sessionId!);
      // A handler whose entry does not forward X-Tenant never sees it.
      expect(textOf(await client.callTool({ name: 'py__whoami', arguments: {} }))).not.toContain('from-client');
      const plain = await httpClient(gateway.httpUrl()!);
      try {
        expect(textOf(await plain.callTool({ name: 'js__whoami', arguments: {} }))).toContain('from-config');
      } finally {
        await plain.close();
      }
    } finally {
      await client.close();
    }
  });

  it('a client that shows forms answers both questions of book_flight, on every backend', async () => {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return req.params.message.startsWith('Which class')
        ? { action: 'accept', content: { class: 'business' } }
        : { action: 'accept', content: { seat: 'aisle' } };
    });
    try {
      for (const server of ['py', 'js', 'php']) {
        const result = await client.callTool({ name: `${server}__book_flight`, arguments: { destination: 'Tokyo' } });
        expect(textOf(result)).toBe('Booked a business aisle seat (14C) to Tokyo. Booking BK-TOK-14C.');
        expect(result.structuredContent).toEqual({
          booking: 'BK-TOK-14C',
          destination: 'Tokyo',
          class: 'business',
          seat: '14C',
        });
      }
      expect(asked).toEqual(
        Array(3).fill(['Which class would you like to fly to Tokyo?', 'Window or aisle seat in business?']).flat(),
      );
      // A destination whose first letters are not ASCII: each backend books it (PHP cut it mid-letter).
      for (const server of ['py', 'js', 'php']) {
        const result = await client.callTool({ name: `${server}__book_flight`, arguments: { destination: 'Москва' } });
        expect(textOf(result)).toMatch(/^Booked a business aisle seat \(14C\) to Москва\. Booking BK-МОС-14C\.$/iu);
      }
    } finally {
      await client.close();
    }
  });

  it('a client without forms: both questions wait in the app (/api/questions) and the call completes', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const call = client.callTool({ name: 'php__book_flight', arguments: { destination: 'Reykjavik' } });
      call.catch(() => undefined);
      const first = await waitFor(
        async () => ((await (await api('/questions')).json()) as { id: string; server: string; message: string }[])[0],
        10_000,
        'the class question',
      );
      expect(first).toMatchObject({ server: 'php', message: 'Which class would you like to fly to Reykjavik?' });
      expect(
        (
          await api(`/questions/${first.id}`, {
            method: 'POST',
            body: JSON.stringify({ action: 'accept', content: { class: 'economy' } }),
          })
        ).status,
      ).toBeLessThan(300);
      const second = await waitFor(
        async () =>
          ((await (await api('/questions')).json()) as { id: string; message: string }[]).find(
            (p) => p.id !== first.id,
          ),
        10_000,
        'the seat question',
      );
      expect(second.message).toBe('Window or aisle seat in economy?');
      await api(`/questions/${second.id}`, {
        method: 'POST',
        body: JSON.stringify({ action: 'accept', content: { seat: 'window' } }),
      });
      expect(textOf(await call)).toBe('Booked a economy window seat (14A) to Reykjavik. Booking BK-REY-14A.');
    } finally {
      await client.close();
    }
  });

  it('declining in the client ends the call with a tool error, and the handler hears about it', async () => {
    const client = await httpClient(gateway.httpUrl()!, { elicitation: {} });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
    try {
      const result = await client.callTool({ name: 'py__book_flight', arguments: { destination: 'Rome' } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        'The user declined to answer "Which class would you like to fly to Rome?", so book_flight did not complete.',
      );
      await waitFor(
        () => python.output().includes('book_flight: decline'),
        5000,
        'elicitation_cancelled at the handler',
      );
    } finally {
      await client.close();
    }
  });

  it('shows handler servers with their kind and state', async () => {
    const servers = gateway.servers();
    expect(servers.find((s) => s.name === 'php')).toMatchObject({ kind: 'handler-fastcgi', state: 'ready' });
    expect(servers.find((s) => s.name === 'py')).toMatchObject({ kind: 'handler-http', state: 'ready' });
  });
});
