import { describe, expect, it } from 'vitest';
import {
  encodeChallenge,
  encodeHello,
  encodeProof,
  encodeRefused,
  encodeWelcome,
  gatewayProof,
  MAX_HELLO_BYTES,
  newNonce,
  parseHello,
  parseHelloReply,
  parseProof,
  proofMatches,
  shimProof,
} from '../../../main/shared/hello.ts';

const TOKEN = 'a'.repeat(64);
const NONCE = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);

describe('hello frame', () => {
  it('encodes the documented hello line, which carries no token', () => {
    expect(encodeHello({ profile: 'default', nonce: NONCE })).toBe(
      `{"switchboard":"hello","version":2,"profile":"default","client":"shim","nonce":"${NONCE}"}\n`,
    );
  });

  it('round-trips', () => {
    const parsed = parseHello(encodeHello({ profile: 'work stuff', client: 'shim', nonce: NONCE }));
    expect(parsed).toEqual({ ok: true, value: { version: 2, profile: 'work stuff', client: 'shim', nonce: NONCE } });
  });

  it('ignores unknown fields', () => {
    const line = JSON.stringify({ switchboard: 'hello', version: 2, profile: 'p', client: 'shim', nonce: NONCE, x: 1 });
    expect(parseHello(line).ok).toBe(true);
  });

  it('rejects bad hellos with a reason', () => {
    const base = { switchboard: 'hello', version: 2, profile: 'p', client: 'shim', nonce: NONCE };
    const cases: Array<[string, RegExp]> = [
      ['garbage', /not valid JSON/],
      ['[]', /not a JSON object/],
      ['null', /not a JSON object/],
      [JSON.stringify({ ...base, switchboard: 'welcome' }), /expected/],
      [JSON.stringify({ ...base, version: 1, token: TOKEN }), /unsupported hello version 1/],
      [JSON.stringify({ ...base, nonce: 5 }), /"nonce" must be a string/],
      [JSON.stringify({ ...base, nonce: 'abc' }), /"nonce" contains/],
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

  it('proves knowledge of the token per role and per pair of nonces', () => {
    const g = gatewayProof(TOKEN, NONCE, OTHER);
    expect(g).toMatch(/^[0-9a-f]{64}$/);
    expect(proofMatches(g, gatewayProof(TOKEN, NONCE, OTHER))).toBe(true);
    // A gateway proof is no shim proof (no reflection), and any change of token or nonce changes it.
    expect(proofMatches(g, shimProof(TOKEN, NONCE, OTHER))).toBe(false);
    expect(proofMatches(g, gatewayProof('d'.repeat(64), NONCE, OTHER))).toBe(false);
    expect(proofMatches(g, gatewayProof(TOKEN, OTHER, NONCE))).toBe(false);
    expect(proofMatches(g, 'short')).toBe(false);
    expect(newNonce()).toMatch(/^[0-9a-f]{64}$/);
    expect(newNonce()).not.toBe(newNonce());
  });

  it('encodes and parses the replies', () => {
    expect(encodeWelcome()).toBe('{"switchboard":"welcome","version":2}\n');
    expect(parseHelloReply(encodeWelcome())).toEqual({ ok: true, value: { kind: 'welcome', version: 2 } });
    expect(parseHelloReply(encodeChallenge(NONCE, OTHER))).toEqual({
      ok: true,
      value: { kind: 'challenge', nonce: NONCE, proof: OTHER },
    });
    expect(parseHelloReply(JSON.stringify({ switchboard: 'challenge', version: 2, nonce: NONCE })).ok).toBe(false);
    expect(parseProof(encodeProof(OTHER))).toEqual({ ok: true, value: OTHER });
    expect(parseProof('{"switchboard":"proof","proof":"xyz"}').ok).toBe(false);
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
