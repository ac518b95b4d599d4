/**
 * The OAuth fixture (test/fixtures/servers/oauth-server.ts) as a child process, and a browser
 * played by fetch: it opens an authorization URL and follows the authorization server's
 * redirect back to wherever it points (the gateway's loopback listener).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { NODE, ROOT } from './gateway.ts';

const FIXTURE = path.join(ROOT, 'test/fixtures/servers/oauth-server.ts');

export interface AuthServer {
  child: ChildProcess;
  /** http://127.0.0.1:PORT; the MCP server is at /mcp. */
  base: string;
  /** Token grants and registrations so far. */
  stats(): Promise<Record<string, number>>;
  /** expire: every access token stops working; revoke: every token, refresh tokens too. */
  control(action: 'expire' | 'revoke'): Promise<void>;
}

export async function startAuthServer(env: Record<string, string> = {}): Promise<AuthServer> {
  const child = spawn(NODE, [FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', () => reject(new Error('the OAuth fixture exited')));
  });
  const base = `http://127.0.0.1:${/^PORT (\d+)$/.exec(line)![1]}`;
  return {
    child,
    base,
    stats: async () => (await (await fetch(`${base}/test/stats`)).json()) as Record<string, number>,
    control: async (action) => {
      await (await fetch(`${base}/test/${action}`, { method: 'POST' })).text();
    },
  };
}

/** The browser's part of a login: the fixture approves at once and redirects back. */
export async function playBrowser(url: string): Promise<void> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (!location) throw new Error(`no redirect from the authorization endpoint (HTTP ${res.status})`);
  await (await fetch(location, { redirect: 'manual' })).text();
}
