import { describe, expect, it } from 'vitest';
import {
  encodeHello,
  encodeRefused,
  encodeWelcome,
  MAX_HELLO_BYTES,
  parseHello,
  parseHelloReply,
} from '../../../main/shared/hello.ts';

const TOKEN = 'a'.repeat(64);

describe('hello frame', () => {
  it('encodes the documented hello line', () => {
    expect(encodeHello({ token: TOKEN, profile: 'default' })).toBe(
      `{"switchboard":"hello","version":1,"token":"${TOKEN}","profile":"default","client":"shim"}\n`,
    );
  });

  it('round-trips', () => {
    const parsed = parseHello(encodeHello({ token: TOKEN, profile: 'work stuff', client: 'shim' }));
    expect(parsed).toEqual({ ok: true, value: { version: 1, token: TOKEN, profile: 'work stuff', client: 'shim' } });
  });

  it('ignores unknown fields', () => {
    const line = JSON.stringify({
      switchboard: 'hello',
      version: 1,
      token: TOKEN,
      profile: 'p',
      client: 'shim',
      extra: [1],
    });
    expect(parseHello(line).ok).toBe(true);
  });

  it('rejects bad hellos with a reason', () => {
    const base = { switchboard: 'hello', version: 1, token: TOKEN, profile: 'p', client: 'shim' };
    const cases: Array<[string, RegExp]> = [
      ['garbage', /not valid JSON/],
      ['[]', /not a JSON object/],
      ['null', /not a JSON object/],
      [JSON.stringify({ ...base, switchboard: 'welcome' }), /expected/],
      [JSON.stringify({ ...base, version: 2 }), /unsupported hello version 2/],
      [JSON.stringify({ ...base, token: 5 }), /"token" must be a string/],
      [JSON.stringify({ ...base, token: '' }), /"token" must not be empty/],
      [JSON.stringify({ ...base, token: 'a b' }), /"token" contains/],
      [JSON.stringify({ ...base, token: 'x'.repeat(300) }), /"token" is longer/],
      [JSON.stringify({ ...base, profile: undefined }), /"profile" must be a string/],
      [JSON.stringify({ ...base, profile: 'a\u0000b' }), /"profile" contains/],
      [JSON.stringify({ ...base, client: '' }), /"client" must not be empty/],
      [JSON.stringify({ ...base, profile: 'p'.repeat(MAX_HELLO_BYTES) }), /longer than 4096 bytes/],
    ];
    for (const [line, reason] of cases) {
      const parsed = parseHello(line);
      expect(parsed.ok, line).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(reason);
    }
  });

  it('encodes and parses the replies', () => {
    expect(encodeWelcome()).toBe('{"switchboard":"welcome","version":1}\n');
    expect(parseHelloReply(encodeWelcome())).toEqual({ ok: true, value: { kind: 'welcome', version: 1 } });
    expect(parseHelloReply(encodeRefused('invalid token'))).toEqual({
      ok: true,
      value: { kind: 'refused', reason: 'invalid token' },
    });
    expect(encodeRefused('two\nlines')).toBe('{"switchboard":"refused","reason":"two lines"}\n');
    expect(parseHelloReply('{"switchboard":"refused"}')).toEqual({
      ok: true,
      value: { kind: 'refused', reason: 'no reason given' },
    });
    expect(parseHelloReply('{"switchboard":"welcome","version":9}').ok).toBe(false);
    expect(parseHelloReply('{"jsonrpc":"2.0"}').ok).toBe(false);
    expect(parseHelloReply('HTTP/1.1 400 Bad Request').ok).toBe(false);
  });
});
