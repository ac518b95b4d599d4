import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import { SAFE_TO_REPLAY, planReplay } from '../../../../main/engine/traffic/replay.ts';
import type { TrafficEntry } from '../../../../preload/contract/index.ts';

const params = { name: 'echo', arguments: { text: 'hi' } };

function entry(extra: Partial<TrafficEntry> = {}): TrafficEntry {
  const json = JSON.stringify(params);
  return {
    id: 'x1',
    edge: 'upstream',
    direction: 'out',
    kind: 'request',
    method: 'resources/read',
    server: 'files',
    startedAt: 0,
    outcome: 'ok',
    request: { json, bytes: json.length },
    ...extra,
  };
}

const clientEntry = (extra: Partial<TrafficEntry> = {}) =>
  entry({
    edge: 'client',
    direction: 'in',
    server: undefined,
    session: { id: 's1', transport: 'http', profile: 'work' },
    ...extra,
  });

/** The refusal planReplay throws (fails the test when it does not). */
function refusal(e: TrafficEntry, options?: { confirm?: boolean }): GatewayError {
  try {
    planReplay(e, options);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('invalid_request');
    return err as GatewayError;
  }
  throw new Error(`exchange ${e.id} (${e.method}) was not refused`);
}

describe('planReplay', () => {
  it('sends a client request again as a client of its profile', () => {
    expect(planReplay(clientEntry({ method: 'tools/list' }))).toEqual({
      via: 'client',
      profile: 'work',
      method: 'tools/list',
      params,
    });
  });

  it('sends an upstream request again straight to its server', () => {
    expect(planReplay(entry())).toEqual({ via: 'server', server: 'files', method: 'resources/read', params });
  });

  it('replays every safe method, and with no params when none were sent', () => {
    for (const method of SAFE_TO_REPLAY) expect(planReplay(entry({ method })).method).toBe(method);
    expect(planReplay(entry({ method: 'ping', request: { bytes: 0 } })).params).toBeUndefined();
    expect(planReplay(entry({ method: 'ping', request: { json: 'null', bytes: 4 } })).params).toBeUndefined();
  });

  it('refuses a notification', () => {
    expect(refusal(entry({ kind: 'notification', method: 'notifications/initialized' })).message).toMatch(
      /is a notification/,
    );
  });

  it('refuses a question put to the user, and one a server asked', () => {
    const app = refusal(entry({ edge: 'app', method: 'elicitation/create' }));
    expect(app.message).toMatch(/question a server asked/);
    // A server's question, as it reached the gateway and as the gateway passed it on to a client.
    refusal(entry({ direction: 'in', method: 'roots/list' }));
    refusal(clientEntry({ direction: 'out', method: 'sampling/createMessage' }));
  });

  it('refuses a method that may change something', () => {
    for (const method of ['initialize', 'resources/subscribe', 'logging/setLevel', 'tasks/cancel', 'x/custom']) {
      const err = refusal(entry({ method }));
      expect(err.message).toContain(`exchange x1 (${method}) is not replayed`);
      expect(err.message).toContain('tools/list');
    }
  });

  it('replays a tool call only with confirm, and names the option it needs', () => {
    const call = entry({ method: 'tools/call', target: 'echo' });
    for (const options of [undefined, {}, { confirm: false }]) {
      const err = refusal(call, options);
      expect(err.field).toBe('options.confirm');
      expect(err.message).toMatch(/calls a tool.*confirm: true/);
    }
    expect(planReplay(call, { confirm: true })).toEqual({
      via: 'server',
      server: 'files',
      method: 'tools/call',
      params,
    });
    expect(planReplay(clientEntry({ method: 'tools/call' }), { confirm: true }).via).toBe('client');
  });

  it('refuses a request whose text was cut', () => {
    const err = refusal(
      entry({ request: { json: '{"a":"xx…[truncated: 9000 bytes in all]', bytes: 9000, truncated: true } }),
    );
    expect(err.message).toContain('recorded cut (9000 bytes in all)');
    // Even with confirm.
    refusal(entry({ method: 'tools/call', request: { json: '{}', bytes: 9000, truncated: true } }), { confirm: true });
  });

  it('refuses a request that had secrets taken out rather than send the placeholders', () => {
    for (const json of [
      '{"name":"x","arguments":{"password":"[redacted]"}}',
      '{"uri":"https://[redacted:url-credentials]@host/x"}',
      '{"text":"key [redacted:api-key] here"}',
    ]) {
      const err = refusal(entry({ method: 'tools/call', request: { json, bytes: 100 } }), { confirm: true });
      expect(err.message).toMatch(/secrets taken out/);
    }
  });

  it('refuses params that are not a JSON object', () => {
    for (const json of ['[1,2]', '"text"', '42', 'true', '{"a":']) {
      const err = refusal(entry({ request: { json, bytes: json.length } }));
      expect(err.message, json).toMatch(/not a JSON object/);
    }
    // Payloads were not kept though something was sent.
    refusal(entry({ request: { bytes: 20 } }));
  });

  it('refuses what it cannot address: no session for a client request, no server for an upstream one', () => {
    expect(refusal(clientEntry({ session: undefined })).message).toMatch(/no session recorded/);
    expect(refusal(entry({ server: undefined })).message).toMatch(/no server recorded/);
  });
});
