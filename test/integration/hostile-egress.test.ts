/**
 * Remote URLs go only where the user meant (issue 10, item 8), with real sockets: a loopback
 * server that redirects to the cloud metadata address; addresses spelled in decimal, octal, hex
 * and IPv4-mapped IPv6; host names whose DNS answer is link-local, private, public over plain
 * http, or loopback; and the `allowPrivateNetwork` opt-in against a server on this machine's own
 * private address (skipped where the machine has none).
 *
 * DNS answers come from the gateway's `dnsLookup` option: it replaces only the resolver, inside
 * the same connector that checks what it returns, so these tests exercise the production path
 * (there is no writable /etc/hosts here, and no real name resolves to these addresses offline).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress } from '../../main/engine/egress/policy.ts';
import { createHttpUpstream } from '../../main/engine/upstreams/mcp-http/http-upstream.ts';
import { parseConfigText, type Gateway } from '../../main/engine/index.ts';
import { startHttpRecorder, type HttpRecorder } from '../fixtures/servers/http-recorder.ts';
import { startGateway, TEST_BACKOFF, tempDir, waitFor, writeConfig } from '../helpers/gateway.ts';

/** This machine's own private (not loopback, not link-local) address, if it has one. */
const PRIVATE_ADDRESS = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && !a.internal && classifyAddress(a.address) === 'private')?.address;

/** What a hostile (or just surprising) DNS server answers; other names go to the real resolver. */
function fakeDns(answers: Record<string, string>): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const address = answers[hostname];
    if (address === undefined) return dnsLookup(hostname, options, callback as never);
    const answer: LookupAddress = { address, family: address.includes(':') ? 6 : 4 };
    if (options.all) callback(null, [answer]);
    else callback(null, answer.address, answer.family);
  }) as LookupFunction;
}

