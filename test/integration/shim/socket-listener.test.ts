import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listenLocalSocket,
  type LocalSocketConnection,
  type LocalSocketListener,
} from '../../../main/engine/downstream/socket-listener.ts';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';
import {
  encodeHello,
  encodeProof,
  gatewayProof,
  newNonce,
  parseHelloReply,
  shimProof,
} from '../../../main/shared/hello.ts';
import { socketPath, tokenPath } from '../../../main/shared/paths.ts';

const posix = process.platform !== 'win32';

let base: string;
let dir: string;
const listeners: LocalSocketListener[] = [];
const sockets: net.Socket[] = [];

beforeEach(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-listener-')));
  dir = path.join(base, 'run');
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  await fs.rm(base, { recursive: true, force: true });
});

async function listen(options: Partial<Parameters<typeof listenLocalSocket>[0]> = {}) {
  const connections: LocalSocketConnection[] = [];
  const l = await listenLocalSocket({ dir, onConnection: (c) => connections.push(c), ...options });
  listeners.push(l);
  return { l, connections };
}

/** Connects, writes `data`, and resolves with the first line the listener answers (and whether it closed). */
function exchange(
  sock: string,
  data: string | Buffer,
): Promise<{ line: string; closed: Promise<void>; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    sockets.push(s);
    let buf = '';
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl !== -1) resolve({ line: buf.slice(0, nl), closed, socket: s });
    });
    s.once('close', () => reject(new Error(`closed without an answer (got ${JSON.stringify(buf)})`)));
    s.once('connect', () => {
      if (data.length > 0) s.write(data);
    });
  });
}

/**
 * The shim's side of the mutual hello with `token`: hello, challenge, proof (sent even when the
 * gateway's proof is wrong, to see the gateway refuse it). Resolves with the gateway's last line,
 * whether the gateway proved it holds `token`, and the socket (`after` is sent with the proof).
 */
function shake(
  sock: string,
  token: string,
  profile: string,
  after = '',
): Promise<{ line: string; gatewayProved: boolean; closed: Promise<void>; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    sockets.push(s);
    const nonce = newNonce();
    let buf = '';
    let gatewayProved: boolean | undefined;
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const reply = parseHelloReply(line);
        if (reply.ok && reply.value.kind === 'challenge' && gatewayProved === undefined) {
          gatewayProved = reply.value.proof === gatewayProof(token, nonce, reply.value.nonce);
          s.write(encodeProof(shimProof(token, nonce, reply.value.nonce)) + after);
          continue;
        }
        resolve({ line, gatewayProved: gatewayProved === true, closed, socket: s });
        return;
      }
    });
    s.once('close', () => reject(new Error(`closed without an answer (got ${JSON.stringify(buf)})`)));
    s.once('connect', () => s.write(encodeHello({ profile, nonce })));
  });
}

async function expectRefusal(fn: () => Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe(code);
  expect((err as GatewayError).message).toMatch(pattern);
}

