import { describe, expect, it } from 'vitest';
import {
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

  it("translates each client's variables to Switchboard's", () => {
    expect(translateVariables('${HOME}/x', 'none', '/h')).toBe('$${HOME}/x');
    expect(translateVariables('${env:HOME}/${userHome}', 'vscode', '/h')).toBe('${env:HOME}//h');
    expect(translateVariables('${TOKEN}', 'claude-code', '/h')).toBe('${env:TOKEN}');
    expect(() => translateVariables('${workspaceFolder}', 'vscode', '/h')).toThrow(/only the client itself/);
    expect(() => translateVariables('${A:-b}', 'claude-code', '/h')).toThrow(/only Claude Code/);
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
