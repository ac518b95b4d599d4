/**
 * A remote server over HTTPS whose certificate this computer does not accept, or that speaks no
 * TLS at all: the status says why in words a user can act on (not Node's advice about its own
 * command line, not a bare OpenSSL code), and names the code for a search. Real HTTPS servers on
 * 127.0.0.1 with the certificates in test/fixtures/tls (a test CA, a server certificate it
 * issued for 127.0.0.1, one it issued for another host name) and the handlers' self-signed one.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpUpstream } from '../../../main/engine/upstreams/mcp-http/http-upstream.ts';
import type { Upstream } from '../../../main/engine/upstreams/types.ts';
import { cliRun, ROOT, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { reach } from '../../helpers/upstream-state.ts';

const TLS = path.join(ROOT, 'test/fixtures/tls');
const pem = (dir: string, file: string) => readFileSync(path.join(dir, file));
const ISSUED = { cert: pem(TLS, 'localhost.pem'), key: pem(TLS, 'localhost-key.pem') };
const OTHER_HOST = { cert: pem(TLS, 'other-host.pem'), key: pem(TLS, 'other-host-key.pem') };
const HANDLERS = path.join(ROOT, 'test/fixtures/handlers');
const SELF_SIGNED = { cert: pem(HANDLERS, 'tls-cert.pem'), key: pem(HANDLERS, 'tls-key.pem') };

const servers: Server[] = [];
const upstreams: Upstream[] = [];
afterEach(async () => {
  for (const u of upstreams.splice(0)) await u.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** An HTTPS server with this certificate (or, without one, plain HTTP); its https:// address. */
async function listen(tls?: { cert: Buffer; key: Buffer }): Promise<string> {
  const answer = (_req: unknown, res: { end(text: string): void }) => res.end('not MCP');
  const server = tls ? createHttpsServer(tls, answer) : createHttpServer(answer);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

async function whyFailed(url: string): Promise<string> {
  const u = createHttpUpstream(
    { name: 'remote', url, headers: {}, transport: 'auto', timeoutMs: 5000, startupTimeoutMs: 5000 },
    {
      clientInfo: { name: 'switchboard-test', version: '0.0.0' },
      capabilities: {},
      backoff: { initialMs: 10, maxMs: 10, maxAttempts: 1, stableMs: 60_000 },
    },
  );
  upstreams.push(u);
  u.start();
  await reach(u, 'failed');
  return u.status().lastError ?? '';
}

describe('a remote server over HTTPS that cannot be trusted', () => {
  it('issued by a certificate authority this computer does not know', async () => {
    const url = await listen(ISSUED);
    const why = await whyFailed(url);
    expect(why).toBe(
      `cannot connect to ${url} (TLS: the server's certificate comes from a certificate authority this computer ` +
        'does not trust (or the server leaves out its intermediate certificate); UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
    expect(why).not.toMatch(/Node\.js|--use-system-ca|lost the connection/);
  });

  it('self-signed', async () => {
    const url = await listen(SELF_SIGNED);
    expect(await whyFailed(url)).toBe(
      `cannot connect to ${url} (TLS: the server's certificate is self-signed, and this computer does not trust it; ` +
        'DEPTH_ZERO_SELF_SIGNED_CERT)',
    );
  });

  it('an https:// address of a server that speaks plain HTTP', async () => {
    const url = await listen();
    expect(await whyFailed(url)).toBe(
      `cannot connect to ${url} (TLS: the server does not speak TLS on that port (is the address http://, not ` +
        'https://?); ERR_SSL_WRONG_VERSION_NUMBER)',
    );
  });

  it('a certificate for another host name, from an authority this computer trusts', async () => {
    const url = await listen(OTHER_HOST);
    const dir = await tempDir();
    try {
      const config = await writeConfig(dir.dir, { mcpServers: { remote: { url } } });
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS, 'ca.pem') };
      const { stdout } = await cliRun(env, 'list', '--json', '--config', config, '--timeout', '5000');
      const [server] = JSON.parse(stdout) as { lastError?: string }[];
      expect(server?.lastError).toMatch(
        new RegExp(
          `cannot connect to ${url.replace(/[.?]/g, '\\$&')} \\(TLS: the server's certificate is for another host ` +
            'name; ERR_TLS_CERT_ALTNAME_INVALID\\)$',
        ),
      );
    } finally {
      await dir.cleanup();
    }
  });

  it("issued by an authority the operating system trusts (a company's) is trusted, as by a browser", async () => {
    const url = await listen(ISSUED);
    const dir = await tempDir();
    try {
      const config = await writeConfig(dir.dir, { mcpServers: { remote: { url } } });
      // The system store on Linux is OpenSSL's, which SSL_CERT_FILE names; Node's bundled list is not it.
      const env = { ...process.env, SSL_CERT_FILE: path.join(TLS, 'ca.pem'), NODE_EXTRA_CA_CERTS: '' };
      const { stdout } = await cliRun(env, 'list', '--json', '--config', config, '--timeout', '5000');
      const [server] = JSON.parse(stdout) as { lastError?: string }[];
      // Connected and spoke HTTP: what is wrong now is the server's answer ("not MCP"), not its certificate.
      expect(server?.lastError).not.toMatch(/TLS|certificate/);
      expect(server?.lastError).toMatch(/not MCP|HTTP|JSON/);
    } finally {
      await dir.cleanup();
    }
  });
});
