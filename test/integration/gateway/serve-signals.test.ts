/**
 * `switchboard serve` ended by a signal stops its servers first. They run in process groups of
 * their own, so a server that does not exit when its input closes (a timer keeps it alive, as in
 * many servers) would otherwise outlive the gateway: after a closed terminal (SIGHUP) too.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureServer, httpClient, serveGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform === 'win32')('serve, ended by a signal', () => {
  const leftovers: number[] = [];
  afterEach(() => {
    for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)(
    '%s: the gateway stops its servers before it exits',
    async (signal) => {
      const dir = await tempDir();
      try {
        const config = await writeConfig(dir.dir, {
          mcpServers: { fx: fixtureServer('fx', { FIXTURE_IGNORE_EOF: '1' }) },
        });
        const { child, url } = await serveGateway({
          ...process.env,
          SWITCHBOARD_CONFIG: config,
          SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
          SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
        });
        const client = await httpClient(url);
        const echoed = await waitFor(
          () => client.callTool({ name: 'fx__echo', arguments: { message: 'hi' } }).catch(() => undefined),
          20_000,
          'fx to answer',
        );
        await client.close();
        const pid = (echoed.structuredContent as { pid: number }).pid;
        leftovers.push(pid);
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill(signal);
        expect(await exited).toBe(0);
        await waitFor(() => !alive(pid), 5000, `server ${pid} to be stopped`);
      } finally {
        await dir.cleanup();
      }
    },
    40_000,
  );
});
