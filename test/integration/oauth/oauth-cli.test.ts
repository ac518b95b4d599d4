/**
 * `switchboard login` and `logout` in a terminal, against a running `switchboard serve`, with the
 * tokens in a real keychain (gnome-keyring over a private D-Bus session): the command prints the
 * address to open and waits; the browser (played by fetch) logs in; a one-shot `switchboard call`
 * in another process then works from the stored tokens; logout deletes them. No token is in any
 * file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeychainSecretStore } from '../../../main/engine/index.ts';
import { CLI, NODE, tempDir, waitFor, writeConfig, cliRun, serveGateway } from '../../helpers/gateway.ts';
import { playBrowser, startAuthServer, type AuthServer } from '../../helpers/oauth-server.ts';
import { keyringMissing, startKeyringSession, type KeyringSession } from '../keychain/keyring-session.ts';

const missing = keyringMissing();
if (missing && process.env.CI) throw new Error(`OAuth CLI tests need a Secret Service in CI: ${missing}`);

describe.skipIf(missing !== undefined)('switchboard login / logout with the keychain', () => {
  let keyring: KeyringSession;
  let as: AuthServer;
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  let serve: ChildProcess | undefined;
  /** A server whose authorization server offers no PKCE: a login to it fails before its page is known. */
  let noPkce: Server;

  const cli = (...args: string[]) => cliRun(env, ...args);

  /** `switchboard login remote --no-browser`, once it has printed the address to open. */
  const startLogin = async (stdin: 'ignore' | 'pipe') => {
    const login = spawn(NODE, [CLI, 'login', 'remote', '--no-browser'], { env, stdio: [stdin, 'pipe', 'pipe'] });
    let stderr = '';
    login.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = new Promise<number | null>((resolve) => login.once('exit', resolve));
    const url = await new Promise<string>((resolve) => {
      createInterface({ input: login.stdout! }).on('line', (line) => {
        const m = /^\s+(http:\/\/\S+\/authorize\?\S+)$/.exec(line);
        if (m) resolve(m[1]!);
      });
    });
    return { login, url, code, stderr: () => stderr };
  };

  beforeAll(async () => {
    keyring = await startKeyringSession();
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    as = await startAuthServer();
    dir = await tempDir('sb-oauth-cli-');
    noPkce = await startNoPkceServer();
    const noPkceUrl = `http://127.0.0.1:${(noPkce.address() as AddressInfo).port}/mcp`;
    const config = await writeConfig(dir.dir, {
      mcpServers: { remote: { url: `${as.base}/mcp` }, 'no-pkce': { url: noPkceUrl } },
    });
    env = {
      ...process.env,
      ...keyring.env,
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      NO_COLOR: '1',
    };
    ({ child: serve } = await serveGateway(env));
  }, 40_000);

  afterAll(async () => {
    serve?.kill('SIGKILL');
    as?.child.kill();
    noPkce?.close();
    await keyring?.close();
    await dir?.cleanup();
  });

  it('login prints the address, waits for the browser, and says when it is done', async () => {
    const { url, code, stderr } = await startLogin('ignore');
    await playBrowser(url);
    expect(await code).toBe(0);
    expect(stderr()).toMatch(/logged in to "remote" \(scope: mcp:tools offline_access\)/);
  });

  it('a one-shot call in another process works from the tokens in the keychain', async () => {
    const call = await cli('call', 'remote', 'whoami');
    expect(call.stderr).toBe('');
    expect(call.code).toBe(0);
    expect(call.stdout).toMatch(/mcp:tools/);
  });

  it('keeps the tokens in the keychain only', async () => {
    const store = createKeychainSecretStore({ namespace: 'oauth', stateDir: path.join(dir.dir, 'state') });
    const [name] = await store.list();
    const record = JSON.parse((await store.get(name!))!) as { tokens: { access_token: string; refresh_token: string } };
    const canaries = [record.tokens.access_token, record.tokens.refresh_token];
    for (const file of await filesUnder(dir.dir))
      for (const canary of canaries) expect(await readFile(file, 'latin1'), file).not.toContain(canary);
  });

  it('logout deletes the tokens: the server needs a login again', async () => {
    const out = await cli('logout', 'remote');
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/logged out of "remote"/);
    const store = createKeychainSecretStore({ namespace: 'oauth', stateDir: path.join(dir.dir, 'state') });
    expect(await store.list()).toEqual([]);
    const call = await cli('call', 'remote', 'whoami');
    expect(call.code).toBe(1);
    expect(call.stderr).toMatch(/needs you to log in/);
  });

  it('list and doctor show a server waiting for its login as "needs login", as the app does', async () => {
    const list = await cli('list');
    expect(list.code).toBe(1);
    expect(list.stdout).toMatch(/^remote +http +needs login +- +server "remote" needs you to log in \(/m);
    const doctor = await cli('doctor');
    expect(doctor.stdout).toContain(
      '✗ remote: needs login (the server requires a login): run "switchboard login remote", ' +
        'or use Log in in Switchboard\n',
    );
  });

  it('a browser that cannot reach the gateway: the address it ended on, pasted into login, finishes it', async () => {
    const { login, url, code, stderr } = await startLogin('pipe');
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
    login.stdin!.write('http://127.0.0.1:1/callback?code=x&state=y\n');
    await waitFor(() => /that address was not taken: .*not this login's/.test(stderr()), 10_000, 'the refusal');
    login.stdin!.write(`${location}\n`);
    expect(await code).toBe(0);
    expect(stderr()).toMatch(/address taken/);
    expect(stderr()).toMatch(/logged in to "remote"/);
    expect((await cli('call', 'remote', 'whoami')).stdout).toMatch(/mcp:tools/);
  });

  it('a pasted address where the authorization server said no says so (not that the API token is wrong)', async () => {
    const { login, url, code, stderr } = await startLogin('pipe');
    const auth = new URL(url);
    const declined = new URL(auth.searchParams.get('redirect_uri')!);
    declined.search = new URLSearchParams({
      error: 'access_denied',
      state: auth.searchParams.get('state')!,
    }).toString();
    login.stdin!.write(`${declined.href}\n`);
    // The server was logged in before, and keeps its tokens: the login still failed, and says so.
    expect(await code).toBe(1);
    expect(stderr()).toMatch(
      /that address was not taken: the login to server "remote" failed: the authorization server said access_denied/,
    );
    expect(stderr()).not.toMatch(/API token/);
    expect(stderr()).toMatch(/the login failed: the login to server "remote" failed: .*access_denied\n$/);
    expect(stderr()).not.toMatch(/logged in to "remote"/);
  });

  it('an unknown server is refused with a clear message', async () => {
    const unknown = await cli('login', 'nope', '--no-browser');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no server named "nope"/);
  });

  it('a login the authorization server cannot take says why, not that the API token is wrong', async () => {
    const out = await cli('login', 'no-pkce', '--no-browser');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /server "no-pkce": the authorization server http:\/\/127\.0\.0\.1:\d+ does not offer PKCE/,
    );
    expect(out.stderr).not.toMatch(/API token/);
  });

  // Last: it stops the gateway.
  it('a login whose gateway stops while it waits for the browser says so at once (it waited 5 min)', async () => {
    const { code, stderr } = await startLogin('ignore');
    const pid = serve!.pid;
    expect((await cli('stop')).code).toBe(0);
    serve = undefined;
    const started = Date.now();
    expect(await code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stderr()).toContain(
      `switchboard: the gateway (pid ${pid}) stopped while waiting for the browser: this login cannot complete. ` +
        'Start Switchboard again ("switchboard serve", or the app), then run switchboard login remote again\n',
    );
  }, 30_000);
});

/**
 * A remote server that asks for a token (401 with a Bearer challenge) and names an authorization
 * server whose metadata offers no PKCE (code_challenge_methods_supported left out).
 */
async function startNoPkceServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/oauth-protected-resource/mcp')
      return json({ resource: `${base}/mcp`, authorization_servers: [base] });
    if (req.url === '/.well-known/oauth-authorization-server')
      return json({
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        response_types_supported: ['code'],
      });
    const challenge = `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`;
    res.writeHead(401, { 'www-authenticate': challenge }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile() && (await stat(full)).size < 50_000_000) out.push(full);
  }
  return out;
}