/** Redirects every request to where `location` says. */
async function startRedirector(location: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(307, { location }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` };
}

/**
 * A remote server that wants an OAuth login, and names `home` for it: as the address of its
 * metadata in its 401 (`via: 'challenge'`), or as its authorization server in the metadata it serves.
 */
async function startOAuthLure(via: 'challenge' | 'metadata', home: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    const own = `http://${req.headers.host}`;
    if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
      const metadata = { resource: `${own}/mcp`, authorization_servers: [home] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
      return;
    }
    const metadata = via === 'challenge' ? home : own;
    res
      .writeHead(401, {
        'www-authenticate': `Bearer resource_metadata="${metadata}/.well-known/oauth-protected-resource/mcp"`,
      })
      .end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A JSON handler (discover + one tool) listening on `host`. */
async function startHandler(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const envelope = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { type?: string };
      const reply = envelope.type === 'discover' ? { tools: [{ name: 'go' }] } : { content: [] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const close = (server?: Server) => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));

describe('egress: where configured remote URLs may connect', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let recorder: HttpRecorder;
  let redirector: Awaited<ReturnType<typeof startRedirector>>;
  /** Stands for a service on this machine that a remote server tries to send the gateway to. */
  let home: HttpRecorder;
  let homeward: Awaited<ReturnType<typeof startRedirector>>;
  let handler: Awaited<ReturnType<typeof startHandler>>;
  let lures: Awaited<ReturnType<typeof startOAuthLure>>[] = [];
  let privateRecorder: HttpRecorder | undefined;
  let privateHandler: Awaited<ReturnType<typeof startHandler>> | undefined;
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir();
    recorder = await startHttpRecorder();
    redirector = await startRedirector('http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    home = await startHttpRecorder();
    homeward = await startRedirector(home.url);
    handler = await startHandler('127.0.0.1');
    const homeOrigin = new URL(home.url).origin;
    lures = [await startOAuthLure('challenge', homeOrigin), await startOAuthLure('metadata', homeOrigin)];
    if (PRIVATE_ADDRESS) {
      privateRecorder = await startHttpRecorder(PRIVATE_ADDRESS);
      privateHandler = await startHandler(PRIVATE_ADDRESS);
    }
    const port = new URL(recorder.url).port;
    const privatePort = privateRecorder ? new URL(privateRecorder.url).port : '1';
    const privateHandlerPort = privateHandler?.port ?? 1;
    const servers: Record<string, unknown> = {
      redirected: { url: redirector.url },
      // A "remote" server (its name is not this machine's) that redirects to a service on this one.
      'redirect-home': { url: `http://remote.attacker.test:${new URL(homeward.url).port}/mcp` },
      // Remote servers whose OAuth metadata sends the gateway to a service on this machine.
      'oauth-challenge-home': { url: `http://remote.attacker.test:${lures[0]!.port}/mcp` },
      'oauth-metadata-home': { url: `http://remote.attacker.test:${lures[1]!.port}/mcp` },
      decimal: { url: `http://2130706433:${port}/mcp` },
      hex: { url: `http://0x7f.0.0.1:${port}/mcp` },
      'dns-loopback': { url: `http://dev.attacker.test:${port}/mcp` },
      'dns-metadata': { url: `http://metadata.attacker.test:${port}/mcp`, allowPrivateNetwork: true },
      'dns-private': { url: `http://intranet.attacker.test:${port}/mcp` },
      'dns-public-http': { url: `http://public.attacker.test:${port}/mcp` },
      'handler-private': { handler: `http://db.attacker.test:${handler.port}/` },
      'handler-link-local': { handler: `http://fe80.attacker.test:${handler.port}/`, allowPrivateNetwork: true },
      'handler-loopback': { handler: `http://localhost:${handler.port}/` },
      'private-refused': { url: `http://private.attacker.test:${privatePort}/mcp` },
      'private-allowed': { url: `http://private.attacker.test:${privatePort}/mcp`, allowPrivateNetwork: true },
      'handler-private-allowed': {
        handler: `http://private.attacker.test:${privateHandlerPort}/`,
        allowPrivateNetwork: true,
      },
    };
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: servers }), {
      dnsLookup: fakeDns({
        'dev.attacker.test': '127.0.0.1',
        'remote.attacker.test': '127.0.0.1',
        'metadata.attacker.test': '169.254.169.254',
        'intranet.attacker.test': '10.1.2.3',
        'public.attacker.test': '203.0.113.7',
        'db.attacker.test': '192.168.0.10',
        'fe80.attacker.test': 'fe80::1',
        'private.attacker.test': PRIVATE_ADDRESS ?? '10.9.9.9',
      }),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all([
      recorder?.close(),
      privateRecorder?.close(),
      close(redirector?.server),
      close(homeward?.server),
      ...lures.map((l) => close(l.server)),
      home?.close(),
      close(handler?.server),
      close(privateHandler?.server),
      dir?.cleanup(),
    ]);
  });

  const lastError = (name: string) =>
    waitFor(() => gateway.servers().find((s) => s.name === name && s.lastError)?.lastError, 10_000, `${name} to fail`);
  const ready = (name: string) =>
    waitFor(() => gateway.servers().find((s) => s.name === name && s.state === 'ready'), 10_000, `${name} ready`);

  it('does not follow a remote server that redirects to a service on this machine', async () => {
    await lastError('redirect-home');
    expect(home.requests).toEqual([]);
  });

  it("does not go to a service on this machine that a remote server's OAuth metadata names", async () => {
    for (const name of ['oauth-challenge-home', 'oauth-metadata-home']) {
      const auth = () => gateway.servers().find((s) => s.name === name)?.auth;
      await waitFor(() => auth()?.state === 'needs-login', 10_000, `${name} to need a login`);
      await gateway.api.loginServer(name).catch((err: unknown) => err);
      await waitFor(() => auth()?.loginFailed, 10_000, `${name}'s login to fail`);
    }
    expect(home.requests).toEqual([]);
    // Where the metadata led, and why not, in the login's failure.
    const failed = gateway.servers().find((s) => s.name === 'oauth-metadata-home')!.auth!.loginFailed;
    expect(failed).toMatch(/refused to connect to http:\/\/127\.0\.0\.1:\d+\/\S*: 127\.0\.0\.1 is this machine, where/);
    expect(failed).toContain('where a server on another host may not send the gateway');
  });

  it('refuses a redirect from loopback to the cloud metadata address', async () => {
    expect(await lastError('redirected')).toMatch(
      /refused to connect to .*169\.254\.169\.254 is a cloud metadata address, where a server's credentials/,
    );
  });

  it('judges addresses, not spellings: decimal and hex loopback work', async () => {
    await ready('decimal');
    await ready('hex');
  });

  it('judges the DNS answer that is dialled', async () => {
    await ready('dns-loopback');
    expect(await lastError('dns-metadata')).toMatch(
      /metadata\.attacker\.test \(169\.254\.169\.254\) is a cloud metadata address.*never allowed/,
    );
    expect(await lastError('dns-private')).toMatch(
      /intranet\.attacker\.test \(10\.1\.2\.3\) is a private network address; set "allowPrivateNetwork": true/,
    );
    expect(await lastError('dns-public-http')).toMatch(
      /plain http:\/\/ to public\.attacker\.test \(203\.0\.113\.7\) sends every request .* unencrypted; use https:\/\//,
    );
  });

  it('applies to JSON handlers over HTTP too', async () => {
    await ready('handler-loopback');
    expect(await lastError('handler-private')).toMatch(
      /refused to connect to http:\/\/db\.attacker\.test:\d+\/: db\.attacker\.test \(192\.168\.0\.10\) is a private/,
    );
    expect(await lastError('handler-link-local')).toMatch(/\(fe80::1\) is a link-local address.*never allowed/);
  });

  it.skipIf(!PRIVATE_ADDRESS)('a private address works only for an entry that opts in', async () => {
    expect(await lastError('private-refused')).toMatch(/is a private network address/);
    await ready('private-allowed');
    await ready('handler-private-allowed');
  });

  it('refuses literal link-local, metadata and private addresses in any spelling when the config loads', () => {
    const errors = (servers: Record<string, unknown>): string => {
      try {
        parseConfigText(JSON.stringify({ mcpServers: servers }), '/tmp/config.json');
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const message = errors({
      octal: { url: 'http://0251.0376.0251.0376/latest/meta-data/' },
      mapped: { url: 'https://[::ffff:169.254.169.254]/' },
      decimal: { url: 'http://3232235777/mcp' },
      named: { handler: 'http://metadata.google.internal/computeMetadata/v1/', allowPrivateNetwork: true },
    });
    expect(message).toMatch(/octal\.url: Switchboard will not connect there: 169\.254\.169\.254 is a cloud metadata/);
    expect(message).toMatch(/mapped\.url: .*::ffff:a9fe:a9fe \(169\.254\.169\.254\) is a cloud metadata address/);
    expect(message).toMatch(/decimal\.url: .*192\.168\.1\.1 is a private network address; set "allowPrivateNetwork"/);
    expect(message).toMatch(/named\.handler: .*metadata\.google\.internal is a cloud metadata service/);
    expect(errors({ lan: { url: 'http://3232235777/mcp', allowPrivateNetwork: true } })).toBe('');
  });

  it('refuses at dial time what the config check cannot see (an upstream built without it)', async () => {
    const upstream = createHttpUpstream(
      {
        name: 'octal',
        url: 'http://0251.0376.0251.0376/mcp',
        headers: {},
        transport: 'auto',
        timeoutMs: 5000,
        startupTimeoutMs: 5000,
      },
      { clientInfo: { name: 't', version: '1' }, capabilities: {}, backoff: TEST_BACKOFF },
    );
    upstream.start();
    try {
      await expect(upstream.whenReady(8000)).rejects.toThrow();
      expect(upstream.status().lastError).toMatch(/169\.254\.169\.254 is a cloud metadata address/);
    } finally {
      await upstream.stop();
    }
  });
});
