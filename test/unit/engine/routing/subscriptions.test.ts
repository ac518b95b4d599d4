import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import type { Params } from '../../../../main/engine/protocol/jsonrpc.ts';
import { Subscriptions, type SubscribedUpstream } from '../../../../main/engine/routing/subscriptions.ts';
import { clientSession } from '../../../helpers/client-session.ts';

/** A backend that records the requests subscriptions send it; `refuse` fails its subscribes. */
function backend(resources: Record<string, unknown> = { subscribe: true }) {
  const requests: [string, Params | undefined][] = [];
  const upstream: SubscribedUpstream & { refuse: boolean } = {
    refuse: false,
    info: () => ({
      protocolVersion: '2025-11-25',
      capabilities: { resources },
      serverInfo: { name: 'docs', version: '1' },
    }),
    request(method, params) {
      requests.push([method, params]);
      return upstream.refuse ? Promise.reject(new GatewayError('upstream_error', 'no')) : Promise.resolve({});
    },
  };
  return { upstream, requests };
}

const updated = (uri: string) => ({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri } });

describe('resource subscriptions', () => {
  it('subscribes upstream for the first subscriber and unsubscribes after the last', async () => {
    const subs = new Subscriptions();
    const { upstream, requests } = backend();
    const target = { upstream, original: 'file:///a' };
    const one = clientSession().session;
    const two = clientSession().session;
    await subs.subscribe(one, 'file:///a', target);
    await subs.subscribe(two, 'file:///a', target);
    expect(requests).toEqual([['resources/subscribe', { uri: 'file:///a' }]]);
    expect(one.subscriptions).toEqual(new Set(['file:///a']));
    await subs.unsubscribe(one, 'file:///a', target);
    expect(requests).toHaveLength(1);
    expect(one.subscriptions.size).toBe(0);
    await subs.unsubscribe(two, 'file:///a', target);
    expect(requests).toEqual([
      ['resources/subscribe', { uri: 'file:///a' }],
      ['resources/unsubscribe', { uri: 'file:///a' }],
    ]);
  });

  it('tells each subscriber about an update under the uri it knows', async () => {
    const subs = new Subscriptions();
    const { upstream } = backend();
    const plain = clientSession();
    const renamed = clientSession();
    const other = clientSession();
    await subs.subscribe(plain.session, 'file:///a', { upstream, original: 'file:///a' });
    await subs.subscribe(renamed.session, 'docs+file:///a', { upstream, original: 'file:///a' });
    await subs.subscribe(other.session, 'file:///b', { upstream, original: 'file:///b' });
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    subs.deliver(backend().upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 42 });
    expect(plain.sent.map((s) => s.message)).toEqual([updated('file:///a')]);
    expect(renamed.sent.map((s) => s.message)).toEqual([updated('docs+file:///a')]);
    expect(other.sent).toEqual([]);
  });

  it('tells the subscribers of a uri about an update of a sub-resource of it, once each', async () => {
    const subs = new Subscriptions();
    const { upstream } = backend();
    const dir = clientSession();
    const both = clientSession();
    const renamed = clientSession();
    const sibling = clientSession();
    await subs.subscribe(dir.session, 'file:///a', { upstream, original: 'file:///a' });
    await subs.subscribe(both.session, 'file:///a/', { upstream, original: 'file:///a/' });
    await subs.subscribe(both.session, 'file:///a/b', { upstream, original: 'file:///a/b' });
    await subs.subscribe(renamed.session, 'docs+file:///a', { upstream, original: 'file:///a' });
    await subs.subscribe(sibling.session, 'file:///ab', { upstream, original: 'file:///ab' });
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 'file:///a/b' });
    expect(dir.sent.map((s) => s.message)).toEqual([updated('file:///a/b')]);
    expect(both.sent.map((s) => s.message)).toEqual([updated('file:///a/b')]);
    // Its own name for the resource it subscribed to: the server's name for the part is not one it knows.
    expect(renamed.sent.map((s) => s.message)).toEqual([updated('docs+file:///a')]);
    expect(sibling.sent).toEqual([]);
  });

  it('does not ask a backend that cannot subscribe', async () => {
    const subs = new Subscriptions();
    const { upstream, requests } = backend({});
    const { session, sent } = clientSession();
    await subs.subscribe(session, 'file:///a', { upstream, original: 'file:///a' });
    expect(requests).toEqual([]);
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    expect(sent).toHaveLength(1);
  });

  it('forgets a subscription the backend refused, so the next subscriber asks again', async () => {
    const subs = new Subscriptions();
    const { upstream, requests } = backend();
    const target = { upstream, original: 'file:///a' };
    const refused = clientSession();
    upstream.refuse = true;
    await expect(subs.subscribe(refused.session, 'file:///a', target)).rejects.toThrow('no');
    expect(refused.session.subscriptions.size).toBe(0);
    upstream.refuse = false;
    const next = clientSession().session;
    await subs.subscribe(next, 'file:///a', target);
    expect(requests.map(([m]) => m)).toEqual(['resources/subscribe', 'resources/subscribe']);
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    expect(refused.sent).toEqual([]);
  });

  it("unsubscribes a client whose server refuses to let go, and says so in the server's log", async () => {
    const warned: string[] = [];
    const subs = new Subscriptions(() => (text) => void warned.push(text));
    const { upstream } = backend();
    const target = { upstream, original: 'file:///a' };
    const { session, sent } = clientSession();
    await subs.subscribe(session, 'file:///a', target);
    upstream.refuse = true;
    await expect(subs.unsubscribe(session, 'file:///a', target)).resolves.toBeUndefined();
    expect(session.subscriptions.size).toBe(0);
    expect(warned).toEqual(['could not unsubscribe from file:///a: no']);
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    expect(sent).toEqual([]);
  });

  it('unsubscribes what only an ending session held', async () => {
    const subs = new Subscriptions();
    const { upstream, requests } = backend();
    const ending = clientSession().session;
    const staying = clientSession().session;
    await subs.subscribe(ending, 'file:///a', { upstream, original: 'file:///a' });
    await subs.subscribe(ending, 'file:///b', { upstream, original: 'file:///b' });
    await subs.subscribe(staying, 'file:///b', { upstream, original: 'file:///b' });
    requests.length = 0;
    subs.dropSession(ending);
    expect(requests).toEqual([['resources/unsubscribe', { uri: 'file:///a' }]]);
  });

  it('subscribes a restarted backend again; a stopped one hears nothing more', async () => {
    const subs = new Subscriptions();
    const { upstream, requests } = backend();
    const { session, sent } = clientSession();
    await subs.subscribe(session, 'file:///a', { upstream, original: 'file:///a' });
    await subs.subscribe(session, 'file:///b', { upstream, original: 'file:///b' });
    requests.length = 0;
    subs.restore(upstream);
    expect(requests).toEqual([
      ['resources/subscribe', { uri: 'file:///a' }],
      ['resources/subscribe', { uri: 'file:///b' }],
    ]);
    subs.detach(upstream);
    subs.deliver(upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    subs.dropSession(session);
    expect(requests).toHaveLength(2);
    expect(sent).toEqual([]);
  });

  it('hands the subscriptions of a replaced upstream to the one that replaces it (same slot)', async () => {
    const old = backend();
    const replacement = backend();
    const subs = new Subscriptions(undefined, () => 'docs');
    const { session, sent } = clientSession();
    await subs.subscribe(session, 'docs+file:///a', { upstream: old.upstream, original: 'file:///a' });
    subs.detach(old.upstream);
    subs.restore(replacement.upstream);
    expect(replacement.requests).toEqual([['resources/subscribe', { uri: 'file:///a' }]]);
    subs.deliver(old.upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    subs.deliver(replacement.upstream, 'notifications/resources/updated', { uri: 'file:///a' });
    expect(sent.map((s) => s.message)).toEqual([updated('docs+file:///a')]);
    subs.dropSession(session);
    expect(replacement.requests.at(-1)).toEqual(['resources/unsubscribe', { uri: 'file:///a' }]);
    expect(old.requests).toEqual([['resources/subscribe', { uri: 'file:///a' }]]);
  });

  it('does not ask a restarted backend that can no longer subscribe', async () => {
    const subs = new Subscriptions(undefined, () => 'docs');
    const first = backend();
    const { session } = clientSession();
    await subs.subscribe(session, 'file:///a', { upstream: first.upstream, original: 'file:///a' });
    const unable = backend({});
    subs.restore(unable.upstream);
    expect(unable.requests).toEqual([]);
  });
});
