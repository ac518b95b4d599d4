import { describe, expect, it } from 'vitest';
import { allowedHostHeaders } from '../../../../main/engine/downstream/http-guard.ts';

describe('allowedHostHeaders: the Host a browser may send (DNS rebinding guard)', () => {
  it('on loopback, every name of this machine and the address as given', () => {
    expect([...allowedHostHeaders('127.0.0.1', 8080)].sort()).toEqual([
      '127.0.0.1:8080',
      '[::1]:8080',
      'localhost:8080',
    ]);
    expect(allowedHostHeaders('127.0.0.2', 80).has('127.0.0.2:80')).toBe(true);
    expect(allowedHostHeaders('::ffff:127.0.0.1', 80).has('[::ffff:127.0.0.1]:80')).toBe(true);
    expect(allowedHostHeaders('::1', 80).has('localhost:80')).toBe(true);
  });

  it('elsewhere, only the address it listens on', () => {
    expect([...allowedHostHeaders('192.168.1.5', 9000)]).toEqual(['192.168.1.5:9000']);
    expect([...allowedHostHeaders('fd00::5', 9000)]).toEqual(['[fd00::5]:9000']);
  });
});
