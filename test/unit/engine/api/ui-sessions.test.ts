import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SESSION_IDLE_MS, UiSessions, isLocalPeer, isLoopbackPeer } from '../../../../main/engine/api/ui-routes.ts';

const carrying = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } }) as unknown as IncomingMessage;

describe('web UI sessions', () => {
  it('a code opens one session, once; the session is a bearer secret, kept alive by use', () => {
    let now = 1_000_000;
    const sessions = new UiSessions(() => now);
    const code = sessions.newCode();
    const secret = sessions.redeem(code)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(sessions.redeem(code)).toBeUndefined();
    expect(sessions.admits(carrying(secret))).toBe(true);
    expect(sessions.admits(carrying('guess'))).toBe(false);
    expect(sessions.admits({ headers: { cookie: `switchboard_ui=${secret}` } } as unknown as IncomingMessage)).toBe(
      false,
    );
    now += SESSION_IDLE_MS - 1;
    expect(sessions.admits(carrying(secret))).toBe(true);
    now += SESSION_IDLE_MS - 1;
    expect(sessions.admits(carrying(secret))).toBe(true);
  });

  it('ends a session unused for 12 hours, and every session when told to', () => {
    let now = 0;
    const sessions = new UiSessions(() => now);
    const idle = sessions.redeem(sessions.newCode())!;
    now += SESSION_IDLE_MS + 1;
    expect(sessions.admits(carrying(idle))).toBe(false);
    const active = sessions.redeem(sessions.newCode())!;
    const code = sessions.newCode();
    sessions.clear();
    expect(sessions.admits(carrying(active))).toBe(false);
    expect(sessions.redeem(code)).toBeUndefined();
  });

  it('counts as this machine: 127/8, ::1 and IPv4-mapped 127/8 only', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackPeer(address)).toBe(true);
    for (const address of ['10.0.0.2', '::ffff:10.0.0.2', '192.168.1.5', 'fe80::1', undefined])
      expect(isLoopbackPeer(address)).toBe(false);
  });

  it('counts a connection from the very address it reached as this machine, and no other', () => {
    expect(isLocalPeer({ remoteAddress: '192.0.2.2', localAddress: '192.0.2.2' })).toBe(true);
    expect(isLocalPeer({ remoteAddress: '::ffff:10.0.0.2', localAddress: '::ffff:10.0.0.2' })).toBe(true);
    expect(isLocalPeer({ remoteAddress: '127.0.0.1', localAddress: '10.0.0.2' })).toBe(true);
    expect(isLocalPeer({ remoteAddress: '10.0.0.3', localAddress: '10.0.0.2' })).toBe(false);
    expect(isLocalPeer({ remoteAddress: '10.0.0.3', localAddress: '127.0.0.1' })).toBe(false);
    expect(isLocalPeer({ remoteAddress: undefined, localAddress: undefined })).toBe(false);
  });
});
