import { describe, expect, it } from 'vitest';
import { isLoopbackHost, userUrlRefusal } from '../../../../main/engine/egress/user-url.ts';

describe('isLoopbackHost: one answer for every spelling', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '[::ffff:7f00:1]',
  ])('%s is this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', 'localhost.example.com', '[::2]', ''])(
    '%s is not',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('userUrlRefusal: where a person may be sent', () => {
  it('lets https anywhere and http on this machine through', () => {
    for (const ok of ['https://example.com/x', 'http://localhost:3000/', 'http://127.0.0.1:8080/cb', 'http://[::1]/'])
      expect(userUrlRefusal(new URL(ok))).toBeUndefined();
  });

  it('names what is wrong with anything else', () => {
    expect(userUrlRefusal(new URL('javascript:alert(1)'))).toBe('a javascript: URL');
    expect(userUrlRefusal(new URL('http://example.com/'))).toBe('a plain http:// URL to example.com');
    expect(userUrlRefusal(new URL('https://bank.example@evil.example/'))).toBe(
      'a URL with a user name or password in it',
    );
  });
});
