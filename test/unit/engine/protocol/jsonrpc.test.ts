import { describe, expect, it } from 'vitest';
import { parseMessage, success } from '../../../../main/engine/protocol/jsonrpc.ts';

describe('parseMessage', () => {
  it('accepts requests, notifications and responses', () => {
    expect(parseMessage('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toEqual({
      message: { jsonrpc: '2.0', id: 1, method: 'ping' },
    });
    expect('message' in parseMessage('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toBe(true);
    expect('message' in parseMessage('{"jsonrpc":"2.0","id":"a","result":{}}')).toBe(true);
    expect('message' in parseMessage('{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}}')).toBe(true);
  });

  it('answers bad JSON with a parse error (-32700)', () => {
    const r = parseMessage('{nope');
    expect('error' in r && r.error.error.code).toBe(-32700);
  });

  it('names what is wrong with an invalid message and keeps its id when it has one', () => {
    const cases: [string, RegExp][] = [
      ['[1,2]', /batches are not supported/],
      ['"text"', /must be a JSON object/],
      ['{"id":1,"method":"x"}', /"jsonrpc"/],
      ['{"jsonrpc":"2.0","id":1,"method":""}', /"method" must be a non-empty string/],
      ['{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}', /"params" must be an object/],
      ['{"jsonrpc":"2.0","id":{},"method":"x"}', /"id" must be a string or a number/],
      ['{"jsonrpc":"2.0","id":1}', /exactly one of "result" and "error"/],
    ];
    for (const [text, pattern] of cases) {
      const r = parseMessage(text);
      expect('error' in r, text).toBe(true);
      if ('error' in r) {
        expect(r.error.error.code).toBe(-32600);
        expect(r.error.error.message).toMatch(pattern);
      }
    }
    const withId = parseMessage('{"jsonrpc":"2.0","id":9,"method":"x","params":"bad"}');
    expect('error' in withId && withId.error.id).toBe(9);
  });

  it('serialises responses with jsonrpc and id first (the shim reads the id from the line start)', () => {
    expect(JSON.stringify(success(42, { ok: true }))).toMatch(/^\{"jsonrpc":"2.0","id":42,"result"/);
  });
});
