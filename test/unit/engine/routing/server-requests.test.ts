import { getEventListeners } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../../../main/engine/downstream/session.ts';
import { QuestionBroker } from '../../../../main/engine/elicitation/index.ts';
import { GatewayError, RpcCode, toRpcError } from '../../../../main/engine/protocol/errors.ts';
import type { JsonRpcRequest, Params } from '../../../../main/engine/protocol/jsonrpc.ts';
import { ServerRequests, URL_ELICITATION_REQUIRED } from '../../../../main/engine/routing/server-requests.ts';
import { FailedUpstream } from '../../../../main/engine/upstreams/failed.ts';
import type { Upstream } from '../../../../main/engine/upstreams/types.ts';
import { clientSession, type ClientSession } from '../../../helpers/client-session.ts';

type Reply = Parameters<Parameters<ServerRequests['receive']>[2]>[0];

const upstream = (name: string): Upstream => new FailedUpstream(name, 'stdio', 'not started in unit tests');
const FORM = { message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } };

/** Sessions of the current test; closing them fails what they still wait on (and its timers). */
const opened: Session[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function setup(options: { prompter?: QuestionBroker } = {}) {
  const sessions = new Map<string, Session>();
  /** Isolated instances: upstream → the session id that owns it. */
  const owners = new Map<Upstream, string>();
  const requests = new ServerRequests({
    registry: { server: (u) => u.name, owner: (u) => owners.get(u) },
    session: (id) => sessions.get(id),
    prompter: options.prompter,
    questionTimeoutMs: 60_000,
  });
  const client = (fields?: Parameters<typeof clientSession>[0]): ClientSession => {
    const c = clientSession(fields);
    sessions.set(c.session.id, c.session);
    opened.push(c.session);
    return c;
  };
  const ask = (from: Upstream, method: string, params: Params = {}, id = 5): Reply[] => {
    const replies: Reply[] = [];
    const m: JsonRpcRequest = { jsonrpc: '2.0', id, method, params };
    requests.receive(from, m, (r) => replies.push(r));
    return replies;
  };
  return { requests, sessions, owners, client, ask };
}

/** The client answers the last request the session sent it. */
function answer(c: ClientSession, result: Record<string, unknown>): void {
  const last = c.sent.at(-1)!.message as JsonRpcRequest;
  c.session.receive({ jsonrpc: '2.0', id: last.id, result });
}

describe('server-to-client requests', () => {
  it('go to the one client with a request in flight, on the stream of that request', async () => {
    const { requests, client, ask } = setup();
    const a = upstream('a');
    const c = client({ capabilities: { elicitation: {} } });
    requests.track(a, c.session, 'call-1');
    const replies = ask(a, 'elicitation/create', FORM);
    expect(c.sent).toEqual([
      {
        message: { jsonrpc: '2.0', id: expect.any(Number), method: 'elicitation/create', params: FORM },
        related: 'call-1',
      },
    ]);
    answer(c, { action: 'accept', content: { name: 'Ada' } });
    await tick();
    expect(replies).toEqual([{ result: { action: 'accept', content: { name: 'Ada' } } }]);
  });

  it('go to nobody when several clients, or none, have requests in flight', async () => {
    const { requests, client, ask } = setup();
    const a = upstream('a');
    const one = client({ capabilities: { roots: {} } });
    const two = client({ capabilities: { roots: {} } });
    requests.track(a, one.session, 1);
    const flight = requests.track(a, two.session, 1);
    const ambiguous = ask(a, 'roots/list');
    flight.end();
    requests.track(upstream('b'), two.session, 2);
    const stillOne = ask(a, 'roots/list');
    const none = ask(upstream('c'), 'roots/list');
    await tick();
    // Roots are asked for on a server's own: the user is told how each client's folders can reach it.
    const isolate =
      '; it is one process shared by all its clients, whose folders may differ ' +
      '(with "isolated": true in its config, each client gets a process of its own and is asked for its folders)';
    const nobody = {
      error: {
        code: RpcCode.InternalError,
        message:
          'Switchboard cannot answer roots/list from server "c": no client has a request in flight on this server' +
          isolate,
      },
    };
    const several =
      'Switchboard cannot answer roots/list from server "a": 2 clients have requests in flight on this server';
    expect(ambiguous).toEqual([
      { error: { code: RpcCode.InternalError, message: `${several}, and it did not say which one asks${isolate}` } },
    ]);
    expect(none).toEqual([nobody]);
    expect(stillOne).toEqual([]);
    expect(one.sent.map((s) => s.related)).toEqual([1]);
    expect(two.sent).toEqual([]);
  });

  it('go to the call the upstream names (its origin), however many clients have calls in flight', async () => {
    const { requests, client } = setup();
    const a = upstream('a');
    const one = client({ capabilities: { elicitation: {} } });
    const two = client({ capabilities: { elicitation: {} } });
    requests.track(a, one.session, 1);
    const asking = requests.track(a, two.session, 'call-2');
    const replies: Reply[] = [];
    const m: JsonRpcRequest = { jsonrpc: '2.0', id: 9, method: 'elicitation/create', params: FORM };
    requests.receive(a, m, (r) => replies.push(r), asking);
    expect(one.sent).toEqual([]);
    expect(two.sent.map((s) => s.related)).toEqual(['call-2']);
    // A call that has ended is no origin any more: the usual rules apply. Its question is withdrawn.
    asking.end();
    expect(two.sent.map((s) => (s.message as { method?: string }).method)).toEqual([
      'elicitation/create',
      'notifications/cancelled',
    ]);
    requests.receive(a, { ...m, id: 10 }, (r) => replies.push(r), asking);
    expect(two.sent).toHaveLength(2);
  });

  it('go to the owner of an isolated instance even with nothing in flight, and to nobody once it is gone', async () => {
    const { requests, sessions, owners, client, ask } = setup();
    const a = upstream('a');
    const owner = client({ capabilities: { roots: {} } });
    const other = client({ capabilities: { roots: {} } });
    owners.set(a, owner.session.id);
    requests.track(a, other.session, 1);
    ask(a, 'roots/list');
    expect(owner.sent.map((s) => [s.message, s.related])).toEqual([
      [{ jsonrpc: '2.0', id: expect.any(Number), method: 'roots/list', params: {} }, undefined],
    ]);
    sessions.delete(owner.session.id);
    const orphan = ask(a, 'roots/list');
    await tick();
    expect(orphan).toEqual([{ error: expect.objectContaining({ code: RpcCode.InternalError }) }]);
    // It is isolated already: the way to give a shared server each client's folders is not offered.
    expect(JSON.stringify(orphan)).not.toContain('"isolated"');
    expect(other.sent).toEqual([]);
  });

  it("holds every call's time limit while a question nobody can tie to one client waits for the user", async () => {
    const prompter = new QuestionBroker();
    const { requests, client, ask } = setup({ prompter });
    const a = upstream('a');
    const one = requests.track(a, client().session, 1);
    const two = requests.track(a, client().session, 2);
    const replies = ask(a, 'elicitation/create', FORM);
    const [prompt] = prompter.list();
    expect(prompt?.reason).toBe('2 clients have requests in flight on this server, and it did not say which one asks');
    // Either call may be the one waiting on the answer: neither times out meanwhile (QuestionClock).
    expect([one.waiting, two.waiting]).toEqual([1, 1]);
    prompter.answer(prompt!.id, { action: 'accept', content: { name: 'Ada' } });
    await tick();
    expect(replies).toEqual([{ result: { action: 'accept', content: { name: 'Ada' } } }]);
    expect([one.waiting, two.waiting]).toEqual([0, 0]);
    one.end();
    two.end();
  });

  it('a question the client cannot show goes to the user, saying why', async () => {
    const prompter = new QuestionBroker();
    const { requests, client, ask } = setup({ prompter });
    const a = upstream('a');
    const cases: [Record<string, unknown>, string, Params, string][] = [
      [{}, 'elicitation/create', FORM, 'cannot show questions from servers (it does not offer elicitation)'],
      [
        { elicitation: {} },
        'elicitation/create',
        { mode: 'url', message: 'Sign in', url: 'https://example.com/x', elicitationId: 'e1' },
        'cannot open links from servers, only forms (it offers form-mode elicitation alone)',
      ],
      [
        { elicitation: { url: {} } },
        'elicitation/create',
        FORM,
        'cannot show forms from servers, only links (it offers URL-mode elicitation alone)',
      ],
      [
        { sampling: {} },
        'sampling/createMessage',
        { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5, tools: [] },
        "cannot let a server's model request use tools (its sampling capability has no tools)",
      ],
    ];
    for (const [capabilities, method, params, why] of cases) {
      const c = client({ capabilities, name: 'Zed' });
      const flight = requests.track(a, c.session, 1);
      const replies = ask(a, method, params);
      const [prompt] = prompter.list();
      expect(prompt).toMatchObject({
        server: 'a',
        client: { name: 'Zed', version: '1.0' },
        reason: `Zed (revision 2025-11-25) ${why}`,
      });
      expect(c.sent).toEqual([]);
      prompter.answer(prompt!.id, { action: 'cancel' });
      await tick();
      expect(replies).toHaveLength(1);
      flight.end();
    }
  });

  it('withdraws a question once the call it was asked during has ended', async () => {
    const prompter = new QuestionBroker();
    const { requests, client, ask } = setup({ prompter });
    const a = upstream('a');
    const c = client({ capabilities: {}, name: 'Zed' });
    const flight = requests.track(a, c.session, 1);
    const replies = ask(a, 'elicitation/create', FORM);
    expect(prompter.list()).toHaveLength(1);
    flight.end();
    await tick();
    expect(prompter.list()).toEqual([]);
    expect(replies).toHaveLength(1);
  });

  it('a long call that asks many questions keeps nothing of the ones answered', async () => {
    const { requests, client, ask } = setup();
    const a = upstream('a');
    const c = client({ capabilities: { sampling: {} } });
    const flight = requests.track(a, c.session, 1);
    for (let id = 1; id <= 50; id++) {
      ask(a, 'sampling/createMessage', { messages: [], maxTokens: 5 }, id);
      answer(c, { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' });
      await tick();
    }
    const ended = (flight as unknown as { ended: AbortController }).ended.signal;
    expect(getEventListeners(ended, 'abort')).toHaveLength(0);
  });

  it('a question from a call that has already ended goes to nobody: the server is told so', async () => {
    const prompter = new QuestionBroker();
    const { requests, client } = setup({ prompter });
    const a = upstream('a');
    const asker = client({ capabilities: { elicitation: {} } });
    const other = client({ capabilities: { elicitation: {} } });
    const ended = requests.track(a, asker.session, 1);
    requests.track(a, other.session, 2);
    ended.end();
    const replies: Reply[] = [];
    const m: JsonRpcRequest = { jsonrpc: '2.0', id: 9, method: 'elicitation/create', params: FORM };
    requests.receive(a, m, (r) => replies.push(r), ended);
    await tick();
    expect(other.sent).toEqual([]);
    expect(prompter.list()).toEqual([]);
    expect(replies).toEqual([
      {
        error: {
          code: RpcCode.RequestCancelled,
          message:
            'Switchboard cannot answer elicitation/create from server "a": the request it was asked during has ended',
        },
      },
    ]);
  });

  it('a form with 2025-11-25 fields goes to the user, not to an older client that would refuse it', async () => {
    const prompter = new QuestionBroker();
    const { requests, client, ask } = setup({ prompter });
    const a = upstream('a');
    const old = client({ capabilities: { elicitation: {} }, name: 'Old', protocolVersion: '2025-06-18' });
    requests.track(a, old.session, 1);
    const multi = {
      message: 'Which?',
      requestedSchema: {
        type: 'object',
        properties: { picks: { type: 'array', items: { type: 'string', enum: ['x', 'y'] } } },
      },
    };
    ask(a, 'elicitation/create', multi);
    expect(old.sent).toEqual([]);
    expect(prompter.list()[0]?.reason).toBe(
      'Old (revision 2025-06-18) cannot show this form: ' +
        'it has a multiple-choice field, which came with revision 2025-11-25',
    );
    // A plain form still goes to it.
    ask(a, 'elicitation/create', FORM, 6);
    expect(old.sent.map((s) => (s.message as { method?: string }).method)).toEqual(['elicitation/create']);
    prompter.withdrawAll('test over');
  });

  it('a question nobody can answer fails, saying why', async () => {
    const { requests, client, ask } = setup({ prompter: new QuestionBroker() });
    const a = upstream('a');
    const c = client({ name: 'Zed' });
    requests.track(a, c.session, 1);
    const replies = ask(a, 'roots/list');
    await tick();
    const message =
      'Switchboard cannot answer roots/list from server "a": Zed (revision 2025-11-25) does not tell servers ' +
      'its folders (it does not offer roots)';
    expect(replies).toEqual([{ error: { code: RpcCode.MethodNotFound, message } }]);
  });

  it('a stateless call is always asked: it decides itself what its client can answer', () => {
    const { requests, client, ask } = setup({ prompter: new QuestionBroker() });
    const a = upstream('a');
    const c = client();
    c.session.stateless = true;
    requests.track(a, c.session, 1);
    ask(a, 'elicitation/create', FORM);
    expect(c.sent.map((s) => (s.message as JsonRpcRequest).method)).toEqual(['elicitation/create']);
  });

  it("pass a client's progress back to the server that asked, only from that client and while it waits", async () => {
    const { requests, client, ask } = setup();
    const a = upstream('a');
    const heard: Params[] = [];
    a.notify = (_method, params) => void heard.push(params!);
    const c = client({ capabilities: { sampling: {} } });
    const other = client({ capabilities: { sampling: {} } });
    requests.track(a, c.session, 1);
    ask(a, 'sampling/createMessage', { messages: [], maxTokens: 1, _meta: { progressToken: 0 } });
    const sent = c.sent[0]!.message as JsonRpcRequest;
    const ours = (sent.params!._meta as { progressToken: string }).progressToken;
    expect(ours).toMatch(/^sb-q/);
    expect(requests.progress(other.session, { progressToken: ours, progress: 1 })).toBe(false);
    expect(requests.progress(c.session, { progressToken: ours, progress: 1, total: 2 })).toBe(true);
    expect(heard).toEqual([{ progressToken: 0, progress: 1, total: 2 }]);
    answer(c, { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' });
    await tick();
    expect(requests.progress(c.session, { progressToken: ours, progress: 2 })).toBe(false);
    expect(heard).toHaveLength(1);
  });

  it('stop waiting when the server cancels its request, or goes away', async () => {
    const { requests, client, ask } = setup();
    const a = upstream('a');
    const c = client({ capabilities: { roots: {} } });
    requests.track(a, c.session, 1);
    const cancelled = ask(a, 'roots/list', {}, 5);
    const abandoned = ask(a, 'roots/list', {}, 6);
    requests.cancel(upstream('b'), { requestId: 5 });
    requests.cancel(a, { requestId: 5, reason: 'no longer needed' });
    await tick();
    // Withdrawn by its server: it gets no answer (a receiver should not respond to a cancelled request).
    expect(cancelled).toEqual([]);
    expect(abandoned).toEqual([]);
    requests.forget(a);
    await tick();
    expect(abandoned).toEqual([{ error: expect.objectContaining({ code: RpcCode.RequestCancelled }) }]);
    const told = c.sent
      .filter((s) => 'method' in s.message && s.message.method === 'notifications/cancelled')
      .map((s) => (s.message as { params?: Params }).params);
    const [first, second] = c.sent.filter((s) => 'method' in s.message && s.message.method === 'roots/list');
    expect(told).toEqual([
      { requestId: (first!.message as JsonRpcRequest).id, reason: 'no longer needed' },
      { requestId: (second!.message as JsonRpcRequest).id, reason: 'server stopped' },
    ]);
  });
});

describe('pages a server needs opened first (-32042)', () => {
  const needsPages = (url: string) =>
    new GatewayError('upstream_error', 'Sign in first', {
      rpc: {
        code: URL_ELICITATION_REQUIRED,
        message: 'Sign in first',
        data: { elicitations: [{ mode: 'url', url, message: 'Sign in', elicitationId: 'e1' }] },
      },
    });

  it('are for the app only when the client cannot open pages itself', () => {
    const { requests, client } = setup({ prompter: new QuestionBroker() });
    const err = needsPages('https://example.com/sign-in');
    expect(requests.pagesToOpen(client({ capabilities: { elicitation: { url: {} } } }).session, err)).toBeUndefined();
    expect(requests.pagesToOpen(client().session, err)).toEqual([
      { mode: 'url', url: 'https://example.com/sign-in', message: 'Sign in', elicitationId: 'e1' },
    ]);
    expect(requests.pagesToOpen(client().session, new GatewayError('upstream_error', 'other'))).toBeUndefined();
  });

  it('that the app would not show fail the call saying why, without showing them', async () => {
    const broker = new QuestionBroker();
    const { requests, client } = setup({ prompter: broker });
    const c = client();
    const err = needsPages('http://example.com/sign-in');
    const pages = requests.pagesToOpen(c.session, err)!;
    const opened = requests.openPages(upstream('a'), c.session, 1, pages, err, new AbortController().signal);
    // Not "the user declined": nobody was asked.
    await expect(opened).rejects.toThrow(
      'Sign in first (Switchboard does not show the page to open: it has a plain http:// URL to example.com; only ' +
        'https links (or http on this machine) without a user name or password are shown)',
    );
    const rpc = toRpcError(await opened.catch((e: unknown) => e));
    expect(rpc.code).toBe(URL_ELICITATION_REQUIRED);
    expect(broker.list()).toEqual([]);
  });
});
