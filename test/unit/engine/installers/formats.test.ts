import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientDefinition, GatewayError, redactLine, unifiedDiff } from '../../../../main/engine/index.ts';
import { createLineRedactor } from '../../../../main/engine/installers/secret-names.ts';
import { jsonFormat, setJsonValue } from '../../../../main/engine/installers/formats/json.ts';
import { tomlFormat } from '../../../../main/engine/installers/formats/toml.ts';
import { continueFormat, gooseFormat } from '../../../../main/engine/installers/formats/yaml.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/client-configs');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const ENTRY = { command: '/opt/node', args: ['/opt/sb/bin/switchboard.js', 'shim', '--profile', 'default'] };

function expectError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('config_invalid');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected an error');
}

describe('JSON/JSONC edits', () => {
  const f = jsonFormat(['mcpServers']);

  it('inserts only our entry (comments, trailing commas, unknown keys kept); removal restores it', () => {
    const text = fixture('cursor.json');
    const after = f.set(text, 'mcp.json', 'switchboard', ENTRY, '\n');
    expect(after).toContain('// Cursor MCP servers (hand edited)');
    expect(after).toContain('}, // keep me');
    expect(after).toContain('"x-unknown": [1, 2, 3],');
    expect(f.read(after, 'mcp.json').map(([n]) => n)).toEqual(['linear', 'memory', 'switchboard']);
    expect(f.remove(after, 'mcp.json', 'switchboard', '\n')).toBe(text);
  });

  it('keeps a one-line file on one line', () => {
    const text = fixture('single-line.json');
    const after = f.set(text, 'f', 'switchboard', ENTRY, '\n');
    expect(after.split('\n')).toHaveLength(1);
    expect(f.remove(after, 'f', 'switchboard', '\n')).toBe(text);
  });

  it('fills an empty object and a comments-only file', () => {
    const empty = fixture('lm-studio.json');
    const after = f.set(empty, 'f', 'switchboard', ENTRY, '\n');
    expect(f.read(after, 'f')).toEqual([['switchboard', ENTRY]]);
    expect(f.remove(after, 'f', 'switchboard', '\n')).toBe(empty);
    const comments = fixture('comments-only.json');
    const created = f.set(comments, 'f', 'switchboard', ENTRY, '\n');
    expect(created.startsWith('// nothing here yet\n{')).toBe(true);
    expect(f.read(created, 'f')).toEqual([['switchboard', ENTRY]]);
  });

  it('replaces an existing entry in place', () => {
    const once = f.set(fixture('claude-desktop.json'), 'f', 'switchboard', ENTRY, '\n');
    const twice = f.set(once, 'f', 'switchboard', { ...ENTRY, args: ['x'] }, '\n');
    expect(f.read(twice, 'f').find(([n]) => n === 'switchboard')?.[1]).toEqual({ ...ENTRY, args: ['x'] });
    expect(f.read(twice, 'f').map(([n]) => n)).toEqual(['github', 'filesystem', 'brave-search', 'switchboard']);
  });

  it("creates nested objects with the file's indentation and line endings", () => {
    const text = '{\r\n\t"a": 1\r\n}\r\n';
    const after = setJsonValue(text, 'f', ['servers', 'switchboard'], { type: 'stdio' }, '\r\n');
    expect(after).toBe(
      '{\r\n\t"a": 1,\r\n\t"servers": {\r\n\t\t"switchboard": {\r\n\t\t\t"type": "stdio"\r\n\t\t}\r\n\t}\r\n}\r\n',
    );
  });

  it('reports syntax errors with file, line and column', () => {
    expectError(
      () => f.set(fixture('invalid.json'), '/x/mcp.json', 'switchboard', ENTRY, '\n'),
      /^\/x\/mcp\.json:5:1: syntax error: expected "}" \(the file was not changed\)$/,
    );
    expectError(() => f.read('[1, 2]', '/x/a.json'), /^\/x\/a\.json:1:1: expected a JSON object at the top level/);
    expectError(
      () => f.read('{\n  "mcpServers": [1]\n}', '/x/a.json'),
      /^\/x\/a\.json:2:17: "mcpServers" must be an object/,
    );
  });
});

