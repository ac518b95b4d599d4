/**
 * A local process that opens connections to the shim socket and never says hello. The gateway
 * keeps 64 connections in the hello at once, each for 5 s at most; when one more comes, the one
 * waiting longest is refused (naming the limit), so a shim, which says its hello at once, gets in
 * straight away instead of waiting for the silent ones to time out (or, against a process that
 * opens them again, never).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimePaths } from '../../main/shared/paths.ts';
import { probeSocket } from '../../main/engine/downstream/socket-listener.ts';
import { CLI, NODE, fixtureServer, tempDir, textOf, waitFor, writeConfig } from '../helpers/gateway.ts';
import { INITIALIZE, rawStdio } from '../helpers/raw-stdio.ts';

const MAX_PENDING = 64;

interface Silent {
  socket: net.Socket;
  /** What the gateway wrote to it. */
  said: string;
  closed: boolean;
}

function silentConnection(socketPath: string): Promise<Silent> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const silent: Silent = { socket, said: '', closed: false };
    socket.on('data', (c: Buffer) => (silent.said += c.toString()));
    socket.on('close', () => (silent.closed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(silent));
    socket.once('error', reject);
  });
}

describe('connections to the shim socket that never say hello', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: ChildProcess;
  let env: NodeJS.ProcessEnv;
  const silent: Silent[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    env = {
      ...process.env,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    };
    gateway = spawn(NODE, [CLI, 'serve', '--port', '0', '--config', config], { env, stdio: 'ignore' });
    await waitFor(() => probeSocket(runtimePaths(env).socket), 30_000, 'the shim socket');
  }, 60_000);

  afterAll(async () => {
    for (const s of silent) s.socket.destroy();
    gateway?.kill();
    await dir?.cleanup();
  });

  it('refuse the one waiting longest when a shim comes, which gets in at once', async () => {
    const socketPath = runtimePaths(env).socket;
    for (let i = 0; i < MAX_PENDING; i++) silent.push(await silentConnection(socketPath));
    const started = Date.now();
    const shim = rawStdio(NODE, [CLI, 'shim'], env);
    try {
      shim.send(INITIALIZE(0));
      await shim.response(0);
      shim.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      shim.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message: 'in' } },
      });
      expect(textOf((await shim.response(1)).result)).toBe('in');
      // It did not wait for the silent ones to time out.
      expect(Date.now() - started).toBeLessThan(5_000);
      const oldest = await waitFor(() => (silent[0]!.closed ? silent[0] : undefined), 5_000, 'the oldest to close');
      expect(JSON.parse(oldest.said.trim())).toMatchObject({
        switchboard: 'refused',
        reason: `${MAX_PENDING} connections were waiting to say hello, and this one waited longest`,
      });
      expect(silent.slice(1).every((s) => !s.closed)).toBe(true);
      // The rest are refused once their time for the hello is up.
      await waitFor(() => silent.every((s) => s.closed), 10_000, 'the silent connections to be closed');
      expect(JSON.parse(silent[1]!.said.trim())).toMatchObject({ reason: 'no hello within 5000 ms' });
    } finally {
      shim.close();
    }
  }, 30_000);
});
