import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { allowedHostHeaders, createGuard } from '../../../../main/engine/downstream/http-guard.ts';

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

  it('on every interface (0.0.0.0, ::), the names of this machine and each of its addresses', () => {
    for (const any of ['0.0.0.0', '::']) {
      const hosts = allowedHostHeaders(any, 9000);
      expect(hosts.has('127.0.0.1:9000')).toBe(true);
      expect(hosts.has('localhost:9000')).toBe(true);
      for (const a of Object.values(networkInterfaces()).flat())
        if (a) expect(hosts.has(a.family === 'IPv6' ? `[${a.address}]:9000` : `${a.address}:9000`)).toBe(true);
    }
  });

  it('a browser on this machine may log in to a gateway bound to every interface (its Origin is 127.0.0.1)', () => {
    const guard = createGuard({
      host: '0.0.0.0',
      port: 9000,
      allowedOrigins: [],
      principals: [{ name: 'listen.http.token', token: 'a-long-enough-token' }],
      ownAuth: () => true,
    });
    const request = (origin: string) =>
      ({ headers: { host: '127.0.0.1:9000', origin }, method: 'POST' }) as unknown as IncomingMessage;
    expect(guard(request('http://127.0.0.1:9000'))).toEqual({ principal: '' });
    expect(guard(request('http://evil.example:9000'))).toMatchObject({ status: 403 });
  });

  it("on port 80, HTTP's default, the names alone too: a browser sends Host and Origin without the port", () => {
    const guard = createGuard({ host: '127.0.0.1', port: 80, allowedOrigins: [] });
    const request = (host: string, origin?: string) =>
      ({ headers: { host, ...(origin ? { origin } : {}) }, method: 'GET' }) as unknown as IncomingMessage;
    // Every request to a gateway moved to port 80 was refused: Host header "127.0.0.1" is not this gateway's address.
    expect(guard(request('127.0.0.1', 'http://127.0.0.1'))).toEqual({ principal: '' });
    expect(guard(request('localhost'))).toEqual({ principal: '' });
    expect(guard(request('127.0.0.1:80'))).toEqual({ principal: '' });
    expect(guard(request('evil.example'))).toMatchObject({ status: 403 });
    expect(guard(request('127.0.0.1', 'http://evil.example'))).toMatchObject({ status: 403 });
    // On any other port the port is part of the name.
    expect(allowedHostHeaders('127.0.0.1', 8080).has('127.0.0.1')).toBe(false);
  });

  it('elsewhere, the address it listens on and the loopback names (a browser at the end of an ssh -L tunnel)', () => {
    expect([...allowedHostHeaders('192.168.1.5', 9000)].sort()).toEqual([
      '127.0.0.1:9000',
      '192.168.1.5:9000',
      '[::1]:9000',
      'localhost:9000',
    ]);
    expect(allowedHostHeaders('fd00::5', 9000).has('[fd00::5]:9000')).toBe(true);
    expect(allowedHostHeaders('fd00::5', 9000).has('fd00::5:9000')).toBe(false);
    expect(allowedHostHeaders('192.168.1.5', 9000).has('evil.example:9000')).toBe(false);
  });

  it('a Host it refuses is told where the gateway answers, and how a team gets it to answer to any name', () => {
    const refusal = (host: string, listen: string) =>
      createGuard({ host: listen, port: 9000, allowedOrigins: [], principals: [{ name: 't', token: 'x'.repeat(20) }] })(
        {
          headers: { host },
          method: 'POST',
        } as unknown as IncomingMessage,
      );
    // It said only: Host header "gw.team.example:9000" is not this gateway's address.
    expect(refusal('gw.team.example:9000', '192.168.1.5')).toEqual({
      status: 403,
      message:
        'Forbidden: Host header "gw.team.example:9000" is not this gateway\'s address: ' +
        'it answers as 192.168.1.5:9000 (or 127.0.0.1:9000, localhost:9000 on this machine); ' +
        'to be reached by other names, listen on every ' +
        'interface ("listen.http.host": "0.0.0.0")',
    });
    // On loopback, nothing is said of listening elsewhere.
    expect(refusal('myhost.local:9000', '127.0.0.1')).toEqual({
      status: 403,
      message:
        'Forbidden: Host header "myhost.local:9000" is not this gateway\'s address: it answers as 127.0.0.1:9000 ' +
        '(or localhost:9000)',
    });
  });
});