describe('Codex TOML edits', () => {
  const f = tomlFormat('mcp_servers');

  it('appends one table block and removes it again byte for byte', () => {
    const text = fixture('codex.toml');
    const after = f.set(text, 'config.toml', 'switchboard', ENTRY, '\n');
    expect(after.startsWith(text)).toBe(true);
    expect(after.slice(text.length)).toBe(
      '\n[mcp_servers.switchboard]\ncommand = "/opt/node"\nargs = ["/opt/sb/bin/switchboard.js", "shim", ' +
        '"--profile", "default"]\n',
    );
    expect(f.read(after, 'f').map(([n]) => n)).toEqual(['docs', 'switchboard']);
    expect(f.remove(after, 'f', 'switchboard', '\n')).toBe(text);
  });

  it('replaces an existing block and its sub-tables, leaving comments of the next table alone (one blank line)', () => {
    const text =
      '[mcp_servers.switchboard]\ncommand = "old"\n\n[mcp_servers.switchboard.env]\nA = "1"\n\n# ' +
      'next\n[other]\nx = 1\n';
    const after = f.set(text, 'f', 'switchboard', ENTRY, '\n');
    expect(after).toBe(
      '[mcp_servers.switchboard]\ncommand = "/opt/node"\nargs = ["/opt/sb/bin/switchboard.js", "shim", ' +
        '"--profile", "default"]\n\n# next\n[other]\nx = 1\n',
    );
  });

  it('removes an adopted server with its env table', () => {
    const after = f.remove(fixture('codex.toml'), 'f', 'docs', '\n');
    expect(after).not.toContain('mcp_servers');
    expect(after).toContain('# Profiles below\n[profiles.fast]');
  });

  it('edits and takes out an entry written as one key of [mcp_servers] (an inline table), where it is', () => {
    const text =
      'model = "o3"\n\n[mcp_servers]\ntime = { command = "uvx", args = [\n  "mcp-server-time", # ours\n] }\n' +
      '  switchboard = { command = "old" }\nkeep = { command = "k" } # mine\n\n[tui]\nx = 1\n';
    const removed = f.remove(text, 'f', 'time', '\n');
    expect(removed).toBe(
      'model = "o3"\n\n[mcp_servers]\n  switchboard = { command = "old" }\nkeep = { command = "k" } # mine\n\n' +
        '[tui]\nx = 1\n',
    );
    expect(f.set(removed, 'f', 'switchboard', ENTRY, '\n')).toBe(
      'model = "o3"\n\n[mcp_servers]\n  switchboard = { command = "/opt/node", args = ["/opt/sb/bin/switchboard.js", ' +
        '"shim", "--profile", "default"] }\nkeep = { command = "k" } # mine\n\n[tui]\nx = 1\n',
    );
    expect(f.remove(removed, 'f', 'switchboard', '\n')).toBe(
      'model = "o3"\n\n[mcp_servers]\nkeep = { command = "k" } # mine\n\n[tui]\nx = 1\n',
    );
  });

  it('refuses to take out an entry it cannot find as a block or a key (dotted keys), rather than leave it', () => {
    for (const text of ['[mcp_servers]\ntime.command = "uvx"\n', 'mcp_servers = { time = { command = "uvx" } }\n'])
      expectError(
        () => f.remove(text, '/x/config.toml', 'time', '\n'),
        new RegExp(
          '^/x/config\\.toml: "mcp_servers\\.time" is written in a form Switchboard cannot edit as a table ' +
            'block .*write it as a \\[mcp_servers\\.time\\] table \\(the file was not changed\\)$',
        ),
      );
  });

  it('refuses entries it cannot edit as a block, and reports syntax errors with line and column', () => {
    expectError(
      () => f.set('mcp_servers = { switchboard = { command = "x" } }\n', 'f', 'switchboard', ENTRY, '\n'),
      /edit it by hand/,
    );
    expectError(() => f.read(fixture('invalid.toml'), '/x/config.toml'), /^\/x\/config\.toml:2:\d+: TOML syntax error/);
  });
});

