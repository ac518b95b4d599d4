/**
 * A stopped gateway gives no address: what shows its listeners (`switchboard serve`, the app's
 * status and Settings, a login link for the web UI) must not offer one that nothing answers.
 */
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createGateway, createMemorySecretStore } from '../../../main/engine/index.ts';
import { startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

it('after stop(), no HTTP URL, socket path or login link, and the status lists no address', async () => {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const config = await writeConfig(dir.dir, { mcpServers: {} });
  const gateway = await startGateway(config, { runtimeDir: path.join(dir.dir, 'run'), socket: true });
  const url = gateway.httpUrl();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  expect(gateway.socketPath()).toBeDefined();
  expect((await gateway.api.getStatus()).listen).toEqual([url, gateway.socketPath()]);

  await gateway.stop();
  expect(await refused(Number(new URL(url!).port))).toBe(true);
  expect(gateway.httpUrl()).toBeUndefined();
  expect(gateway.socketPath()).toBeUndefined();
  expect(gateway.uiLoginUrl()).toBeUndefined();
  const status = await gateway.api.getStatus();
  expect(status.listen).toEqual([]);
  expect(status.httpProblem).toBeUndefined();
});

it('a stop while the listeners open leaves none open: the one opening as it came is closed too', async () => {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const config = await writeConfig(dir.dir, { mcpServers: {} });
  const gateway = createGateway({
    configPath: config,
    secrets: createMemorySecretStore(),
    version: 'test',
    http: { port: 0 },
    socket: true,
    runtimeDir: path.join(dir.dir, 'run'),
  });
  cleanups.push(() => gateway.stop());
  const starting = gateway.start();
  // The socket opens first; the stop comes as the HTTP listener opens.
  while (gateway.socketPath() === undefined) await new Promise((resolve) => setImmediate(resolve));
  await gateway.stop();
  await starting;
  expect(gateway.httpUrl()).toBeUndefined();
  expect(gateway.socketPath()).toBeUndefined();
  expect((await gateway.api.getStatus()).listen).toEqual([]);
});
