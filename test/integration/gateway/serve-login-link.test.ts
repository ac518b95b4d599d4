/**
 * The one-time login link `switchboard serve` prints logs a browser in, so it is printed for a
 * person at a terminal only: a service's output (systemd's journal, a log file) gets the address
 * and how to make a link. The terminal is a real pseudo-terminal (Python's pty module).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, NODE, serveGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setUp(): Promise<NodeJS.ProcessEnv> {
  const dir = await tempDir('sb-link-');
  cleanups.push(() => dir.cleanup());
  return {
    ...process.env,
    SWITCHBOARD_CONFIG: await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: 0 } } }),
    SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
  };
}

describe.skipIf(process.platform === 'win32')('the login link serve prints', () => {
  it('is not written where output may be kept in a log: the address and "switchboard ui" are', async () => {
    const { child, stderr } = await serveGateway(await setUp());
    cleanups.push(async () => void child.kill('SIGKILL'));
    const line = await waitFor(() => /web UI: .*/.exec(stderr())?.[0], 20_000, 'the web UI line');
    expect(line).toMatch(
      /^web UI: http:\/\/127\.0\.0\.1:\d+\/ui\/ \(run "switchboard ui" for a login link: none is printed where/,
    );
    expect(stderr()).not.toContain('#login=');
  });

  it('is printed for a person at a terminal', async () => {
    const env = await setUp();
    const pty = 'import pty, sys; pty.spawn(sys.argv[1:])';
    const child = spawn('python3', ['-c', pty, NODE, CLI, 'serve', '--port', '0', '--no-socket'], { env });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let seen = '';
    child.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    const line = await waitFor(() => /web UI: [^\r\n]*/.exec(seen)?.[0], 20_000, 'the web UI line');
    expect(line).toMatch(
      /^web UI: http:\/\/127\.0\.0\.1:\d+\/ui\/#login=[\w-]+ \(one-time login link, valid 10 minutes/,
    );
  });
});