describe('YAML edits', () => {
  it('Continue: appends a list item and removes it byte for byte', () => {
    const f = continueFormat();
    const text = fixture('continue.yaml');
    const after = f.set(text, 'config.yaml', 'switchboard', ENTRY, '\n');
    expect(f.read(after, 'f').map(([n]) => n)).toEqual(['SQLite MCP', 'browser', 'switchboard']);
    expect(after).toContain('  - name: switchboard\n    command: /opt/node\n');
    expect(f.remove(after, 'f', 'switchboard', '\n')).toBe(text);
    expect(f.remove(text, 'f', 'SQLite MCP', '\n')).not.toContain('mcp-sqlite');
  });

  it('leaves an empty section, not one YAML reads as null, when the entry removed was the last', () => {
    // Continue's schema takes a list or nothing: with `mcpServers: null` it loads none of the file.
    const text = 'name: My Assistant\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: gpt\n';
    const f = continueFormat();
    const installed = f.set(text, 'config.yaml', 'switchboard', ENTRY, '\n');
    expect(f.remove(installed, 'config.yaml', 'switchboard', '\n')).toBe(`${text}mcpServers: []\n`);
    const crlf = 'mcpServers: # ours\r\n  - name: switchboard\r\n    command: x\r\nz: 1\r\n';
    expect(f.remove(crlf, 'config.yaml', 'switchboard', '\r\n')).toBe('mcpServers: [] # ours\r\nz: 1\r\n');
    const g = gooseFormat();
    const goose = g.set('GOOSE_MODEL: x\n', 'config.yaml', 'switchboard', { cmd: 'a' }, '\n');
    expect(g.remove(goose, 'config.yaml', 'switchboard', '\n')).toBe('GOOSE_MODEL: x\nextensions: {}\n');
    // Installing again fills the section as before.
    expect(f.set(`${text}mcpServers: []\n`, 'config.yaml', 'switchboard', ENTRY, '\n')).toBe(installed);
  });

  it('Continue: a new or empty config.yaml gets the name, version and schema its schema requires', () => {
    const f = continueFormat();
    const entry = '  - name: switchboard\n    command: /opt/node\n    args:\n';
    const head = 'name: Local Assistant\nversion: 1.0.0\nschema: v1\nmcpServers:\n';
    expect(f.set('', 'config.yaml', 'switchboard', ENTRY, '\n')).toMatch(new RegExp(`^${head}${entry}`));
    expect(f.set('# mine\n', 'config.yaml', 'switchboard', ENTRY, '\r\n')).toMatch(
      /^# mine\nname: Local Assistant\r\nversion: 1\.0\.0\r\nschema: v1\r\nmcpServers:\r\n {2}- name: switchboard\r\n/,
    );
    // A file with content is the user's: only the entry is added, even when it lacks name and version.
    expect(f.set('models: []\n', 'config.yaml', 'switchboard', ENTRY, '\n')).toMatch(
      new RegExp(`^models: \\[\\]\nmcpServers:\n${entry}`),
    );
    // Goose needs no such keys.
    expect(gooseFormat().set('', 'f', 'switchboard', { cmd: 'a' }, '\n')).toBe(
      'extensions:\n  switchboard:\n    cmd: a\n',
    );
  });

  it('Goose: adds a map entry, keeps serde_yaml style lists and comments, removes byte for byte', () => {
    const f = gooseFormat();
    const text = fixture('goose.yaml');
    const after = f.set(
      text,
      'config.yaml',
      'switchboard',
      { name: 'switchboard', type: 'stdio', cmd: '/opt/node', args: ENTRY.args, envs: {}, enabled: true, timeout: 300 },
      '\n',
    );
    const insertedAt = text.indexOf('# end of extensions');
    expect(after.startsWith(text.slice(0, insertedAt))).toBe(true);
    expect(after).toContain('# end of extensions\nGOOSE_MODE: smart_approve\n');
    expect(f.remove(after, 'f', 'switchboard', '\n')).toBe(text);
  });

  it('creates the section when missing and reports syntax errors with line and column', () => {
    const f = gooseFormat();
    expect(f.set('GOOSE_MODEL: x\n', 'f', 'switchboard', { cmd: 'a' }, '\n')).toBe(
      'GOOSE_MODEL: x\nextensions:\n  switchboard:\n    cmd: a\n',
    );
    expect(f.set('extensions: {}\nz: 1\n', 'f', 'switchboard', { cmd: 'a' }, '\n')).toBe(
      'extensions:\n  switchboard:\n    cmd: a\nz: 1\n',
    );
    expectError(
      () => f.read(fixture('invalid.yaml'), '/x/config.yaml'),
      /^\/x\/config\.yaml:\d+:\d+: YAML syntax error/,
    );
    expectError(
      () => continueFormat().read('mcpServers: 3\n', '/x/c.yaml'),
      /^\/x\/c\.yaml:1:13: "mcpServers" must be a list/,
    );
  });
});

