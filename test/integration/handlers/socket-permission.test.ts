/**
 * php-fpm's socket that Switchboard's user may not connect to (Debian's /run/php/php8.2-fpm.sock is
 * www-data's, mode 660): the error says whose the socket is, who Switchboard runs as, and which
 * php-fpm settings decide it; or that a folder on the way may not be entered. Root connects to any
 * socket, so as root `switchboard list` runs as nobody; as anyone else the socket's mode is taken away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, NODE, writeConfig } from '../../helpers/gateway.ts';
import { startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

const NOBODY = 65534;
const root = process.getuid?.() === 0;

function listAs(config: string, home: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      NODE,
      [CLI, 'list', '--config', config],
      {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          SWITCHBOARD_STATE_DIR: path.join(home, 'state'),
          SWITCHBOARD_RUNTIME_DIR: path.join(home, 'run'),
        },
        timeout: 30_000,
        ...(root ? { uid: NOBODY, gid: NOBODY } : {}),
      },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`.replace(/\s+/g, ' ')),
    );
  });
}

describe.skipIf(process.platform === 'win32')('a php-fpm socket Switchboard may not connect to', () => {
  let fpm: PhpFpm;
  let home: string;
  let config: string;
  let socketPath: string;

  beforeAll(async () => {
    fpm = await startPhpFpm({ listen: 'unix' });
    socketPath = (fpm.target as { socketPath: string }).socketPath;
    home = await mkdtemp(path.join(tmpdir(), 'sb-denied-'));
    await mkdir(path.join(home, 'state'));
    await mkdir(path.join(home, 'run'));
    config = await writeConfig(home, {
      mcpServers: { app: { handler: socketPath, entrypoint: '/srv/app/handler.php' } },
    });
    // The user the command runs as may use its own files.
    for (const p of [home, path.join(home, 'state'), path.join(home, 'run'), config]) await chmod(p, 0o777);
  });
  afterAll(async () => {
    await fpm?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("says whose the socket is, who Switchboard runs as, and php-fpm's listen settings", async () => {
    await chmod(path.dirname(socketPath), 0o711);
    if (!root) await chmod(socketPath, 0o000);
    const out = await listAs(config, home);
    expect(out).toContain(
      `cannot connect to FastCGI server ${socketPath}: permission denied on the socket: ${socketPath} belongs to uid `,
    );
    expect(out).toMatch(/, mode (660|0), and Switchboard runs as \S+ \(uid \d+, groups [\d ]+\); /);
    expect(out).toContain(
      "who may connect is what php-fpm's listen.owner, listen.group and listen.mode (in the pool) make it",
    );
    if (!root) await chmod(socketPath, 0o660);
  });

  it('says when a folder on the way may not be entered', async () => {
    await chmod(path.dirname(socketPath), root ? 0o700 : 0o000);
    const out = await listAs(config, home);
    await chmod(path.dirname(socketPath), 0o700);
    expect(out).toContain(
      `cannot connect to FastCGI server ${socketPath}: permission denied: a folder on the way to ${socketPath} ` +
        'may not be entered by ',
    );
    expect(out).not.toContain('listen.owner');
  });

  it('an HTTP handler on a Unix socket: whose it is and who Switchboard runs as', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-denied-http-'));
    const sock = path.join(dir, 'handler.sock');
    const server = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      await chmod(dir, 0o711);
      await chmod(sock, root ? 0o600 : 0o000);
      const httpConfig = await writeConfig(
        home,
        { mcpServers: { web: { handler: sock, kind: 'handler-http' } } },
        'http.json',
      );
      await chmod(httpConfig, 0o666);
      const out = await listAs(httpConfig, home);
      expect(out).toContain(`(permission denied: ${sock} belongs to uid `);
      expect(out).toMatch(/, and Switchboard runs as \S+ \(uid \d+, groups [\d ]+\)\)/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
