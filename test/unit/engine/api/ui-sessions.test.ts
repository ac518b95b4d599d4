import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SESSION_IDLE_MS, UiSessions, isLocalPeer, isLoopbackPeer } from '../../../../main/engine/api/ui-routes.ts';

const PORT = 8787;
const carrying = (secret: string, port = PORT) =>
  ({ headers: { authorization: `Bearer ${secret}` }, socket: { localPort: port } }) as unknown as IncomingMessage;

describe('web UI sessions', () => {
  it('a code opens one session, once; the session is a bearer secret, kept alive by use', () => {
    let now = 1_000_000;
    const sessions = new UiSessions(() => now);
    const code = sessions.newCode();
    const secret = sessions.redeem(code, PORT)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(sessions.redeem(code, PORT)).toBeUndefined();
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

  it('takes a code for ten minutes only', () => {
    let now = 1_000_000;
    const sessions = new UiSessions(() => now);
    const fresh = sessions.newCode();
    const late = sessions.newCode();
    now += 10 * 60 * 1000;
    expect(sessions.redeem(fresh, PORT)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    now += 1;
    expect(sessions.redeem(late, PORT)).toBeUndefined();
  });

  it('ends a session unused for 12 hours, and says which one ended, however it ended', () => {
    let now = 0;
    const ended: string[] = [];
    const sessions = new UiSessions(() => now, { onEnded: (key) => ended.push(key) });
    const key = (secret: string) => createHash('sha256').update(secret).digest('hex');
    const idle = sessions.redeem(sessions.newCode(), PORT)!;
    now += SESSION_IDLE_MS + 1;
    expect(sessions.admits(carrying(idle))).toBe(false);
    const moved = sessions.redeem(sessions.newCode(), PORT)!;
    expect(sessions.check(carrying(moved, PORT + 1))).toBe('other-port');
    const loggedOut = sessions.redeem(sessions.newCode(), PORT)!;
    sessions.end(carrying(loggedOut));
    expect(ended).toEqual([key(idle), key(moved), key(loggedOut)]);
  });

  it('holds a session only at the port it was opened on, and ends one that turns up at another', () => {
    const sessions = new UiSessions();
    const secret = sessions.redeem(sessions.newCode(), PORT)!;
    expect(sessions.check(carrying(secret))).toBe('admitted');
    expect(sessions.check(carrying(secret, PORT + 1))).toBe('other-port');
    expect(sessions.check(carrying(secret))).toBe('unknown');
  });

  it('ends the session a logout carries, from any port, and no other', () => {
    const sessions = new UiSessions();
    const ending = sessions.redeem(sessions.newCode(), PORT)!;
    const other = sessions.redeem(sessions.newCode(), PORT)!;
    expect(sessions.end(carrying('guess'))).toBe(false);
    expect(sessions.end(carrying(ending, PORT + 1))).toBe(true);
    expect(sessions.end(carrying(ending))).toBe(false);
    expect(sessions.check(carrying(ending))).toBe('unknown');
    expect(sessions.check(carrying(other))).toBe('admitted');
  });

  it("ends with a logout every session of its login, the ones its page's links opened and their codes", () => {
    const sessions = new UiSessions();
    const first = sessions.redeem(sessions.newCode(), PORT)!;
    const moved = sessions.redeem(sessions.newCode(carrying(first)), PORT + 1)!;
    const again = sessions.redeem(sessions.newCode(carrying(moved, PORT + 1)), PORT)!;
    const unused = sessions.newCode(carrying(again));
    const apart = sessions.redeem(sessions.newCode(carrying('the API token')), PORT)!;
    expect(sessions.end(carrying(moved, PORT + 1))).toBe(true);
    for (const secret of [first, again]) expect(sessions.check(carrying(secret))).toBe('unknown');
    expect(sessions.check(carrying(moved, PORT + 1))).toBe('unknown');
    expect(sessions.redeem(unused, PORT)).toBeUndefined();
    expect(sessions.check(carrying(apart))).toBe('admitted');
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