describe('reading client entries', () => {
  it("understands each client's shapes", () => {
    expect(
      clientDefinition('zed').read('pg', { command: { path: 'npx', args: ['a'], env: { X: '1' } } }),
    ).toMatchObject({ kind: 'stdio', command: 'npx', args: ['a'], env: { X: '1' } });
    expect(
      clientDefinition('goose').read('gh', { cmd: 'npx', args: [], envs: { T: 'x' }, enabled: false, type: 'stdio' }),
    ).toMatchObject({ kind: 'stdio', command: 'npx', env: { T: 'x' }, disabled: true });
    expect(clientDefinition('goose').read('dev', { type: 'builtin', name: 'developer' })).toMatchObject({
      kind: 'unsupported',
    });
    expect(clientDefinition('windsurf').read('n', { serverUrl: 'https://x/mcp' })).toMatchObject({
      kind: 'remote',
      url: 'https://x/mcp',
      transport: 'auto',
    });
    expect(clientDefinition('gemini-cli').read('n', { url: 'https://x/sse' })).toMatchObject({ transport: 'sse' });
    expect(clientDefinition('gemini-cli').read('n', { httpUrl: 'https://x/mcp' })).toMatchObject({
      transport: 'streamable-http',
    });
    expect(clientDefinition('vscode').read('n', { type: 'sse', url: 'https://x/sse' })).toMatchObject({
      transport: 'sse',
    });
    expect(clientDefinition('codex').read('n', { url: 'https://x', bearer_token_env_var: 'TOK' })).toMatchObject({
      headers: {},
      bearerEnv: 'TOK',
    });
  });
});

describe('diffs', () => {
  it('prints a unified diff with masked secrets', () => {
    const diff = unifiedDiff('a\n"API_KEY": "abc",\nc\n', 'a\n"API_KEY": "abc",\nc\nd\n', {
      fromLabel: 'f',
      toLabel: 'f',
      mapLine: redactLine,
    });
    expect(diff).toBe('--- f\n+++ f\n@@ -1,3 +1,4 @@\n a\n "API_KEY": "***",\n c\n+d\n');
    expect(unifiedDiff('same', 'same')).toBe('');
  });

  it('masks secret-looking values in JSON, TOML and YAML lines but not references', () => {
    expect(redactLine('  "GITHUB_TOKEN": "ghp_x", "OTHER": "y"')).toBe('  "GITHUB_TOKEN": "***", "OTHER": "y"');
    expect(redactLine('DOCS_TOKEN = "t"')).toBe('DOCS_TOKEN = "***"');
    expect(redactLine('      GITHUB_PERSONAL_ACCESS_TOKEN: ghp_y')).toBe('      GITHUB_PERSONAL_ACCESS_TOKEN: ***');
    expect(redactLine('"Authorization": "Bearer ${secret:x}"')).toBe('"Authorization": "Bearer ${secret:x}"');
    // Compact files: a key inside an object or list on the same line is masked too.
    expect(redactLine('"env": {"GITHUB_TOKEN": "ghp_z"}, "args": ["--api-key", "k"]')).toBe(
      '"env": {"GITHUB_TOKEN": "***"}, "args": ["--api-key", "***"]',
    );
    expect(redactLine('{"mcpServers":{"gh":{"env":{"API_KEY":"sk-1","X":"y"}}}}')).toBe(
      '{"mcpServers":{"gh":{"env":{"API_KEY":"***","X":"y"}}}}',
    );
    expect(redactLine('env = {TOKEN = "t"}')).toBe('env = {TOKEN = "***"}');
  });

  it('masks a URL password and secret-looking query parameters, and secret flags in a list of arguments', () => {
    // As adopt's summaries mask them: the diffs printed them (dry run included) and the app showed them.
    expect(redactLine('  "url": "https://ada:pw-CANARY@mcp.example.com/mcp?api_key=q-CANARY&x=1",')).toBe(
      '  "url": "https://ada:***@mcp.example.com/mcp?api_key=***&x=1",',
    );
    expect(redactLine('url = "https://mcp.example.com/mcp?token=${secret:t}"')).toBe(
      'url = "https://mcp.example.com/mcp?token=${secret:t}"',
    );
    expect(redactLine('    url: https://ada:pw@h.example/x')).toBe('    url: https://ada:***@h.example/x');
    expect(redactLine('args = ["--token=abc123", "--verbose", "--api-key", "k-CANARY", "--password", "-v"]')).toBe(
      'args = ["--token=***", "--verbose", "--api-key", "***", "--password", "-v"]',
    );
    expect(redactLine('"args": ["--api-key", "${env:KEY}", "--port", "8080"]')).toBe(
      '"args": ["--api-key", "${env:KEY}", "--port", "8080"]',
    );
    // A pretty-printed list: the value on the line after its flag, in a diff.
    const diff = unifiedDiff(
      '{}\n',
      '{\n  "args": [\n    "--api-key",\n    "k-CANARY",\n    "--port",\n    "80"\n  ]\n}\n',
      {
        mapLine: createLineRedactor(),
      },
    );
    expect(diff).toContain('+    "--api-key",\n+    "***",\n+    "--port",\n+    "80"\n');
  });
});
