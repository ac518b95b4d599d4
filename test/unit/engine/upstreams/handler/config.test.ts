/** The handler server kind in the config file: shape, defaults, detection, errors, references, diff. */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configJsonSchema,
  diffConfigs,
  findReferences,
  parseConfigText,
  parseHandlerAddress,
  resolveServerReferences,
  type ConfigInput,
} from '../../../../../main/engine/config/index.ts';
import { createMemorySecretStore } from '../../../../../main/engine/index.ts';

const FILE = '/home/me/.config/switchboard/config.json';
const load = (input: unknown) => parseConfigText(JSON.stringify(input), FILE).config;

function errorFor(text: string): string[] {
  try {
    parseConfigText(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n');
  }
  throw new Error('expected the config to be rejected');
}

const COMMON = {
  disabled: false,
  tools: { allow: [], deny: [], aliases: {} },
  prompts: { allow: [], deny: [], aliases: {} },
  startupTimeoutMs: 30_000,
};

describe('handler entries', () => {
  it('an http(s) URL is a handler over HTTP, with every default written out', () => {
    const config = load({
      mcpServers: { travel: { handler: 'http://127.0.0.1:8081/' } },
      timeouts: { requestMs: 90_000 },
    });
    expect(config.servers.travel).toEqual({
      kind: 'handler-http',
      name: 'travel',
      ...COMMON,
      handler: 'http://127.0.0.1:8081/',
      target: { url: 'http://127.0.0.1:8081/' },
      headers: {},
      insecure: false,
      pool: 16,
      discoverTtlMs: 0,
      // The contract's 30 s, not timeouts.requestMs.
      timeoutMs: 30_000,
      forwardHeaders: ['Accept-Language', 'User-Agent', 'traceparent', 'tracestate'],
      overridableHeaders: [],
      allowPrivateNetwork: false,
    });
    expect(config.profiles.default!.servers).toEqual(['travel']);
  });

  it('host:port is FastCGI over TCP, a path is FastCGI over a Unix socket', () => {
    const config = load({
      mcpServers: {
        php: {
          handler: '127.0.0.1:9000',
          entrypoint: '/srv/app/mcp.php',
          pool: 4,
          discoverTtlMs: 5000,
          timeoutMs: 10_000,
          headers: { 'X-App': 'travel' },
          tools: { deny: ['admin_*'] },
        },
        sock: { handler: '/run/php/php8.2-fpm.sock', entrypoint: '/srv/app/mcp.php', description: 'local fpm' },
        v6: { handler: '[::1]:9001', entrypoint: 'C:\\app\\mcp.php' },
      },
    });
    expect(config.servers.php).toEqual({
      kind: 'handler-fastcgi',
      name: 'php',
      ...COMMON,
      tools: { allow: [], deny: ['admin_*'], aliases: {} },
      handler: '127.0.0.1:9000',
      target: { host: '127.0.0.1', port: 9000 },
      entrypoint: '/srv/app/mcp.php',
      headers: { 'X-App': 'travel' },
      pool: 4,
      discoverTtlMs: 5000,
      timeoutMs: 10_000,
      forwardHeaders: ['Accept-Language', 'User-Agent', 'traceparent', 'tracestate'],
      overridableHeaders: [],
    });
    expect(config.servers.sock).toMatchObject({
      kind: 'handler-fastcgi',
      target: { socketPath: '/run/php/php8.2-fpm.sock' },
      description: 'local fpm',
    });
    expect(config.servers.v6).toMatchObject({ kind: 'handler-fastcgi', target: { host: '::1', port: 9001 } });
  });

  it('"kind" can force HTTP on host:port or a socket path', () => {
    const config = load({
      mcpServers: {
        a: { handler: 'localhost:8080', kind: 'handler-http' },
        b: { handler: '/tmp/app.sock', kind: 'handler-http', insecure: true },
        c: { handler: 'https://x.test/mcp', kind: 'handler-http' },
      },
    });
    expect(config.servers.a).toMatchObject({ kind: 'handler-http', target: { url: 'http://localhost:8080/' } });
    expect(config.servers.b).toMatchObject({
      kind: 'handler-http',
      target: { url: 'http://localhost/', socketPath: '/tmp/app.sock' },
      insecure: true,
    });
    expect(config.servers.c).toMatchObject({ kind: 'handler-http', target: { url: 'https://x.test/mcp' } });
  });

  it('address detection, directly', () => {
    expect(parseHandlerAddress('HTTPS://Example.test:8443/x?y=1')).toEqual({
      kind: 'handler-http',
      target: { url: 'https://example.test:8443/x?y=1' },
    });
    expect(parseHandlerAddress('php:9000')).toEqual({ kind: 'handler-fastcgi', target: { host: 'php', port: 9000 } });
    expect(parseHandlerAddress('127.0.0.1:70000')).toHaveProperty('error');
    expect(parseHandlerAddress('fastcgi://127.0.0.1:9000')).toEqual({
      error: expect.stringMatching(/^unsupported scheme in "fastcgi:\/\/127\.0\.0\.1:9000": expected an http/),
    });
    expect(parseHandlerAddress('http://x.test/', 'handler-fastcgi')).toEqual({
      error:
        '"kind": "handler-fastcgi" needs host:port or a Unix socket path, not a URL (a URL means a handler over HTTP)',
    });
  });
});

describe('handler entries that are wrong', () => {
  it('shape errors: bad values and keys, where they are', () => {
    const text = `{
  "mcpServers": {
    "d": { "handler": "/run/fpm.sock", "entrypoint": "relative.php" },
    "f": { "handler": "http://x.test/", "pool": 0, "discoverTtlMs": -1 },
    "g": { "handler": "http://x.test/", "type": "http" },
    "h": { "handler": "http://x.test/", "kind": "fastcgi" }
  }
}`;
    expect(errorFor(text)).toEqual([
      `${FILE}:3:54: mcpServers.d.entrypoint: expected an absolute path`,
      `${FILE}:4:49: mcpServers.f.pool: expected a number of at least 1`,
      `${FILE}:4:69: mcpServers.f.discoverTtlMs: expected a number of at least 0`,
      `${FILE}:5:41: mcpServers.g.type: "type" is for "command" and "url" entries; a handler's kind is ` +
        `detected from "handler", or set with "kind": "handler-http" or "handler-fastcgi"`,
      `${FILE}:6:49: mcpServers.h.kind: expected "handler-http" or "handler-fastcgi" (or leave "kind" out to ` +
        `detect it from "handler")`,
    ]);
  });

  it('rules across keys: address, kind, entrypoint, insecure, reserved headers', () => {
    const text = `{
  "mcpServers": {
    "a": { "handler": "ftp://files.example" },
    "b": { "handler": "127.0.0.1:9000" },
    "c": { "handler": "http://x.test/", "entrypoint": "/srv/a.php" },
    "d": { "handler": "/run/fpm.sock", "entrypoint": "/srv/a.php", "insecure": true },
    "e": { "handler": "http://x.test/", "kind": "handler-fastcgi" },
    "f": { "handler": "http://x.test/", "headers": { "Content-Type": "text/plain", "X-Ok": "1" } }
  }
}`;
    expect(errorFor(text)).toEqual([
      `${FILE}:3:23: mcpServers.a.handler: unsupported scheme in "ftp://files.example": expected an http:// ` +
        (`or https:// URL (a handler over HTTP), host:port (FastCGI over TCP, e.g. "127.0.0.1:9000") or an ` +
          `absolute Unix socket path (FastCGI, e.g. "/run/php/php8.2-fpm.sock")`),
      `${FILE}:4:23: mcpServers.b.handler: a FastCGI handler needs "entrypoint": the absolute path of the ` +
        `script the FastCGI server runs (SCRIPT_FILENAME), e.g. "/srv/app/mcp.php"`,
      `${FILE}:5:55: mcpServers.c.entrypoint: "entrypoint" applies only to FastCGI handlers (an HTTP handler ` +
        `is its URL)`,
      `${FILE}:6:80: mcpServers.d.insecure: "insecure" turns off HTTPS certificate checks; a FastCGI handler ` +
        `has no HTTPS`,
      `${FILE}:7:23: mcpServers.e.handler: "kind": "handler-fastcgi" needs host:port or a Unix socket path, ` +
        `not a URL (a URL means a handler over HTTP)`,
      `${FILE}:8:54: mcpServers.f.headers.Content-Type: "Content-Type" is set by Switchboard on every ` +
        `handler request and cannot be configured`,
    ]);
  });

  it('says a port out of range, in a URL or host:port, rather than that the address is of no known kind', () => {
    const text = `{
  "mcpServers": {
    "a": { "handler": "http://127.0.0.1:99999/" },
    "b": { "handler": "127.0.0.1:70000", "entrypoint": "/srv/a.php" },
    "c": { "handler": "[::1]:0", "entrypoint": "/srv/a.php" }
  }
}`;
    expect(errorFor(text)).toEqual([
      `${FILE}:3:23: mcpServers.a.handler: port 99999 is out of range: a port is 1 to 65535`,
      `${FILE}:4:23: mcpServers.b.handler: port 70000 is out of range: a port is 1 to 65535`,
      `${FILE}:5:23: mcpServers.c.handler: port 0 is out of range: a port is 1 to 65535`,
    ]);
  });

  it('mixing kinds, and handler keys without "handler"', () => {
    expect(
      errorFor(
        '{"mcpServers": {\n"x": {"handler": "http://a.test/", "command": "node"},\n"y": {"entrypoint": ' +
          '"/srv/a.php", "pool": 2},\n"z": {"command": "node", "pool": 2}}}',
      ),
    ).toEqual([
      `${FILE}:2:1: mcpServers.x: has both "handler" and "command": an entry is a JSON handler (handler), a ` +
        `local program (command) or a remote MCP server (url), so split it`,
      `${FILE}:3:1: mcpServers.y: needs "handler": the address of the JSON handler (an http(s):// URL, ` +
        `host:port for FastCGI, or a Unix socket path)`,
      `${FILE}:4:26: mcpServers.z.pool: "pool" applies only to JSON handlers (entries with "handler")`,
    ]);
  });

  it('headers on a stdio server point at the kinds that have them', () => {
    expect(errorFor('{"mcpServers": {"z": {"command": "node", "headers": {}}}}')).toEqual([
      `${FILE}:1:42: mcpServers.z.headers: "headers" applies only to remote servers and handlers (entries ` +
        `with "url" or "handler")`,
    ]);
  });
});

describe('references in handler headers', () => {
  it('allows ${env:} and ${secret:} in header values and resolves them at start', async () => {
    const config = load({
      mcpServers: {
        h: {
          handler: 'https://api.test/mcp',
          headers: { Authorization: 'Bearer ${secret:api-token}', 'X-Region': '${env:REGION}' },
        },
      },
    });
    expect(findReferences(config)).toEqual([
      { server: 'h', field: 'headers.Authorization', kind: 'secret', name: 'api-token' },
      { server: 'h', field: 'headers.X-Region', kind: 'env', name: 'REGION' },
    ]);
    const secrets = createMemorySecretStore({ 'api-token': 's3cret' });
    const resolved = await resolveServerReferences(config.servers.h!, { env: { REGION: 'eu' }, secrets });
    expect(resolved).toMatchObject({
      kind: 'handler-http',
      headers: { Authorization: 'Bearer s3cret', 'X-Region': 'eu' },
      target: { url: 'https://api.test/mcp' },
    });
    await expect(resolveServerReferences(config.servers.h!, { env: {}, secrets })).rejects.toThrow(
      'server "h": headers.X-Region refers to ${env:REGION}, which is not set',
    );
  });

  it('rejects a malformed reference when the file loads', () => {
    expect(
      errorFor('{"mcpServers": {"h": {"handler": "http://a.test/", "headers": {"X-A": "${TOKEN}"}}}}')[0],
    ).toContain('mcpServers.h.headers.X-A: "${TOKEN}" has no kind');
  });
});

describe('reloads and the JSON Schema', () => {
  const base: ConfigInput = {
    mcpServers: { php: { handler: '127.0.0.1:9000', entrypoint: '/srv/a.php' }, web: { handler: 'http://a.test/' } },
  };

  it('explicit defaults are no change; a changed handler entry restarts only that server', () => {
    const explicit: ConfigInput = {
      mcpServers: {
        php: { entrypoint: '/srv/a.php', handler: '127.0.0.1:9000', pool: 16, discoverTtlMs: 0, timeoutMs: 30_000 },
        web: { handler: 'http://a.test/', insecure: false },
      },
    };
    expect(diffConfigs(load(base), load(explicit))).toMatchObject({ changed: [], unchanged: ['php', 'web'] });
    const next: ConfigInput = {
      mcpServers: { php: { handler: '127.0.0.1:9000', entrypoint: '/srv/b.php' }, web: { handler: 'http://a.test/' } },
    };
    expect(diffConfigs(load(base), load(next))).toMatchObject({ changed: ['php'], unchanged: ['web'] });
    // timeouts.requestMs does not touch handlers (their default is the contract's 30 s).
    expect(diffConfigs(load(base), load({ ...base, timeouts: { requestMs: 5000 } }))).toMatchObject({
      changed: [],
      unchanged: ['php', 'web'],
    });
  });

  it('the editor schema knows the handler entry', () => {
    const schema = configJsonSchema() as {
      properties: {
        mcpServers: {
          additionalProperties: { anyOf: { required?: string[]; properties: Record<string, { default?: unknown }> }[] };
        };
      };
    };
    const handler = schema.properties.mcpServers.additionalProperties.anyOf.find((s) =>
      s.required?.includes('handler'),
    )!;
    expect(Object.keys(handler.properties)).toEqual(
      expect.arrayContaining([
        'handler',
        'kind',
        'entrypoint',
        'headers',
        'insecure',
        'pool',
        'discoverTtlMs',
        'timeoutMs',
        'tools',
        'prompts',
        'disabled',
        'description',
      ]),
    );
    expect(handler.properties.pool!.default).toBe(16);
    expect(handler.properties.insecure!.default).toBe(false);
  });
});
