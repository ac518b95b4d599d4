import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { INITIALIZE, rawStdio } from '../../helpers/raw-stdio.ts';
import { probeSocket, type Gateway } from '../../../main/engine/index.ts';
import { runtimePaths } from '../../../main/shared/paths.ts';
import {
  CLI,
  NODE,
  fixtureServer,
  httpClient,
  startGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const MiB = 1024 * 1024;

describe('large messages', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('moves a 16 MiB response and a 4 MiB request over HTTP', async () => {
    const client = await httpClient(gateway.httpUrl()!);
    try {
      const big = await client.callTool({ name: 'fx__big', arguments: { bytes: 16 * MiB } });
      expect(textOf(big).length).toBe(16 * MiB);
      const message = 'y'.repeat(4 * MiB);
      const echoed = await client.callTool({ name: 'fx__echo', arguments: { message } });
      expect(textOf(echoed).length).toBe(4 * MiB);
    } finally {
      await client.close();
    }
  });

  it('moves a 16 MiB response over stdio and refuses an over-limit request without ending the session', async () => {
    // A raw client: the SDK's own stdio reader stops at 10 MiB.
    const client = rawStdio(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      ...process.env,
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    });
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fx__big', arguments: { bytes: 16 * MiB } },
      });
      const big = await client.response(1);
      expect(textOf(big.result).length).toBe(16 * MiB);
      client.send({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message: 'z'.repeat(9 * MiB) } },
      });
      const refused = await client.response(2);
      expect(refused.error).toMatchObject({
        code: -32003,
        message: expect.stringMatching(/over the 8388608-byte limit/),
      });
      // Refused by its first bytes, the id read from them as written: a negative one, a decimal one.
      for (const id of ['-7', '1.50']) {
        const echo = JSON.stringify({ name: 'fx__echo', arguments: { message: 'z'.repeat(9 * MiB) } });
        client.sendText(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${echo}}`);
        await waitFor(() => client.lines.find((line) => line.startsWith(`{"jsonrpc":"2.0","id":${id},"error"`)));
      }
      client.send({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message: 'small' } },
      });
      expect(textOf((await client.response(3)).result)).toBe('small');
    } finally {
      client.close();
    }
  });

  it('through the shim: refuses an over-limit request without ending the session', async () => {
    const d = await tempDir();
    const env = { ...process.env, SWITCHBOARD_RUNTIME_DIR: path.join(d.dir, 'run') };
    // The default limit (8 MiB); the shim itself relays lines of up to 64 MiB.
    const withSocket = await startGateway(config, { runtimeDir: env.SWITCHBOARD_RUNTIME_DIR, socket: true });
    await waitFor(() => probeSocket(runtimePaths(env).socket), 10_000, 'the shim socket');
    const client = rawStdio(NODE, [CLI, 'shim'], env);
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      const echo = (id: number, message: string) => ({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message } },
      });
      client.send(echo(1, 'z'.repeat(9 * MiB)));
      expect((await client.response(1)).error).toEqual({
        code: -32003,
        message: expect.stringMatching(
          /^Message of 94\d{5} bytes is over the 8388608-byte limit \(limits\.maxRequestBytes\)$/,
        ),
      });
      client.send(echo(2, 'small'));
      expect(textOf((await client.response(2)).result)).toBe('small');
    } finally {
      client.close();
      await withSocket.stop();
      await d.cleanup();
    }
  });

  it('through the shim: an answer too long for the shim to relay fails its request, not hangs it', async () => {
    const d = await tempDir();
    const env = { ...process.env, SWITCHBOARD_RUNTIME_DIR: path.join(d.dir, 'run') };
    // The user allows servers bigger answers than the 64 MiB the shim relays in one line.
    const roomy = await startGateway(
      await writeConfig(d.dir, { mcpServers: { fx: fixtureServer('fx') }, limits: { maxResponseBytes: 128 * MiB } }),
      { runtimeDir: env.SWITCHBOARD_RUNTIME_DIR, socket: true },
    );
    await waitFor(() => probeSocket(runtimePaths(env).socket), 10_000, 'the shim socket');
    const client = rawStdio(NODE, [CLI, 'shim'], env);
    try {
      client.send(INITIALIZE(0));
      await client.response(0);
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      client.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fx__big', arguments: { bytes: 65 * MiB } },
      });
      // It was dropped with a line on the shim's stderr: the client waited for an answer that never came.
      expect((await client.response(1, 60_000)).error).toEqual({
        code: -32003,
        message: expect.stringMatching(
          /^The answer of 68\d{6} bytes is over the 67108864-byte limit of the Switchboard shim/,
        ),
      });
      client.send({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'fx__echo', arguments: { message: 'after' } },
      });
      expect(textOf((await client.response(2)).result)).toBe('after');
    } finally {
      client.close();
      await roomy.stop();
      await d.cleanup();
    }
  }, 120_000);

  it('fails only the request whose response is over the limit, and the session lives on', async () => {
    const d = await tempDir();
    const small = await startGateway(
      await writeConfig(d.dir, { mcpServers: { fx: fixtureServer('fx') }, limits: { maxResponseBytes: MiB } }),
    );
    const client = await httpClient(small.httpUrl()!);
    try {
      await expect(client.callTool({ name: 'fx__big', arguments: { bytes: 2 * MiB } })).rejects.toThrow(
        /over the 1048576-byte limit \(limits.maxResponseBytes\)/,
      );
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'after' } }))).toBe('after');
      expect(small.servers()[0]!.restarts).toBe(0);
    } finally {
      await client.close();
      await small.stop();
      await d.cleanup();
    }
  });
});