describe('listenLocalSocket', () => {
  it('creates a private dir, a 0600 token, and welcomes a correct hello', async () => {
    const { l, connections } = await listen();
    expect(l.path).toBe(socketPath(dir));
    expect(l.token).toMatch(/^[0-9a-f]{64}$/);
    if (posix) {
      expect((await fs.lstat(dir)).mode & 0o777).toBe(0o700);
      expect((await fs.lstat(tokenPath(dir))).mode & 0o777).toBe(0o600);
    }
    expect((await fs.readFile(tokenPath(dir), 'utf8')).trim()).toBe(l.token);

    const first = '{"jsonrpc":"2.0","id":1,"method":"ping"}\n';
    const { line, socket, gatewayProved } = await shake(l.path, l.token, 'work', first);
    expect(gatewayProved).toBe(true);
    expect(JSON.parse(line)).toEqual({ switchboard: 'welcome', version: 2 });
    await expect.poll(() => connections.length).toBe(1);
    const c = connections[0]!;
    expect(c.profile).toBe('work');
    expect(c.client).toBe('shim');
    // The caller owns the socket from here: it gets the bytes after the hello and the rest of the stream.
    const more = new Promise<string>((resolve) => c.socket.once('data', (d: Buffer) => resolve(d.toString())));
    c.socket.resume();
    socket.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    const received = c.head.toString() + (await more);
    expect(received).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
  });

  it('refuses a bad token without affecting other connections', async () => {
    const { l, connections } = await listen();
    const good = await shake(l.path, l.token, 'default');
    expect(JSON.parse(good.line).switchboard).toBe('welcome');

    const bad = await shake(l.path, 'b'.repeat(64), 'default');
    // The gateway proved nothing to a peer with another token, and refused that peer's proof.
    expect(bad.gatewayProved).toBe(false);
    expect(JSON.parse(bad.line)).toEqual({ switchboard: 'refused', reason: expect.stringMatching(/invalid token/) });
    await bad.closed;
    const badProof = await exchange(l.path, encodeHello({ profile: 'default', nonce: newNonce() }) + 'x\n');
    expect(JSON.parse(badProof.line).switchboard).toBe('challenge');
    await badProof.closed;
    const oldShim = await exchange(l.path, JSON.stringify({ switchboard: 'hello', version: 1, token: l.token }) + '\n');
    expect(JSON.parse(oldShim.line).reason).toMatch(/unsupported hello version 1/);
    const garbage = await exchange(l.path, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(JSON.parse(garbage.line)).toEqual({ switchboard: 'refused', reason: expect.stringMatching(/bad hello/) });
    const huge = await exchange(l.path, 'x'.repeat(10_000));
    expect(JSON.parse(huge.line).reason).toMatch(/longer than 4096/);

    expect(connections).toHaveLength(1);
    // The good connection still works.
    connections[0]!.socket.resume();
    const echoed = new Promise<string>((r) => connections[0]!.socket.once('data', (d: Buffer) => r(d.toString())));
    good.socket.write('still here\n');
    expect(await echoed).toBe('still here\n');
  });

  it('refuses a connection that never says hello', async () => {
    const { l, connections } = await listen({ helloTimeoutMs: 100 });
    const { line } = await exchange(l.path, '');
    expect(JSON.parse(line).reason).toMatch(/no hello within 100 ms/);
    expect(connections).toHaveLength(0);
  });

  it('lets the caller refuse a hello (e.g. unknown profile)', async () => {
    const { l, connections } = await listen({
      checkHello: (h) => (h.profile === 'nope' ? 'unknown profile "nope"' : undefined),
    });
    const { line } = await shake(l.path, l.token, 'nope');
    expect(JSON.parse(line)).toEqual({ switchboard: 'refused', reason: 'unknown profile "nope"' });
    expect(connections).toHaveLength(0);
  });

  it('reuses the token across restarts and removes its socket on close', async () => {
    const first = await listen();
    const token = first.l.token;
    await first.l.close();
    if (posix) await expect(fs.lstat(first.l.path)).rejects.toThrow(/ENOENT/);
    const second = await listen();
    expect(second.l.token).toBe(token);
  });

  it('replaces an invalid or too-open token file', async () => {
    const first = await listen();
    await first.l.close();
    await fs.writeFile(tokenPath(dir), 'short\n', { mode: 0o600 });
    const second = await listen();
    expect(second.l.token).not.toBe(first.l.token);
    expect(second.l.token).toMatch(/^[0-9a-f]{64}$/);
    await second.l.close();
    if (posix) {
      await fs.chmod(tokenPath(dir), 0o644);
      const third = await listen();
      expect(third.l.token).not.toBe(second.l.token);
      expect((await fs.lstat(tokenPath(dir))).mode & 0o777).toBe(0o600);
    }
  });

  it('accepts an explicit token and writes it to the token file', async () => {
    const token = 'c'.repeat(64);
    const { l } = await listen({ token });
    expect(l.token).toBe(token);
    expect((await fs.readFile(tokenPath(dir), 'utf8')).trim()).toBe(token);
  });

  it.runIf(posix)('removes a stale socket but refuses to steal a live one', async () => {
    await fs.mkdir(dir, { mode: 0o700 });
    // A gateway that died hard leaves its socket file behind: listen in a child and SIGKILL it.
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath(dir))}, () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.kill('SIGKILL');
    await new Promise<void>((r) => child.once('exit', () => r()));
    expect((await fs.lstat(socketPath(dir))).isSocket()).toBe(true);

    const { l } = await listen();
    const live = await shake(l.path, l.token, 'default');
    expect(JSON.parse(live.line).switchboard).toBe('welcome');

    const err = await listenLocalSocket({ dir, onConnection: () => undefined }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toMatch(/already listening/);
    expect(((err as GatewayError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    // The first listener is unharmed.
    const again = await shake(l.path, l.token, 'default');
    expect(JSON.parse(again.line).switchboard).toBe('welcome');
  });

  it.runIf(posix)('refuses to delete something at the socket path that is not a socket', async () => {
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.writeFile(socketPath(dir), 'not a socket');
    await expectRefusal(() => listen(), 'internal', /is not a socket/);
  });

  it.runIf(posix)('refuses a runtime dir with the wrong mode', async () => {
    await fs.mkdir(dir, { mode: 0o755 });
    await fs.chmod(dir, 0o755);
    await expectRefusal(
      () => listen(),
      'unauthorized',
      new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has mode 0755, it must be 0700`),
    );
  });

  it.runIf(posix)('refuses a runtime dir that is a symlink', async () => {
    const real = path.join(base, 'real');
    await fs.mkdir(real, { mode: 0o700 });
    await fs.symlink(real, dir);
    await expectRefusal(() => listen(), 'unauthorized', /is a symbolic link/);
  });

  it.runIf(posix)('refuses a runtime path that is not a directory', async () => {
    await fs.writeFile(dir, 'x');
    await expectRefusal(() => listen(), 'internal', /not a directory/);
  });

  it.runIf(posix && process.getuid?.() === 0)('refuses a runtime dir owned by someone else', async () => {
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.chown(dir, 12345, 12345);
    await expectRefusal(() => listen(), 'unauthorized', /owned by uid 12345/);
  });

  it.runIf(posix)('puts the socket in a short private dir when the runtime path is too long', async () => {
    dir = path.join(base, 'd'.repeat(100));
    const { l } = await listen();
    expect(l.path).not.toContain(dir);
    expect(Buffer.byteLength(l.path)).toBeLessThanOrEqual(103);
    expect((await fs.lstat(path.dirname(l.path))).mode & 0o777).toBe(0o700);
    const { line } = await shake(l.path, l.token, 'default');
    expect(JSON.parse(line).switchboard).toBe('welcome');
    await l.close();
    await fs.rm(path.dirname(l.path), { recursive: true, force: true });
  });
});
