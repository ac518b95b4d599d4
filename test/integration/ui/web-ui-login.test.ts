/**
 * The web UI in headless mode, over real sockets: the renderer's build served under /ui with a
 * strict CSP, the one-time login link traded for a session secret (never a cookie: browsers send
 * cookies to every port of 127.0.0.1), and that secret standing in for the API token on /api — and
 * for nothing else.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { cliRun, serveGateway, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

let dir: { dir: string; cleanup(): Promise<void> };
let gateway: Gateway;
let tokenGateway: Gateway;
let base: string;
const INDEX = '<!doctype html><title>Switchboard</title><script type="module" src="./assets/app.js"></script>';

beforeAll(async () => {
  dir = await tempDir('sb-ui-');
  // A stand-in build, so this test does not depend on npm run build having run.
  const ui = path.join(dir.dir, 'dist');
  await mkdir(path.join(ui, 'assets'), { recursive: true });
  await writeFile(path.join(ui, 'index.html'), INDEX);
  await writeFile(path.join(ui, 'assets', 'app.js'), 'console.log("ui")');
  await writeFile(path.join(dir.dir, 'secret.txt'), 'not for the web');
  const config = await writeConfig(dir.dir, { mcpServers: {} });
  gateway = await startGateway(config, { uiDir: ui });
  base = gateway.httpUrl()!.replace(/\/mcp$/, '');
  const withToken = await writeConfig(
    dir.dir,
    { mcpServers: {}, listen: { http: { token: 'listener-token-0123456789' } } },
    'token.json',
  );
  tokenGateway = await startGateway(withToken, { uiDir: ui });
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  await tokenGateway?.stop();
  await dir?.cleanup();
});

function codeOf(link: string): string {
  return /#login=([A-Za-z0-9_-]+)$/.exec(link)![1]!;
}

async function login(gw: Gateway): Promise<{ response: Response; session: string }> {
  const origin = gw.httpUrl()!.replace(/\/mcp$/, '');
  const response = await fetch(`${origin}/ui/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: codeOf(gw.uiLoginUrl()!) }),
  });
  const { session } = (await response.clone().json()) as { session: string };
  return { response, session };
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

describe('the web UI under /ui', () => {
  it('serves the build with a CSP that allows no inline script, and nothing outside it', async () => {
    const page = await fetch(`${base}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect((await fetch(`${base}/ui/assets/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    for (const escape of ['/ui/../secret.txt', '/ui/%2e%2e/secret.txt', '/ui/..%2fsecret.txt', '/ui/assets/x.exe'])
      expect((await fetch(`${base}${escape}`)).status, escape).toBe(404);
  });

  it('trades a login link once for a session secret that opens /api as a bearer token; no cookie', async () => {
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    const link = gateway.uiLoginUrl()!;
    expect(link).toMatch(new RegExp(`^${base}/ui/#login=[A-Za-z0-9_-]{20,}$`));
    const code = codeOf(link);
    const first = await fetch(`${base}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(first.headers.get('cache-control')).toBe('no-store');
    const { session } = (await first.json()) as { session: string };
    expect(session).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const status = await fetch(`${base}/api/status`, { headers: bearer(session) });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { version: string }).version).toBe('test');
    // The same link again: refused, saying what to do.
    const again = await fetch(`${base}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toMatch(/used already or has expired.*switchboard ui/);
    // A made-up session opens nothing, and neither does the secret sent as a cookie.
    expect((await fetch(`${base}/api/status`, { headers: bearer('guess') })).status).toBe(401);
    expect((await fetch(`${base}/api/status`, { headers: { cookie: `switchboard_ui=${session}` } })).status).toBe(401);
  });

  it('lets a logged-in page ask for a new login link (it continues at a new port with it)', async () => {
    const { session } = await login(gateway);
    const made = await fetch(`${base}/ui/login-link`, { method: 'POST', headers: bearer(session) });
    expect(made.status).toBe(200);
    expect(((await made.json()) as { url: string }).url).toMatch(/\/ui\/#login=/);
  });

  it("makes Log out end the logins a page's links opened too, and the links it has not used yet", async () => {
    const { session } = await login(gateway);
    const { session: unrelated } = await login(gateway);
    const linkFor = async (secret: string) =>
      codeOf(
        (
          (await (await fetch(`${base}/ui/login-link`, { method: 'POST', headers: bearer(secret) })).json()) as {
            url: string;
          }
        ).url,
      );
    const redeem = (code: string) =>
      fetch(`${base}/ui/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    // A copy of the secret makes a login of its own with it, and keeps a link for later.
    const opened = ((await (await redeem(await linkFor(session))).json()) as { session: string }).session;
    const kept = await linkFor(opened);
    expect((await fetch(`${base}/api/status`, { headers: bearer(opened) })).status).toBe(200);
    expect((await fetch(`${base}/ui/logout`, { method: 'POST', headers: bearer(session) })).status).toBe(204);
    const after = await fetch(`${base}/api/status`, { headers: bearer(opened) });
    expect(after.status, 'the login a link opened outlived Log out').toBe(401);
    expect((await redeem(kept)).status, 'a link kept from before Log out still logged in').toBe(401);
    expect((await fetch(`${base}/api/status`, { headers: bearer(unrelated) })).status).toBe(200);
  });

  it('keeps a session in use while more than 64 others are opened; the longest unused one goes', async () => {
    const { session: used } = await login(gateway);
    const { session: left } = await login(gateway);
    for (let i = 0; i < 70; i++) {
      await login(gateway);
      expect((await fetch(`${base}/api/status`, { headers: bearer(used) })).status, `after ${i + 1} more`).toBe(200);
    }
    expect((await fetch(`${base}/api/status`, { headers: bearer(left) })).status).toBe(401);
  });

  it('refuses the session from another origin, a login without a code, and one too large to be a code', async () => {
    const { session } = await login(gateway);
    const crossSite = await fetch(`${base}/api/status`, {
      headers: { ...bearer(session), origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const noCode = await fetch(`${base}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noCode.status).toBe(400);
    const form = await fetch(`${base}/ui/login`, { method: 'POST', body: 'code=x' });
    expect(form.status).toBe(415);
    const huge = await fetch(`${base}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toBe(
      '/ui/login takes a body of at most 4096 bytes: {"code": "..."}',
    );
  });

  it('gives a new login link only to a holder of the API token', async () => {
    expect((await fetch(`${base}/ui/login-link`, { method: 'POST' })).status).toBe(401);
    const made = await fetch(`${base}/ui/login-link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.apiToken()}` },
    });
    expect(made.status).toBe(200);
    expect(((await made.json()) as { url: string }).url).toMatch(/\/ui\/#login=/);
  });

  it('lets no path that resolves outside /ui skip the token (/ui/../mcp is /mcp)', async () => {
    const { port } = new URL(tokenGateway.httpUrl()!);
    const { session } = await login(tokenGateway);
    // Sent as written (fetch would tidy the dots away before they reach the gateway).
    const raw = (pathname: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: pathname,
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}');
      });
    for (const sneaky of ['/ui/../mcp', '/ui/%2e%2e/mcp', '/ui/./../sse', '/ui/../messages'])
      expect(await raw(sneaky), sneaky).toBe(401);
    // Nor does the UI's session open MCP by way of /api.
    expect(await raw('/api/../mcp', bearer(session))).toBe(401);
  });

  it("with listen.http.token: the UI and its session work, MCP still needs the listener's token", async () => {
    const origin = tokenGateway.httpUrl()!.replace(/\/mcp$/, '');
    expect((await fetch(`${origin}/ui/`)).status).toBe(200);
    const mcp = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(mcp.status).toBe(401);
    const { response, session } = await login(tokenGateway);
    expect(response.status).toBe(200);
    expect((await fetch(`${origin}/api/status`, { headers: bearer(session) })).status).toBe(200);
    // The session is for the UI and its API, not for MCP.
    const mcpWithSession = await fetch(`${origin}/mcp`, {
      method: 'POST',
      headers: {
        ...bearer(session),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(mcpWithSession.status).toBe(401);
    // And the listener's token, which MCP clients hold, does not open the control API.
    expect((await fetch(`${origin}/api/status`, { headers: bearer('listener-token-0123456789') })).status).toBe(401);
    expect((await fetch(`${origin}/api/status`, { headers: bearer(tokenGateway.apiToken()!) })).status).toBe(200);
  });
});

describe('changing the API token: the file, then a restart', () => {
  it('says what happened to the file when it was removed or changed after the gateway started', async () => {
    const home = await tempDir('sb-ui-token-');
    const run = path.join(home.dir, 'run');
    const env = {
      ...process.env,
      SWITCHBOARD_CONFIG: await writeConfig(home.dir, { mcpServers: {} }),
      SWITCHBOARD_RUNTIME_DIR: run,
      SWITCHBOARD_STATE_DIR: path.join(home.dir, 'state'),
    };
    let served = await serveGateway(env);
    try {
      expect((await cliRun(env, 'ui')).code).toBe(0);
      const file = path.join(run, 'api-token');
      await rm(file);
      const removed = await cliRun(env, 'ui');
      expect(removed.code).toBe(1);
      expect(removed.stderr).toContain('or its api-token file was removed after it started (restart the gateway');
      // A new token put there by hand: the gateway took its token from the file when it started.
      const mine = 'ab'.repeat(32);
      await writeFile(file, `${mine}\n`, { mode: 0o600 });
      const changed = await cliRun(env, 'ui');
      expect(changed.code).toBe(1);
      expect(changed.stderr).toContain(`the API token in ${file} is not the running gateway's`);
      const traffic = await cliRun(env, 'traffic');
      expect(traffic.stderr).toContain(`the API token in ${file} is not the running gateway's`);
      // Restarted, the gateway takes the file's token.
      served.child.kill('SIGTERM');
      await new Promise((resolve) => served.child.once('exit', resolve));
      served = await serveGateway(env);
      const url = new URL(served.url);
      expect((await fetch(`${url.origin}/api/status`, { headers: bearer(mine) })).status).toBe(200);
      expect((await cliRun(env, 'ui')).code).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
      await home.cleanup();
    }
  }, 60_000);
});
