/**
 * The keychain store against a real gnome-keyring (Secret Service over a private D-Bus session),
 * through the engine and through the CLI; and the CLI with no D-Bus at all: a clear error and
 * nothing written in plain text.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findCredentialsAsync } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientLocations,
  createKeychainSecretStore,
  HEADLESS_KEYRING_COMMAND,
  installClient,
  restoreClient,
  type ClientId,
} from '../../../main/engine/index.ts';
import { CLI, FIXTURE, NODE, ROOT } from '../../helpers/gateway.ts';
import { runCli } from '../installers/helpers.ts';
import { keyringMissingOutsideCi, startKeyringSession, type KeyringSession } from './keyring-session.ts';

const missing = keyringMissingOutsideCi();

describe.skipIf(missing !== undefined)('keychain on gnome-keyring', () => {
  let session: KeyringSession;
  let home: string;
  beforeAll(async () => {
    session = await startKeyringSession();
    // Before the first keyring call in this process: libdbus reads the address once.
    process.env.DBUS_SESSION_BUS_ADDRESS = session.address;
    home = await mkdtemp(path.join(tmpdir(), 'sb-kc-'));
  });
  afterAll(async () => {
    await session?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('sets, gets, lists and deletes; install ids do not see each other', async () => {
    const a = createKeychainSecretStore({ installId: 'test0000aaaa' });
    const b = createKeychainSecretStore({ installId: 'test0000bbbb' });
    await a.set('github-token', 'ghp_real_keyring_value');
    await a.set('linear', 'lin_value');
    await b.set('other', 'x');
    expect(await a.get('github-token')).toBe('ghp_real_keyring_value');
    expect(await a.list()).toEqual(['github-token', 'linear']);
    expect(await b.list()).toEqual(['other']);
    await a.set('linear', 'changed');
    expect(await a.get('linear')).toBe('changed');
    expect(await a.delete('linear')).toBe(true);
    expect(await a.get('linear')).toBeUndefined();
    expect(await a.list()).toEqual(['github-token']);
  });

  it('OAuth tokens have a keychain service of their own: never in the secrets list', async () => {
    const secrets = createKeychainSecretStore({ installId: 'test0000cccc' });
    const oauth = createKeychainSecretStore({ installId: 'test0000cccc', namespace: 'oauth' });
    await secrets.set('api-key', 'sk-value');
    await oauth.set('oauth-0123abcd', '{"tokens":{"access_token":"at-canary"}}');
    expect(await secrets.list()).toEqual(['api-key']);
    expect(await oauth.list()).toEqual(['oauth-0123abcd']);
    expect(await oauth.get('oauth-0123abcd')).toContain('at-canary');
    expect(await secrets.get('oauth-0123abcd')).toBeUndefined();
  });

  it('keeps a value longer than one entry takes in parts, and cleans them up', async () => {
    // The limit Windows Credential Manager sets, scaled down: the same code path, on a real keyring.
    const store = createKeychainSecretStore({ installId: 'test0000dddd', namespace: 'oauth', maxEntryLength: 100 });
    const accounts = async () =>
      (await findCredentialsAsync('switchboard-oauth:test0000dddd')).map((c) => c.account).sort();
    const record = JSON.stringify({
      tokens: { access_token: `at-${'🔑'.repeat(300)}`, refresh_token: 'r'.repeat(900) },
    });
    await store.set('oauth-feedbeef', record);
    expect(await store.get('oauth-feedbeef')).toBe(record);
    expect(await store.list()).toEqual(['oauth-feedbeef']);
    expect((await accounts()).length).toBeGreaterThan(10);
    await store.set('oauth-feedbeef', 'short now');
    expect(await accounts()).toEqual(['oauth-feedbeef']);
    await store.set('oauth-feedbeef', record);
    expect(await store.delete('oauth-feedbeef')).toBe(true);
    expect(await accounts()).toEqual([]);
  });

  it('backs up clients installed at once with one key: each restores', async () => {
    const clientsHome = await mkdtemp(path.join(home, 'clients-'));
    const ctx = {
      platform: 'linux' as const,
      env: {},
      home: clientsHome,
      stateDir: path.join(clientsHome, 'state'),
      secrets: createKeychainSecretStore({ installId: 'test0000dddd' }),
    };
    const ids: ClientId[] = ['cursor', 'windsurf', 'gemini-cli', 'lm-studio', 'claude-desktop'];
    const originals = new Map<ClientId, string>();
    for (const id of ids) {
      const file = clientLocations(id, ctx).config[0]!;
      await mkdir(path.dirname(file), { recursive: true });
      originals.set(id, `{ "mcpServers": {}, "client": "${id}" }\n`);
      await writeFile(file, originals.get(id)!);
    }
    const shim = { command: '/opt/node', args: ['/opt/sb.js', 'shim', '--profile', 'default'] };
    // The first backups, side by side: each must not make a backup key of its own.
    const installed = await Promise.all(ids.map((id) => installClient(id, ctx, shim)));
    expect(installed.map((r) => r.backup?.encrypted)).toEqual(ids.map(() => true));
    for (const id of ids) {
      expect((await restoreClient(id, ctx)).action).toBe('restored');
      expect(await readFile(clientLocations(id, ctx).config[0]!, 'utf8')).toBe(originals.get(id));
    }
    expect(await readdir(path.join(ctx.stateDir, 'backups'))).toEqual([]);
  });

  it('switchboard secrets set (stdin) | get | ls | rm', () => {
    const env = { HOME: home, ...session.env };
    expect(runCli(['secrets', 'set', 'api-key'], env, 'sk-from-stdin\n')).toMatchObject({ code: 0 });
    expect(runCli(['secrets', 'get', 'api-key'], env)).toMatchObject({ code: 0, stdout: 'sk-from-stdin\n' });
    expect(runCli(['secrets', 'ls'], env).stdout).toBe('api-key\n');
    expect(runCli(['secrets', 'rm', 'api-key'], env)).toMatchObject({ code: 0 });
    expect(runCli(['secrets', 'get', 'api-key'], env)).toMatchObject({ code: 1 });
    expect(runCli(['secrets', 'frob'], env)).toMatchObject({ code: 2 });
  }, 60_000);

  it('the built switchboard (out/main/cli.js) reaches the keychain through its built keychain process', () => {
    const built = path.join(ROOT, 'out/main/cli.js');
    if (!existsSync(built)) throw new Error('out/main/cli.js is missing: run `npm run build` first');
    const run = (args: string[], input = '') =>
      spawnSync(NODE, [built, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: home, ...session.env },
        input,
        encoding: 'utf8',
        timeout: 30_000,
      });
    expect(run(['secrets', 'set', 'built-key'], 'sk-built\n')).toMatchObject({ status: 0, stderr: '' });
    expect(run(['secrets', 'get', 'built-key'])).toMatchObject({ status: 0, stdout: 'sk-built\n' });
    expect(run(['secrets', 'rm', 'built-key'])).toMatchObject({ status: 0 });
  });

  it('switchboard secrets set refuses a value on the command line, stores nothing and does not repeat it', () => {
    const env = { HOME: home, ...session.env };
    for (const words of [['sk-on-the-command-line'], ['sk-two', 'words-on-it']]) {
      const result = runCli(['secrets', 'set', 'argv-key', ...words], env, 'sk-piped-too\n');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /takes no value on the command line .*shell history.*at the prompt, or pipe it in/s,
      );
      for (const word of words) expect(result.stdout + result.stderr).not.toContain(word);
      expect(runCli(['secrets', 'get', 'argv-key'], env)).toMatchObject({ code: 1 });
    }
  });

  it('switchboard secrets set refuses a value that cannot be one, saying why, and stores nothing', () => {
    const env = { HOME: home, ...session.env };
    const cases: [string | Buffer, RegExp][] = [
      ['', /the value is empty; nothing stored/],
      ['\n', /the value is empty; nothing stored/],
      ['   \t ', /the value is only spaces \(nothing of a token was pasted\?\); nothing stored/],
      [
        Buffer.from('sk-binary-\xff\xfe-key', 'latin1'),
        /not UTF-8 text .*base64 -w0 FILE \| switchboard secrets set NAME/,
      ],
      ['sk-with-\u0000-nul', /has a NUL character, which no environment variable or header can carry/],
      ['k'.repeat(65_537), /65537 characters long, more than a secret may be \(65536\); nothing stored/],
    ];
    for (const [input, message] of cases) {
      const result = runCli(['secrets', 'set', 'odd-key'], env, input as string);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('sk-');
      expect(runCli(['secrets', 'get', 'odd-key'], env)).toMatchObject({ code: 1 });
    }
    expect(runCli(['secrets', 'set', 'odd-key'], env, 'k'.repeat(65_536))).toMatchObject({ code: 0 });
    // Thirteen commands one after another, each a Node process and half of them a keychain process too.
  }, 90_000);

  it('without a gateway, secrets set and rm name the servers of the config that use the secret', async () => {
    const config = path.join(home, 'used.json');
    await writeFile(
      config,
      JSON.stringify({ mcpServers: { api: { command: 'x', env: { API_KEY: '${secret:used-key}' } } } }),
    );
    const env = { HOME: home, ...session.env, SWITCHBOARD_CONFIG: config };
    const set = runCli(['secrets', 'set', 'used-key'], env, 'sk-used');
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain('Used by api (env.API_KEY): it gets it when the gateway starts.');
    const rm = runCli(['secrets', 'rm', 'used-key'], env);
    expect(rm).toMatchObject({ code: 0 });
    expect(rm.stdout).toContain('Still referred to by api (env.API_KEY): it fails to start, saying it is missing');
    // A secret no server uses: nothing said of servers.
    expect(runCli(['secrets', 'set', 'free-key'], env, 'sk-free').stdout).toBe(
      'Stored "free-key" in the keychain. Use it in the config as ${secret:free-key}.\n',
    );
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v script']).status !== 0)(
    'a value of several lines pasted at the prompt is refused whole, and none of it is left for the shell',
    async () => {
      const env = { ...process.env, HOME: home, ...session.env };
      // In a terminal (script's pty): secrets set, then what a shell would read next.
      const child = spawn(
        'script',
        [
          '-qc',
          `sh -c '"${NODE}" "${CLI}" secrets set pasted-key; echo "exit=$?"; timeout 2 cat; echo END'`,
          '/dev/null',
        ],
        { env, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      const deadline = Date.now() + 15_000;
      while (!out.includes('Value for pasted-key: ') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      // A PEM key, in two pieces as a terminal may deliver a long paste.
      child.stdin.write('-----BEGIN KEY-----\rMIIBOQIBAAJBAKj34GkxFhD90vcNLY\r');
      await new Promise((r) => setTimeout(r, 100));
      child.stdin.write('echo PASTED-LINE-RAN\r-----END KEY-----\r');
      await new Promise((r) => setTimeout(r, 2500));
      child.stdin.end();
      await exited;
      expect(out).toMatch(/the value pasted has several lines.*nothing stored/s);
      expect(out).toContain('exit=1');
      expect(out.slice(out.indexOf('exit=1'))).not.toMatch(/PASTED-LINE-RAN|END KEY|MIIBOQ/);
      expect(runCli(['secrets', 'get', 'pasted-key'], { HOME: home, ...session.env })).toMatchObject({ code: 1 });
    },
  );

  // Last here: the session's keyring stays locked.
  it('a locked keyring: the message says so and to unlock it in the desktop session', () => {
    const env = { HOME: home, ...session.env };
    expect(runCli(['secrets', 'set', 'before-lock'], env, 'sk-before-lock')).toMatchObject({ code: 0 });
    const lock = spawnSync(
      'dbus-send',
      ['--session', '--dest=org.freedesktop.secrets', '--print-reply', '/org/freedesktop/secrets'].concat([
        'org.freedesktop.Secret.Service.Lock',
        'array:objpath:/org/freedesktop/secrets/collection/login',
      ]),
      { env: { ...process.env, ...session.env }, encoding: 'utf8' },
    );
    expect(lock.status, lock.stderr).toBe(0);
    for (const args of [
      ['secrets', 'get', 'before-lock'],
      ['secrets', 'ls'],
    ]) {
      const result = runCli(args, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/The keyring is locked, .*unlock it in your desktop session/s);
      // That command starts a second daemon beside the running one, which stays locked.
      expect(result.stderr).not.toContain('gnome-keyring-daemon --unlock');
      expect(result.stdout).not.toContain('sk-before-lock');
    }
  });
});

describe('no keychain reachable', () => {
  it('fails clearly and writes no plaintext', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-nokc-'));
    try {
      const result = runCli(['secrets', 'set', 'api-key'], { HOME: home }, 'sk-never-on-disk');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /the OS keychain is not available .*no D-Bus session bus.*does not store secrets in plain files/s,
      );
      // The keyring's password is typed at a prompt, never put in the command.
      expect(result.stderr).toContain(HEADLESS_KEYRING_COMMAND);
      expect(result.stderr).not.toMatch(/PASSWORD \|/);
      const files = await readdir(home, { recursive: true, withFileTypes: true });
      for (const f of files.filter((e) => e.isFile()))
        expect(await readFile(path.join(f.parentPath, f.name), 'utf8')).not.toContain('sk-never-on-disk');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('list and call, which run their servers once, promise no later try and no Restart', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-nokc-oneshot-'));
    try {
      const config = path.join(home, 'config.json');
      const fx = { command: NODE, args: [FIXTURE], env: { FIXTURE_NAME: 'fx', API_TOKEN: '${secret:fx-token}' } };
      await writeFile(config, JSON.stringify({ mcpServers: { fx } }));
      const env = { HOME: home, SWITCHBOARD_CONFIG: config };
      const listed = runCli(['list'], env);
      expect(listed.code).toBe(1);
      const call = runCli(['call', 'fx', 'echo', '--args', '{"message":"hi"}'], env);
      expect(call.code).toBe(1);
      for (const said of [listed.stdout, call.stderr]) {
        expect(said).toMatch(/the OS keychain is not available \(reading "fx-token"/);
        // The command is over by then: nothing tries again, and it has no Servers screen.
        expect(said).not.toMatch(/tried again by itself|Restart on the Servers screen/);
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe.skipIf(missing !== undefined)('the headless command the message gives', () => {
  it('starts a keyring unlocked with the password typed at its prompt, and Switchboard uses it', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sb-headless-'));
    try {
      // `switchboard` on PATH, as an installed one is; `serve` swapped for two commands that end.
      const bin = path.join(home, 'bin');
      await mkdir(bin);
      await writeFile(path.join(bin, 'switchboard'), `#!/bin/sh\nexec "${NODE}" "${CLI}" "$@"\n`);
      await chmod(path.join(bin, 'switchboard'), 0o755);
      const command = HEADLESS_KEYRING_COMMAND.replace(
        'exec switchboard serve',
        'echo sk-headless-value | switchboard secrets set headless && switchboard secrets get headless',
      );
      const result = spawnSync('sh', ['-c', command], {
        env: {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          HOME: home,
          XDG_RUNTIME_DIR: home,
          XDG_DATA_HOME: path.join(home, 'share'),
          SWITCHBOARD_STATE_DIR: path.join(home, 'state'),
        },
        input: 'typed-keyring-password\n',
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.stdout).toContain('sk-headless-value\n');
      expect(result.status, result.stderr).toBe(0);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
