/**
 * A process squatting on the gateway's socket path, which does not know the install token, gets
 * neither the token nor a byte of the client's messages from the real shim, and the client is
 * told why.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { socketPath, tokenPath } from '../../main/shared/paths.ts';
import { ROOT } from '../helpers/gateway.ts';

const SHIM = path.join(ROOT, 'main/shim/bin.ts');
const SECRET_ARGUMENT = 'the-client-secret-argument';

let base: string;
let dir: string;
let token: string;
let impostor: net.Server | undefined;
let shim: ChildProcessWithoutNullStreams | undefined;

beforeEach(async () => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-impostor-')));
  dir = path.join(base, 'run');
  await fs.mkdir(dir, { mode: 0o700 });
  await fs.chmod(dir, 0o700);
  // The real install token, as a gateway that ran before left it.
  token = randomBytes(32).toString('hex');
  await fs.writeFile(tokenPath(dir), `${token}\n`, { mode: 0o600 });
});
afterEach(async () => {
  shim?.kill('SIGKILL');
  await new Promise<void>((r) => (impostor ? impostor.close(() => r()) : r()));
  impostor = undefined;
  await fs.rm(base, { recursive: true, force: true });
});

/** Listens on the socket path, records every byte, and answers the first line with `answer`. */
async function listenAsImpostor(answer: (hello: Record<string, unknown>) => string): Promise<() => string> {
  let received = '';
  impostor = net.createServer((conn) => {
    let buf = '';
    let answered = false;
    conn.on('error', () => undefined);
    conn.on('data', (d: Buffer) => {
      received += d.toString();
      buf += d.toString();
      if (!answered && buf.includes('\n')) {
        answered = true;
        let hello: Record<string, unknown> = {};
        try {
          hello = JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Record<string, unknown>;
        } catch {
          // not JSON: answer anyway
        }
        conn.write(answer(hello));
      }
    });
  });
  await new Promise<void>((r) => impostor!.listen(socketPath(dir), () => r()));
  return () => received;
}

async function runShim(): Promise<{ reply: Record<string, unknown>; stderr: string }> {
  shim = spawn(process.execPath, [SHIM], {
    env: {
      ...process.env,
      SWITCHBOARD_RUNTIME_DIR: dir,
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([process.execPath, '-e', '']),
      SWITCHBOARD_CONNECT_TIMEOUT_MS: '3000',
    },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  shim.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  shim.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const init = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
  };
  const call = {
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'x', arguments: { secret: SECRET_ARGUMENT } },
  };
  shim.stdin.write(JSON.stringify(init) + '\n' + JSON.stringify(call) + '\n');
  await expect.poll(() => stdout.split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(2);
  shim.stdin.end();
  const reply = JSON.parse(stdout.split('\n')[0]!) as Record<string, unknown>;
  return { reply, stderr };
}

describe('the shim verifies the gateway before sending anything', () => {
  it('refuses an impostor that welcomes any hello: no token, no client message reaches it', async () => {
    const received = await listenAsImpostor(
      (hello) => JSON.stringify({ switchboard: 'welcome', version: hello.version ?? 1 }) + '\n',
    );
    const { reply, stderr } = await runShim();
    expect(reply.error).toMatchObject({ code: -32002, message: expect.stringMatching(/could not prove it holds/) });
    expect(stderr).toMatch(/The shim will not use .*not your Switchboard gateway.*nothing was sent to it/);
    expect(received()).not.toContain(token);
    expect(received()).not.toContain(SECRET_ARGUMENT);
    expect(received()).not.toContain('initialize');
  });

  it('refuses an impostor that speaks the handshake but cannot produce the proof', async () => {
    const fake = () => randomBytes(32).toString('hex');
    const received = await listenAsImpostor(
      () => JSON.stringify({ switchboard: 'challenge', version: 2, nonce: fake(), proof: fake() }) + '\n',
    );
    const { reply, stderr } = await runShim();
    expect(reply.error).toMatchObject({ code: -32002, message: expect.stringMatching(/could not prove it holds/) });
    expect(stderr).toMatch(/not your Switchboard gateway/);
    expect(received()).not.toContain(token);
    expect(received()).not.toContain(SECRET_ARGUMENT);
    // It got hellos (profile and a nonce; the shim tries twice) and nothing else: no proof, no client line.
    const lines = received().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ switchboard: 'hello', version: 2 });
  });
});
