import { describe, expect, it } from 'vitest';
import {
  clientDefinition,
  convertServer,
  secretName,
  shimCommand,
  switchboardServerName,
  translateVariables,
} from '../../../../main/engine/index.ts';

describe('adoption conversion', () => {
  it('moves secret-looking env vars and headers, keeps schemes and references', () => {
    const c = convertServer(
      {
        name: 'My API',
        raw: {},
        kind: 'remote',
        url: 'https://x/mcp',
        headers: { Authorization: 'Bearer abc', 'X-Trace': 'on', 'X-Api-Key': '${env:K}' },
        transport: 'sse',
      },
      { client: 'cursor', dialect: 'vscode', home: '/h' },
    );
    expect(c.name).toBe('My-API');
    expect(c.entry).toEqual({
      url: 'https://x/mcp',
      headers: {
        Authorization: 'Bearer ${secret:cursor.My-API.header.Authorization}',
        'X-Trace': 'on',
        'X-Api-Key': '${env:K}',
      },
      transport: 'sse',
    });
    expect(c.secrets).toEqual([
      { name: 'cursor.My-API.header.Authorization', value: 'abc', field: 'headers.Authorization' },
    ]);
  });

  it('moves user:password out of a URL into a Basic Authorization header from the keychain', () => {
    const remote = (url: string, headers?: Record<string, string>) =>
      convertServer(
        { name: 'db', raw: {}, kind: 'remote', url, ...(headers ? { headers } : {}) },
        { client: 'cursor', dialect: 'none', home: '/h' },
      );
    const c = remote('https://ada:p%40ss@mcp.example.com/mcp?x=1');
    expect(c.entry).toEqual({
      url: 'https://mcp.example.com/mcp?x=1',
      headers: { Authorization: 'Basic ${secret:cursor.db.url-credentials}' },
    });
    expect(c.secrets).toEqual([
      {
        name: 'cursor.db.url-credentials',
        value: Buffer.from('ada:p@ss').toString('base64'),
        field: 'headers.Authorization',
      },
    ]);
    const both = remote('https://ada:pw@mcp.example.com/', { Authorization: 'Bearer ${secret:t}' });
    expect(both.entry).toEqual({ url: 'https://mcp.example.com/', headers: { Authorization: 'Bearer $${secret:t}' } });
    expect(both.warnings.join()).toMatch(/user name and password in its URL were left out/);
  });

  it('matches TOKEN, KEY, SECRET, PASSWORD and Authorization in any case, and warns about secrets in args', () => {
    const c = convertServer(
      {
        name: 's',
        raw: {},
        kind: 'stdio',
        command: 'srv',
        args: ['--api-key', 'k1'],
        env: { db_password: 'p', Client_Secret: 's', apikey: 'k', PLAIN: 'x' },
      },
      { client: 'claude-desktop', dialect: 'none', home: '/h' },
    );
    expect(c.secrets.map((s) => s.field)).toEqual(['env.db_password', 'env.Client_Secret', 'env.apikey']);
    expect(c.entry.env).toMatchObject({ PLAIN: 'x', db_password: '${secret:claude-desktop.s.db_password}' });
    expect(c.warnings.join()).toMatch(/args\[1\] looks like a secret/);
  });

  it('moves a key in a URL query to the keychain, and warns about credentials in args', () => {
    const c = convertServer(
      { name: 'hosted', raw: {}, kind: 'remote', url: 'https://mcp.example.com/sse?api_key=sk-live-123&region=eu' },
      { client: 'cursor', dialect: 'vscode', home: '/h' },
    );
    expect(c.entry.url).toBe('https://mcp.example.com/sse?api_key=${secret:cursor.hosted.url.api_key}&region=eu');
    expect(c.secrets).toEqual([{ name: 'cursor.hosted.url.api_key', value: 'sk-live-123', field: 'url.api_key' }]);
    const db = convertServer(
      { name: 'pg', raw: {}, kind: 'stdio', command: 'mcp-postgres', args: ['postgresql://u:hunter2@db/x'] },
      { client: 'cursor', dialect: 'vscode', home: '/h' },
    );
    expect(db.warnings.join()).toMatch(/args\[0\] looks like a secret/);
  });

  it("carries over Codex's env_vars and Gemini CLI's tool lists, and names the settings it leaves behind", () => {
    const c = convertServer(
      {
        name: 'gh',
        raw: {},
        kind: 'stdio',
        command: 'gh-mcp',
        env: { PLAIN: 'x' },
        passEnv: ['GITHUB_HOST', 'PLAIN'],
        tools: { deny: ['delete_repo'] },
        ignored: ['timeout', 'trust'],
      },
      { client: 'gemini-cli', dialect: 'none', home: '/h' },
    );
    expect(c.entry).toEqual({
      command: 'gh-mcp',
      env: { PLAIN: 'x', GITHUB_HOST: '${env:GITHUB_HOST}' },
      tools: { deny: ['delete_repo'] },
    });
    expect(c.warnings.join('\n')).toMatch(/takes GITHUB_HOST from the environment/);
    expect(c.warnings.join('\n')).toMatch(/"timeout", "trust" are settings of the client's own, not carried over/);
  });

  it("refuses an environment kept where Switchboard cannot read it, and reads the clients' extra keys", () => {
    const goose = clientDefinition('goose').read('gh', { cmd: 'gh-mcp', env_keys: ['GITHUB_TOKEN'] });
    expect(goose.kind).toBe('unsupported');
    expect(goose.problem).toMatch(/client's own keyring \("env_keys"\)/);
    expect(clientDefinition('cursor').read('x', { command: 'x', envFile: '/h/.env' }).problem).toMatch(/envFile/);
    const gemini = clientDefinition('gemini-cli').read('gh', {
      command: 'gh-mcp',
      includeTools: ['search'],
      excludeTools: ['delete_repo'],
      timeout: 30000,
    });
    expect(gemini).toMatchObject({ tools: { allow: ['search'], deny: ['delete_repo'] }, ignored: ['timeout'] });
    const codex = clientDefinition('codex').read('gh', { command: 'gh-mcp', env_vars: ['GITHUB_HOST'] });
    expect(codex.passEnv).toEqual(['GITHUB_HOST']);
  });

  it("translates each client's variables to Switchboard's", () => {
    expect(translateVariables('${HOME}/x', 'none', '/h')).toBe('$${HOME}/x');
    expect(translateVariables('${env:HOME}/${userHome}', 'vscode', '/h')).toBe('${env:HOME}//h');
    expect(translateVariables('${TOKEN}', 'claude-code', '/h')).toBe('${env:TOKEN}');
    expect(() => translateVariables('${workspaceFolder}', 'vscode', '/h')).toThrow(/only the client itself/);
    expect(() => translateVariables('${A:-b}', 'claude-code', '/h')).toThrow(/only Claude Code/);
    expect(translateVariables('$TOKEN ${HOST}/$1 ${a b} ${', 'gemini', '/h')).toBe(
      '${env:TOKEN} ${env:HOST}/$1 $${a b} $${',
    );
    expect(translateVariables('${env:T} ${X}', 'windsurf', '/h')).toBe('${env:T} $${X}');
    expect(() => translateVariables('${file:/h/key}', 'windsurf', '/h')).toThrow(/only Windsurf/);
    expect(() => translateVariables('${{ secrets.K }}', 'continue', '/h')).toThrow(/only Continue/);
  });

  it('makes valid names', () => {
    expect(switchboardServerName('a__b c')).toBe('a_b-c');
    expect(secretName('zed', 'pg', 'env PASS')).toBe('zed.pg.env-PASS');
  });
});

describe('shim command', () => {
  it('uses absolute paths, one argv element each, and warns about spaces', () => {
    const { shim, warnings } = shimCommand({
      executable: '/Applications/My Apps/node',
      script: '/opt/sb/bin/switchboard.js',
      profile: 'work',
      platform: 'darwin',
    });
    expect(shim).toEqual({
      command: '/Applications/My Apps/node',
      args: ['/opt/sb/bin/switchboard.js', 'shim', '--profile', 'work'],
    });
    expect(warnings[0]).toMatch(/contains a space/);
    expect(() => shimCommand({ executable: 'node', profile: 'x' })).toThrow(/absolute paths/);
    expect(() => shimCommand({ executable: '/n', profile: 'a b' })).toThrow(/invalid profile/);
    expect(
      shimCommand({
        executable: 'C:\\Program Files\\Switchboard\\Switchboard.exe',
        profile: 'default',
        env: { ELECTRON_RUN_AS_NODE: '1' },
        platform: 'win32',
      }).shim.env,
    ).toEqual({ ELECTRON_RUN_AS_NODE: '1' });
  });
});
