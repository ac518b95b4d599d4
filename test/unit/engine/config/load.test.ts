import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HTTP_LIMIT_DEFAULTS } from '../../../../main/engine/downstream/http-limits.ts';
import {
  ConfigError,
  DEFAULTS,
  defaultConfigPath,
  emptyConfig,
  isConfigMissing,
  loadConfigFile,
  parseConfigText,
} from '../../../../main/engine/config/index.ts';

const FILE = '/home/me/.config/switchboard/config.json';

/** The message a user sees for invalid text; fails the test if the text is valid. */
function errorFor(text: string): ConfigError {
  try {
    parseConfigText(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

const lines = (err: ConfigError) => err.message.split('\n');

describe('parseConfigText: accepted configs', () => {
  it('loads a Claude Desktop config pasted as is', () => {
    const text = JSON.stringify({
      mcpServers: {
        filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'] },
        github: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-github'],
          env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${secret:github}' },
        },
      },
    });
    const { config, path, hash } = parseConfigText(text, FILE);
    expect(path).toBe(FILE);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(config.servers.filesystem).toEqual({
      kind: 'stdio',
      name: 'filesystem',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'],
      env: {},
      isolated: false,
      protocol: 'auto',
      installTimeoutMs: DEFAULTS.installMs,
      disabled: false,
      tools: { allow: [], deny: [], aliases: {} },
      prompts: { allow: [], deny: [], aliases: {} },
      timeoutMs: DEFAULTS.requestMs,
      startupTimeoutMs: DEFAULTS.startupMs,
    });
    expect(config.servers.github).toMatchObject({
      kind: 'stdio',
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${secret:github}' },
    });
    expect(config.profiles.default).toEqual({ name: 'default', servers: ['filesystem', 'github'], implicit: true });
    expect(config.listen).toEqual({
      http: { host: '127.0.0.1', port: 8787, allowedOrigins: [], limits: HTTP_LIMIT_DEFAULTS },
      socket: true,
    });
    expect(config.namespaceSeparator).toBe('__');
    expect(config.limits).toEqual({
      maxRequestBytes: 8 * 1024 * 1024,
      maxResponseBytes: 32 * 1024 * 1024,
      maxSessionBufferBytes: 8 * 1024 * 1024,
      maxRequestsInFlight: 1000,
      maxIsolatedProcesses: 100,
    });
  });

  it('accepts Cursor / VS Code / Cline style entries: type, remote url + headers, autoApprove', () => {
    const { config } = parseConfigText(
      JSON.stringify({
        mcpServers: {
          local: { type: 'stdio', command: 'uvx', args: ['mcp-server-git'], disabled: false, autoApprove: [] },
          remote: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${secret:example}' } },
          legacy: { type: 'sse', url: 'http://localhost:3001/sse' },
          streamable: { type: 'streamable-http', url: 'https://x.example/mcp' },
          vscode: { type: 'http', url: 'https://y.example/mcp' },
          forced: { url: 'https://z.example/mcp', transport: 'sse', timeoutMs: 5000 },
        },
      }),
      FILE,
    );
    expect(config.servers.local).toMatchObject({ kind: 'stdio', command: 'uvx' });
    expect(config.servers.remote).toMatchObject({
      kind: 'http',
      url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer ${secret:example}' },
      transport: 'auto',
    });
    expect(config.servers.legacy).toMatchObject({ kind: 'http', transport: 'sse' });
    expect(config.servers.streamable).toMatchObject({ kind: 'http', transport: 'streamable-http' });
    expect(config.servers.vscode).toMatchObject({ kind: 'http', transport: 'auto' });
    expect(config.servers.forced).toMatchObject({
      transport: 'sse',
      timeoutMs: 5000,
      startupTimeoutMs: DEFAULTS.startupMs,
    });
  });

  it('allows comments, trailing commas, a BOM and the $schema key', () => {
    const text = `\uFEFF{
      // my servers
      "$schema": "./switchboard.schema.json",
      "mcpServers": {
        /* the memory server */
        "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory",], },
      },
    }`;
    expect(parseConfigText(text, FILE).config.servers.memory).toMatchObject({
      kind: 'stdio',
      args: ['-y', '@modelcontextprotocol/server-memory'],
    });
  });

  it('treats an empty file (or only comments) as an empty config', () => {
    expect(parseConfigText('', FILE).config).toEqual(emptyConfig());
    expect(parseConfigText('// nothing yet\n', FILE).config).toEqual(emptyConfig());
  });

  it('applies Switchboard settings and falls back to global timeouts', () => {
    const { config } = parseConfigText(
      JSON.stringify({
        mcpServers: {
          a: {
            command: 'a',
            isolated: true,
            cwd: '/srv/a',
            tools: { allow: ['read_*'], deny: ['read_secret'], aliases: { read_file: 'cat' } },
          },
          b: { command: 'b', disabled: true, startupTimeoutMs: 1000 },
        },
        profiles: { work: { servers: ['a', 'b'], description: 'work stuff' } },
        listen: { http: { port: 0, allowedOrigins: ['http://localhost:5173'] }, socket: false },
        namespaceSeparator: '-',
        timeouts: { requestMs: 1234 },
        limits: { maxRequestBytes: 1024 },
      }),
      FILE,
    );
    expect(config.servers.a).toMatchObject({
      isolated: true,
      cwd: '/srv/a',
      tools: { allow: ['read_*'], deny: ['read_secret'], aliases: { read_file: 'cat' } },
      timeoutMs: 1234,
      startupTimeoutMs: DEFAULTS.startupMs,
    });
    expect(config.servers.b).toMatchObject({ disabled: true, timeoutMs: 1234, startupTimeoutMs: 1000 });
    expect(config.profiles).toEqual({
      default: { name: 'default', servers: ['a'], implicit: true },
      work: { name: 'work', servers: ['a', 'b'], description: 'work stuff', implicit: false },
    });
    expect(config.listen).toEqual({
      http: { host: '127.0.0.1', port: 0, allowedOrigins: ['http://localhost:5173'], limits: HTTP_LIMIT_DEFAULTS },
      socket: false,
    });
    expect(config.timeouts).toEqual({
      requestMs: 1234,
      maxRequestMs: DEFAULTS.maxRequestMs,
      startupMs: DEFAULTS.startupMs,
      installMs: DEFAULTS.installMs,
    });
    expect(config.limits).toEqual({
      maxRequestBytes: 1024,
      maxResponseBytes: DEFAULTS.maxResponseBytes,
      maxSessionBufferBytes: DEFAULTS.maxSessionBufferBytes,
      maxRequestsInFlight: DEFAULTS.maxRequestsInFlight,
      maxIsolatedProcesses: DEFAULTS.maxIsolatedProcesses,
    });
  });

  it('can turn the HTTP listener off, or expose it with a token', () => {
    expect(parseConfigText('{"listen": {"http": false}}', FILE).config.listen.http).toBe(false);
    const token = 'x'.repeat(32);
    expect(
      parseConfigText(JSON.stringify({ listen: { http: { host: '0.0.0.0', token } } }), FILE).config.listen.http,
    ).toEqual({
      host: '0.0.0.0',
      port: 8787,
      token,
      allowedOrigins: [],
      limits: HTTP_LIMIT_DEFAULTS,
    });
    const limits = { requestTimeoutMs: 2000, headersTimeoutMs: 3000, maxConnections: 10, maxPendingConnections: 20 };
    const bad = () => parseConfigText(JSON.stringify({ listen: { http: { limits } } }), FILE);
    expect(bad).toThrow(/headersTimeoutMs \(3000\) is longer than requestTimeoutMs \(2000\)/);
    expect(bad).toThrow(/maxPendingConnections \(20\) is above maxConnections \(10\)/);
    for (const host of ['localhost', '127.0.0.2', '::1', '[::1]']) {
      expect(parseConfigText(JSON.stringify({ listen: { http: { host } } }), FILE).config.listen.http).toMatchObject({
        host,
      });
    }
  });

  it('refuses an allowed origin no browser sends: a wildcard, a path, no scheme; each says what to write', () => {
    const origin = (value: string) =>
      lines(errorFor(JSON.stringify({ listen: { http: { allowedOrigins: [value] } } })))[0]!.replace(/^.*?: /, '');
    // A wildcard was taken, and matched nothing: browsers send the page's own origin, never a pattern.
    expect(origin('https://*.example.com')).toBe(
      'listen.http.allowedOrigins[0]: "https://*.example.com" is a pattern, and an Origin is matched exactly: ' +
        'list each origin (such as "https://app.example.com")',
    );
    expect(origin('*')).toBe(
      'listen.http.allowedOrigins[0]: "*" is a pattern, and an Origin is matched exactly: ' +
        'list each origin (such as "https://app.example.com")',
    );
    expect(origin('https://app.example/')).toBe(
      'listen.http.allowedOrigins[0]: expected an origin such as "http://localhost:5173" (scheme, host and port; ' +
        'no path): "https://app.example"',
    );
    expect(origin('app.example')).toBe(
      'listen.http.allowedOrigins[0]: expected an origin such as "http://localhost:5173" (scheme, host and port; ' +
        'no path)',
    );
  });

  it('lets a listed "default" profile replace the implicit one', () => {
    const { config } = parseConfigText(
      '{"mcpServers": {"a": {"command": "a"}, "b": {"command": "b"}}, "profiles": {"default": {"servers": ["b"]}}}',
      FILE,
    );
    expect(config.profiles.default).toEqual({ name: 'default', servers: ['b'], implicit: false });
  });
});

describe('parseConfigText: errors a user sees', () => {
  it('reports a syntax error with file, line, column and where it happened', () => {
    const err = errorFor('{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": { "command": "y" }\n  }\n}');
    expect(err.code).toBe('config_invalid');
    expect(err.message).toBe(`${FILE}:4:5: mcpServers.b: syntax error: expected ","`);
    expect(err.issues).toEqual([
      { file: FILE, line: 4, column: 5, path: 'mcpServers.b', message: 'syntax error: expected ","' },
    ]);
  });

  it('reports only the first syntax error, with a hint for quotes and line breaks', () => {
    const single = errorFor("{\n  'mcpServers': {}\n}");
    expect(single.message).toBe(
      `${FILE}:2:3: syntax error: unexpected character (JSON takes double quotes: "name", not 'name')`,
    );
    expect(errorFor('{\n  mcpServers: {}\n}').message).toBe(
      `${FILE}:2:3: syntax error: unexpected character (property names and text values take double quotes)`,
    );
    // Every later line followed from the first: five lines, three alike, paths made of the text.
    const open = errorFor('{\n  "mcpServers": {\n    "a": { "command": "node", "args": ["x",\n  }\n}\n');
    expect(open.issues).toHaveLength(1);
    const newline = errorFor('{ "mcpServers": { "a": { "command": "node", "env": { "A": "x\n" } } } }');
    expect(newline.message).toBe(
      `${FILE}:1:59: mcpServers.a.env.A: syntax error: unterminated string (a string ends on its own line: ` +
        'write a line break as \\n)',
    );
  });

  it('reports a bad value at the value, with its JSON path', () => {
    const err = errorFor('{\n  "mcpServers": {\n    "github": {\n      "command": ""\n    }\n  }\n}');
    expect(err.message).toBe(`${FILE}:4:18: mcpServers.github.command: expected a non-empty string`);
  });

  it('quotes a short value of the wrong type, never a long one (it may be a token typed in the wrong place)', () => {
    const token = 'ghp_R3alS3cretT0kenValue1234567890';
    const err = errorFor(
      JSON.stringify({ mcpServers: { gh: { command: 'npx', env: `GITHUB_TOKEN=${token}`, disabled: 'yes' } } }),
    );
    expect(err.message).not.toContain('ghp_');
    expect(err.message).toContain('mcpServers.gh.env: expected an object, got a string of 47 characters');
    expect(err.message).toContain('mcpServers.gh.disabled: expected true or false, got the string "yes"');
  });

  it('refuses a literal OAuth client secret, client credentials without one, headersToEnv on a shared server', () => {
    const err = errorFor(`{
  "mcpServers": {
    "a": { "url": "https://a.example/mcp", "oauth": { "clientId": "x", "clientSecret": "s3cr3t" } },
    "b": { "url": "https://b.example/mcp", "oauth": { "grant": "client_credentials" } },
    "c": { "command": "srv", "headersToEnv": { "X-User-Token": "USER_TOKEN" } },
    "d": { "command": "srv", "isolated": true, "headersToEnv": { "X-User-Token": "1BAD" } }
  }
}`);
    expect(lines(err)).toEqual([
      `${FILE}:3:88: mcpServers.a.oauth.clientSecret: must be a \${secret:NAME} reference: a client secret never ` +
        'goes in the file',
      `${FILE}:4:53: mcpServers.b.oauth: client_credentials needs "clientId" and "clientSecret"`,
      `${FILE}:5:46: mcpServers.c.headersToEnv: needs "isolated": true: a process shared by every client cannot ` +
        "hold one client's headers in its environment",
      `${FILE}:6:82: mcpServers.d.headersToEnv.X-User-Token: not a valid environment variable name`,
    ]);
  });

  it('lists every issue, one per line, in file order', () => {
    const err = errorFor(`{
  "mcpServers": {
    "fs": { "command": "npx", "args": ["-y", 3], "env": { "A": 1 } },
    "api": { "url": "ftp://example.com", "args": [] },
  },
  "namespaceSeparator": "::",
  "timeouts": { "requestMs": -1 },
}`);
    expect(lines(err)).toEqual([
      `${FILE}:3:46: mcpServers.fs.args[1]: expected a string, got the number 3`,
      `${FILE}:3:64: mcpServers.fs.env.A: expected a string, got the number 1`,
      `${FILE}:4:21: mcpServers.api.url: expected an http://, https://, ws:// or wss:// URL`,
      `${FILE}:4:42: mcpServers.api.args: "args" applies only to stdio servers (entries with "command")`,
      `${FILE}:6:25: namespaceSeparator: expected 1-4 characters from letters, digits, "_" and "-"`,
      `${FILE}:7:30: timeouts.requestMs: expected a number greater than 0`,
    ]);
    expect(err.issues).toHaveLength(6);
  });

  it('a time too long for a timer is one line, also past 2^53 (the whole-number bound was said as well)', () => {
    const err = errorFor('{"mcpServers": {"a": {"command": "node", "timeoutMs": 1e20}}}');
    expect(lines(err)).toEqual([
      `${FILE}:1:55: mcpServers.a.timeoutMs: at most 2147483647 ms (about 24 days), the longest a timer can wait`,
    ]);
  });

  it("says what is wrong with a remote server's URL: its port, a missing scheme, or the URL itself", () => {
    const err = errorFor(`{
  "mcpServers": {
    "a": { "url": "http://127.0.0.1:99999/mcp" },
    "b": { "url": "https://user:pw@mcp.example.com:0/mcp" },
    "c": { "url": "mcp.example.com/mcp" },
    "d": { "url": "http://mcp example.com/mcp" },
    "e": { "url": "https://mcp.example.com:8443/mcp?port=99999" },
    "f": { "url": "http://127.0.0.1:6000/mcp" },
    "g": { "url": "ws://127.0.0.1:6000/mcp" },
  },
}`);
    expect(lines(err)).toEqual([
      `${FILE}:3:19: mcpServers.a.url: port 99999 is out of range: a port is 1 to 65535`,
      `${FILE}:4:19: mcpServers.b.url: port 0 is out of range: a port is 1 to 65535`,
      `${FILE}:5:19: mcpServers.c.url: expected an http://, https://, ws:// or wss:// URL: it has no scheme ` +
        `(write https://… or http://…)`,
      `${FILE}:6:19: mcpServers.d.url: not a valid URL (a space or another character a URL cannot have, ` +
        `in its host or port?)`,
      // fetch refuses it ("bad port"); the server was reported as "lost the connection" at every start.
      `${FILE}:8:19: mcpServers.f.url: port 6000 is one that web requests never connect to (the Fetch standard's ` +
        `"bad ports", kept for mail, X11, IRC, SIP and other services that are not the web): serve the server on ` +
        `another port`,
    ]);
  });

  it('rejects unknown top-level keys, suggesting the intended one', () => {
    const err = errorFor('{\n  "mcpServer": {}\n}');
    expect(err.message).toBe(`${FILE}:2:3: mcpServer: unknown key "mcpServer" (did you mean "mcpServers"?)`);
  });

  it("names the server list's key to a config pasted from another client", () => {
    expect(errorFor('{"servers": {}}').message).toBe(
      `${FILE}:1:2: servers: "servers" is VS Code's name for the server list: Switchboard's is "mcpServers"`,
    );
    expect(errorFor('{"context_servers": {}}').message).toContain(`Zed's name for the server list`);
  });

  it('says what to do with the keys an entry pasted from Zed, VS Code or Gemini CLI brings along', () => {
    // Zed's settings.json entry, VS Code's mcp.json with its inputs, a Gemini CLI entry.
    const err = errorFor(
      '{"mcpServers": {\n' +
        '"zed": {"source": "custom", "enabled": true, "command": "npx", "settings": {}},\n' +
        '"code": {"type": "stdio", "command": "npx", "envFile": "/x/.env"},\n' +
        '"gem": {"command": "npx", "trust": true, "includeTools": ["a"], "excludeTools": ["b"]}},\n' +
        '"inputs": [{"type": "promptString", "id": "perplexity-key"}]}',
    );
    expect(lines(err)).toEqual([
      `${FILE}:2:9: mcpServers.zed.source: "source" is Zed's ("custom" for a server it starts): remove it`,
      `${FILE}:2:29: mcpServers.zed.enabled: "enabled" is not read here: a server runs unless its entry has ` +
        '"disabled": true; remove "enabled"',
      `${FILE}:2:64: mcpServers.zed.settings: "settings" is Zed's, for its extensions: remove it (a server's ` +
        'settings go in its "args" or "env")',
      `${FILE}:3:45: mcpServers.code.envFile: "envFile" (VS Code, Cursor) is not read here: put the variables in ` +
        '"env", and secrets as "${secret:NAME}" (stored with: switchboard secrets set NAME)',
      `${FILE}:4:27: mcpServers.gem.trust: "trust" (Gemini CLI) has no meaning here: remove it`,
      `${FILE}:4:42: mcpServers.gem.includeTools: "includeTools" (Gemini CLI) is written "tools": ` +
        '{"allow": [...]} here',
      `${FILE}:4:65: mcpServers.gem.excludeTools: "excludeTools" (Gemini CLI) is written "tools": {"deny": [...]} here`,
      `${FILE}:5:1: inputs: "inputs" is VS Code's list of values it asks you for; Switchboard keeps such values in ` +
        'the keychain: store each with "switchboard secrets set NAME", write "${secret:NAME}" where ' +
        '"${input:NAME}" was, and remove "inputs"',
    ]);
    // Once the shape is right, its references are checked.
    expect(
      errorFor('{"mcpServers": {"code": {"command": "npx", "env": {"K": "${input:perplexity-key}"}}}}').message,
    ).toBe(
      `${FILE}:1:57: mcpServers.code.env.K: "\${input:perplexity-key}" is VS Code's prompt for a value; Switchboard ` +
        'keeps it in the keychain: store it with "switchboard secrets set perplexity-key" and write ' +
        '"${secret:perplexity-key}"',
    );
  });

  it('says how to write "args" given as one string, and "env" or "headers" as a list of lines', () => {
    const err = errorFor(
      '{"mcpServers": {\n"a": {"command": "npx", "args": "-y pkg", "env": ["GITHUB_TOKEN=ghp_secret"]},\n' +
        '"b": {"url": "https://x.example/mcp", "headers": ["Authorization: Bearer abc"]}}}',
    );
    expect(lines(err)).toEqual([
      `${FILE}:2:33: mcpServers.a.args: expected an array of strings, one item per argument, e.g. ["-y", "pkg"]; ` +
        'got the string "-y pkg"',
      `${FILE}:2:50: mcpServers.a.env: expected an object of names and values, e.g. {"GITHUB_TOKEN": "…"}, not a ` +
        'list; got an array',
      `${FILE}:3:50: mcpServers.b.headers: expected an object of names and values, e.g. {"Authorization": "…"}, ` +
        'not a list; got an array',
    ]);
    // The values may be secrets: they are never quoted.
    expect(err.message).not.toMatch(/ghp_secret|abc/);
  });

  it('says how to write a command given in Zed\'s older {"path", "args"} form', () => {
    const err = errorFor('{"mcpServers": {"fs": {"command": {"path": "npx", "args": ["-y", "x"]}}}}');
    expect(err.message).toBe(
      `${FILE}:1:35: mcpServers.fs.command: is the program alone, not Zed's older {"path", "args"} form: ` +
        'write "command": "npx" with "args" beside it',
    );
  });

  it('suggests the key meant for a misspelt one, a swap of two letters included', () => {
    const err = errorFor('{"mcpServers": {\n"a": {"comand": "npx"},\n"b": {"command": "npx", "evn": {}}}}');
    expect(lines(err)).toEqual([
      `${FILE}:2:1: mcpServers.a: needs "command" (a local program to start) or "url" (a remote MCP server); ` +
        'did you mean "command" for "comand"?',
      `${FILE}:3:25: mcpServers.b.evn: unknown key "evn" (did you mean "env"?)`,
    ]);
  });

  it('says where a key one level too high goes ("listen": {"port": 8080})', () => {
    const err = errorFor('{"listen": {"port": 8080}}');
    expect(lines(err)).toEqual([
      `${FILE}:1:13: listen.port: unknown key "port": it goes inside "http" (listen.http.port)`,
    ]);
  });

  it('says so when an entry has both command and url, or neither', () => {
    const err = errorFor(
      '{"mcpServers": {\n"both": {"command": "x", "url": "https://x"},\n"none": {"args": []},\n"windsurf": ' +
        '{"serverUrl": "https://x"}}}',
    );
    expect(lines(err)).toEqual([
      `${FILE}:2:1: mcpServers.both: has both "command" and "url": an entry is either a local program ` +
        `(command) or a remote server (url), so split it into two entries`,
      `${FILE}:3:1: mcpServers.none: needs "command" (a local program to start) or "url" (a remote MCP server)`,
      `${FILE}:4:1: mcpServers.windsurf: needs "command" (a local program to start) or "url" (a remote MCP ` +
        `server); rename "serverUrl" to "url"`,
    ]);
  });

  it('rejects a type that does not fit the entry, and conflicting type/transport', () => {
    expect(errorFor('{"mcpServers": {"a": {"command": "x", "type": "http"}}}').message).toBe(
      `${FILE}:1:47: mcpServers.a.type: an entry with "command" is a stdio server: "type" may only be ` +
        `"stdio" (or left out)`,
    );
    expect(
      errorFor('{"mcpServers": {"a": {"url": "https://x", "type": "sse", "transport": "streamable-http"}}}').message,
    ).toBe(`${FILE}:1:71: mcpServers.a.transport: "streamable-http" conflicts with "type": "sse"; keep one of them`);
  });

  it('names both the profile and the unknown server', () => {
    const err = errorFor(
      '{"mcpServers": {"github": {"command": "x"}},\n "profiles": {"work": {"servers": ["github", "gihub"]}}}',
    );
    expect(err.message).toBe(
      `${FILE}:2:46: profiles.work.servers[1]: profile "work" names server "gihub", which is not in ` +
        `mcpServers (did you mean "github"?)`,
    );
  });

  it('requires a token when the HTTP listener is not on loopback', () => {
    const err = errorFor('{"listen": {"http": {"host": "0.0.0.0"}}}');
    expect(err.message).toBe(
      `${FILE}:1:30: listen.http.host: "0.0.0.0" is not a loopback address, so listen.http.token is ` +
        `required: without it anyone on the network could use your tools`,
    );
    expect(errorFor('{"listen": {"http": {"host": "192.168.1.5", "token": "short"}}}').message).toContain(
      'listen.http.token: a token must be at least 16 characters',
    );
    // What no client could send after "Bearer ": refused here, not found out when nobody gets in.
    for (const token of ['a token with spaces 0123', 'jeton-accentué-0123456789'])
      expect(errorFor(`{"listen": {"http": {"token": ${JSON.stringify(token)}}}}`).message).toContain(
        'listen.http.token: a token may hold only visible ASCII characters (no spaces)',
      );
  });

  it('takes the listener token as a reference (its length is checked once resolved)', () => {
    const config = parseConfigText('{"listen": {"http": {"host": "0.0.0.0", "token": "${secret:tok}"}}}', FILE).config;
    expect(config.listen.http).toMatchObject({ token: '${secret:tok}' });
    expect(errorFor('{"listen": {"http": {"token": "${secret:}"}}}').message).toContain(
      'listen.http.token: "${secret:}": "" is not a valid secret name',
    );
  });

  it('refuses a reference in a handler address, which is used as written, saying where a secret goes', () => {
    // It was sent to the handler as the text "${secret:billing-key}", without a word.
    const err = errorFor(
      '{"mcpServers": {"b": {"handler": "http://127.0.0.1:8081/mcp?api_key=${secret:billing-key}"},\n' +
        '"c": {"handler": "${env:BILLING_ADDRESS}", "entrypoint": "/srv/mcp.php"}}}',
    );
    expect(lines(err)).toEqual([
      expect.stringMatching(
        /^.*:1:34: mcpServers\.b\.handler: "handler" is used as written, without references: \$\{secret:billing-key\} /,
      ),
      expect.stringMatching(
        /^.*:2:18: mcpServers\.c\.handler: .*\$\{env:BILLING_ADDRESS\} .*Write the address itself$/,
      ),
    ]);
    expect(err.message).toContain(
      'Send the secret in a header instead, e.g. "headers": {"X-Api-Key": "${secret:billing-key}"}',
    );
    // Text that is no reference is an address like any other.
    expect(() =>
      parseConfigText('{"mcpServers": {"b": {"handler": "http://127.0.0.1:8081/$${x}"}}}', FILE),
    ).not.toThrow();
  });

  it('refuses credentials written into a URL, saying how to keep them in the keychain', () => {
    const err = errorFor(
      '{"mcpServers": {"r": {"url": "https://ada:hunter2@h.test/mcp"},\n' +
        '"h": {"handler": "http://ada:hunter2@127.0.0.1:8081/"}}}',
    );
    expect(lines(err)).toEqual([
      expect.stringMatching(/^.*:1:30: mcpServers\.r\.url: the URL has a user name or password in it, which would sit/),
      expect.stringMatching(/^.*:2:18: mcpServers\.h\.handler: the URL has a user name or password in it/),
    ]);
    expect(err.message).toContain('"headers": {"Authorization": "Basic ${secret:NAME}"}');
    expect(err.message).not.toContain('hunter2');
    expect(() =>
      parseConfigText('{"mcpServers": {"r": {"url": "https://ada:${secret:pw}@h.test/"}}}', FILE),
    ).not.toThrow();
  });

  it('checks forwardHeaders, overridableHeaders and allowPrivateNetwork', () => {
    const err = errorFor(
      JSON.stringify({
        mcpServers: {
          h: {
            handler: 'http://127.0.0.1:1/',
            headers: { 'X-Tenant': 't' },
            forwardHeaders: ['X-Tenant', 'Cookie', 'Mcp-Session-Id', '*'],
            overridableHeaders: ['X-Tenant', 'X-Region', 'Authorization'],
          },
          f: { handler: '127.0.0.1:9000', entrypoint: '/x.php', allowPrivateNetwork: true },
        },
      }),
    );
    expect(errorFor('{"mcpServers": {"s": {"command": "x", "forwardHeaders": ["X-Tenant"]}}}').issues[0]?.message).toBe(
      '"forwardHeaders" applies only to remote servers and handlers (entries with "url" or "handler")',
    );
    expect(err.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^mcpServers\.h\.forwardHeaders\[1\]: "Cookie" is never forwarded: the client's cookies/),
      expect.stringMatching(/^mcpServers\.h\.forwardHeaders\[2\]: "Mcp-Session-Id" is never forwarded/),
      'mcpServers.h.overridableHeaders[1]: "X-Region" is not set in "headers", so there is nothing to override; ' +
        'to pass the client\'s X-Region on, list it in "forwardHeaders"',
      expect.stringMatching(/^mcpServers\.h\.overridableHeaders\[2\]: "Authorization" is never taken from a client/),
      expect.stringMatching(/^mcpServers\.f\.allowPrivateNetwork: "allowPrivateNetwork" applies to URLs/),
    ]);
  });

  it('refuses a header written twice in different case, which would go out as one value "a, b"', () => {
    // Header names ignore case: both reached the server, joined into one value it refuses.
    const err = errorFor(
      '{"mcpServers": {\n' +
        ' "r": {"url": "https://mcp.example.test/mcp", "headers": {"Authorization": "Bearer ${secret:old}",\n' +
        '   "authorization": "Bearer ${secret:new}"}},\n' +
        ' "h": {"handler": "https://h.example.test/", "headers": {"X-Api-Key": "a", "x-api-key": "b", ' +
        '"X-API-KEY": "c"}}\n' +
        '}}',
    );
    expect(lines(err)).toEqual([
      `${FILE}:3:4: mcpServers.r.headers.authorization: "authorization" is the header "Authorization" again ` +
        `(header names ignore case, and both would be sent as one value): keep one of them`,
      `${FILE}:4:76: mcpServers.h.headers.x-api-key: "x-api-key" is the header "X-Api-Key" again ` +
        `(header names ignore case, and both would be sent as one value): keep one of them`,
      `${FILE}:4:94: mcpServers.h.headers.X-API-KEY: "X-API-KEY" is the header "X-Api-Key" again ` +
        `(header names ignore case, and both would be sent as one value): keep one of them`,
    ]);
  });

  it('points at the key for bad server names, duplicates and clashing names', () => {
    expect(errorFor('{"mcpServers": {"my server": {"command": "x"}}}').message).toBe(
      `${FILE}:1:17: mcpServers["my server"]: server names use letters, digits, "_", "." and "-" (starting ` +
        `with a letter or digit, at most 64 characters): they become part of tool names`,
    );
    // A name of the right characters, too long: how long it is, not the whole rule to count against.
    const long = `mirror_${'x'.repeat(73)}`;
    expect(errorFor(`{"mcpServers": {"${long}": {"command": "x"}}}`).message).toBe(
      `${FILE}:1:17: mcpServers.${long}: server names are at most 64 characters (this one has 80): they become ` +
        `part of tool names`,
    );
    expect(errorFor(`{"mcpServers": {}, "profiles": {"${long}": {"servers": []}}}`).message).toMatch(
      /: profiles\.mirror_x+: profile names are at most 64 characters \(this one has 80\)$/,
    );
    expect(errorFor('{"mcpServers": {"a": {"command": "x"},\n "a": {"command": "y"}}}').message).toBe(
      `${FILE}:2:2: mcpServers.a: duplicate key "a" (only one may appear)`,
    );
    expect(errorFor('{"mcpServers": {"gh__x": {"command": "x"}}}').message).toBe(
      `${FILE}:1:17: mcpServers.gh__x: server name "gh__x" contains the namespace separator "__", which ` +
        `would make its tool names ambiguous`,
    );
  });

  it('rejects unknown reference kinds, secrets on the command line, and clashing aliases', () => {
    const err = errorFor(
      '{"mcpServers": {"a": {"command": "x",\n"args": ["${foo:bar}", "--token=${secret:tok}", ' +
        '"${HOME}"],\n"tools": {"aliases": {"a": "x", "b": "x"}}}}}',
    );
    expect(lines(err)).toEqual([
      `${FILE}:2:10: mcpServers.a.args[0]: unknown reference kind "foo" in "\${foo:bar}" (use \${env:NAME} ` +
        `or \${secret:NAME})`,
      `${FILE}:2:24: mcpServers.a.args[1]: secrets cannot go in command, args or cwd, where other processes ` +
        `can read them; pass \${secret:tok} through env instead, e.g. "env": {"TOKEN": "\${secret:tok}"}`,
      `${FILE}:2:49: mcpServers.a.args[2]: "\${HOME}" has no kind: write "\${env:HOME}" for an environment ` +
        `variable, "\${secret:HOME}" for a secret, or "$\${HOME}" for the literal text`,
      `${FILE}:3:38: mcpServers.a.tools.aliases.b: alias "x" is already used for "a"`,
    ]);
  });

  it('rejects a document that is not an object', () => {
    expect(errorFor('[]').message).toBe(`${FILE}:1:1: expected an object, got an array`);
  });

  it('refuses a value nested thousands of levels deep with where, instead of failing with no position', () => {
    // Read recursively, such a file overflowed the stack: `serve` exited saying only "Maximum call stack size
    // exceeded".
    for (const depth of [3000, 20_000]) {
      const text = `{"mcpServers": {},\n "x": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
      expect(errorFor(text).message).toBe(
        `${FILE}:2:70: syntax error: nested more than 64 levels deep (a Switchboard config needs a few)`,
      );
    }
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads, validates and hashes a file', async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, '{"mcpServers": {"a": {"command": "x"}}}');
    const loaded = await loadConfigFile(file);
    expect(loaded.path).toBe(file);
    expect(Object.keys(loaded.config.servers)).toEqual(['a']);
  });

  it('uses the real path in error messages', async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, '{"mcpServers": {"a": {"command": 1}}}');
    await expect(loadConfigFile(file)).rejects.toThrow(
      `${file}:1:34: mcpServers.a.command: expected a non-empty string`,
    );
  });

  it('tells a missing file apart from other failures', async () => {
    const missing = await loadConfigFile(join(dir, 'nope.json')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).code).toBe('config_unreadable');
    expect(isConfigMissing(missing)).toBe(true);

    const isDirectory = await loadConfigFile(dir).catch((e: unknown) => e);
    expect((isDirectory as ConfigError).code).toBe('config_unreadable');
    expect(isConfigMissing(isDirectory)).toBe(false);
    expect(isConfigMissing(new Error('ENOENT'))).toBe(false);
  });

  it('refuses a file that is not UTF-8, saying which encoding to save it in', async () => {
    // Saved as Latin-1: read as UTF-8, "Grüße" would reach the server as "Gr\uFFFD\uFFFDe".
    const latin1 = join(dir, 'latin1.json');
    await writeFile(
      latin1,
      Buffer.from('{\n  "mcpServers": {\n    "a": { "command": "x", "env": { "G": "Grüße" } }\n  }\n}', 'latin1'),
    );
    const notUtf8 = await loadConfigFile(latin1).catch((e: unknown) => e);
    expect(notUtf8).toMatchObject({ code: 'config_invalid' });
    expect((notUtf8 as ConfigError).message).toBe(
      `${latin1}:3: not UTF-8 text (another encoding, such as Latin-1, was used): save the file as UTF-8`,
    );
    // Notepad's "Unicode": UTF-16 with its byte order mark.
    const utf16 = join(dir, 'utf16.json');
    await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"mcpServers": {}}', 'utf16le')]));
    await expect(loadConfigFile(utf16)).rejects.toThrow(`${utf16} is UTF-16 text: save it as UTF-8`);
  });
});

describe('defaultConfigPath', () => {
  it('follows each platform convention', () => {
    expect(defaultConfigPath({}, 'linux', '/home/me')).toBe('/home/me/.config/switchboard/config.json');
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/me')).toBe('/xdg/switchboard/config.json');
    expect(defaultConfigPath({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/me')).toBe(
      '/home/me/.config/switchboard/config.json',
    );
    expect(defaultConfigPath({}, 'darwin', '/Users/me')).toBe(
      '/Users/me/Library/Application Support/Switchboard/config.json',
    );
    expect(defaultConfigPath({ APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'win32', 'C:\\Users\\me')).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\Switchboard\\config.json',
    );
    expect(defaultConfigPath({}, 'win32', 'C:\\Users\\me')).toBe(
      'C:\\Users\\me\\AppData\\Roaming\\Switchboard\\config.json',
    );
  });

  it('lets SWITCHBOARD_CONFIG override everything', () => {
    expect(
      defaultConfigPath({ SWITCHBOARD_CONFIG: '/etc/sb.json', XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/me'),
    ).toBe('/etc/sb.json');
    // Relative to where the command ran, as --config is: a gateway the shim starts runs elsewhere.
    expect(defaultConfigPath({ SWITCHBOARD_CONFIG: 'conf/sb.json' }, 'linux', '/home/me')).toBe(
      join(process.cwd(), 'conf/sb.json'),
    );
  });
});
