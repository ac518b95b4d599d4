/**
 * The Edit server form's save: only what the form changed is written, key by key, so the entry's
 * comments, order and layout stay, and saving an unchanged form leaves the file as it was.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import {
  maskEntry,
  readServerEntry,
  removeServerFromConfigFile,
  updateServerInConfigFile,
} from '../../../../main/engine/api/server-edits.ts';

const CONFIG = `// My servers
{
  "mcpServers": {
    // the fixture
    "fx": {
      "description": "kept first", // why it is here
      "command": "node",
      "args": ["server.js"], // trailing comment
      "env": { "NAME": "fx", /* keep me */ "LEVEL": "debug" },
      "type": "stdio",
    },
    "other": { "command": "other" },
  },
}
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-server-edits-'));
  dirs.push(dir);
  const file = path.join(dir, 'config.json');
  writeFileSync(file, text);
  return file;
}

describe('saving the Edit server form', () => {
  it('writes nothing when nothing was changed', async () => {
    const file = configFile(CONFIG);
    await updateServerInConfigFile(file, 'fx', await readServerEntry(file, 'fx'));
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('changes one variable on its own line, keeping the comments, order and layout around it', async () => {
    const file = configFile(CONFIG);
    const entry = await readServerEntry(file, 'fx');
    await updateServerInConfigFile(file, 'fx', { ...entry, env: { NAME: 'fx', LEVEL: 'info' } });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG.replace('"LEVEL": "debug"', '"LEVEL": "info"'));
  });

  it('adds and removes the keys the form added or emptied, and nothing else', async () => {
    const file = configFile(CONFIG);
    const { args: _args, ...entry } = await readServerEntry(file, 'fx');
    await updateServerInConfigFile(file, 'fx', { ...entry, cwd: '/srv' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('server.js');
    expect(text).toContain('"cwd": "/srv"');
    for (const kept of ['// the fixture', '// why it is here', '/* keep me */', '"other": { "command": "other" }'])
      expect(text).toContain(kept);
    expect(await readServerEntry(file, 'fx')).toEqual({
      description: 'kept first',
      command: 'node',
      env: { NAME: 'fx', LEVEL: 'debug' },
      type: 'stdio',
      cwd: '/srv',
    });
  });

  it('turns a local command into a remote server: the command and its kind go, the description stays', async () => {
    const file = configFile(CONFIG);
    await updateServerInConfigFile(file, 'fx', { url: 'https://mcp.example.com/mcp' });
    expect(await readServerEntry(file, 'fx')).toEqual({
      description: 'kept first',
      url: 'https://mcp.example.com/mcp',
    });
    expect(readFileSync(file, 'utf8')).toContain('"description": "kept first", // why it is here');
  });

  it("drops what only the old kind of server has (a local command's isolated, a remote's oauth)", async () => {
    const file = configFile(`{
  "mcpServers": {
    "fx": { "command": "node", "isolated": true, "headersToEnv": { "X-Team": "TEAM" }, "timeoutMs": 5000 }
  }
}
`);
    await updateServerInConfigFile(file, 'fx', { url: 'https://mcp.example.com/mcp' });
    expect(await readServerEntry(file, 'fx')).toEqual({ url: 'https://mcp.example.com/mcp', timeoutMs: 5000 });
    const back = configFile(`{
  "mcpServers": { "fx": { "url": "https://mcp.example.com/mcp", "oauth": false, "transport": "sse" } }
}
`);
    await updateServerInConfigFile(back, 'fx', { command: 'node', args: ['server.js'] });
    expect(await readServerEntry(back, 'fx')).toEqual({ command: 'node', args: ['server.js'] });
  });

  it('keeps CRLF line endings and tabs', async () => {
    const crlf = CONFIG.replaceAll('  ', '\t').replaceAll('\n', '\r\n');
    const file = configFile(crlf);
    const entry = await readServerEntry(file, 'fx');
    await updateServerInConfigFile(file, 'fx', { ...entry, env: { NAME: 'fx', LEVEL: 'info', NEW: '1' } });
    const text = readFileSync(file, 'utf8');
    expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    expect(text).toContain('\t\t\t"command": "node",\r\n');
    expect((await readServerEntry(file, 'fx')).env).toEqual({ NAME: 'fx', LEVEL: 'info', NEW: '1' });
  });
});

describe('saving the form of a server with values written in plain text that look secret', () => {
  const WITH_SECRETS = `{
  "mcpServers": {
    "gh": {
      "command": "gh-mcp",
      "args": ["--token", "ghp_plainTextToken123", "--verbose"],
      "env": { "GITHUB_TOKEN": "ghp_plainTextToken123", "LEVEL": "debug" },
    },
  },
}
`;

  it('keeps each hidden value the form sends back as shown, and saves what was changed around it', async () => {
    const file = configFile(WITH_SECRETS);
    // What the Edit form gets: the values that look secret hidden.
    const shown = maskEntry(await readServerEntry(file, 'gh'));
    expect(JSON.stringify(shown)).not.toContain('ghp_');
    const env = shown.env as Record<string, string>;
    await updateServerInConfigFile(file, 'gh', { ...shown, env: { ...env, LEVEL: 'info' }, cwd: '/srv' });
    expect(await readServerEntry(file, 'gh')).toEqual({
      command: 'gh-mcp',
      args: ['--token', 'ghp_plainTextToken123', '--verbose'],
      env: { GITHUB_TOKEN: 'ghp_plainTextToken123', LEVEL: 'info' },
      cwd: '/srv',
    });
  });

  it('refuses a placeholder anywhere else: it would be written instead of the secret', async () => {
    const file = configFile(WITH_SECRETS);
    const shown = maskEntry(await readServerEntry(file, 'gh'));
    const env = shown.env as Record<string, string>;
    const moved = { ...shown, env: { OTHER_TOKEN: env.GITHUB_TOKEN!, LEVEL: 'debug' } };
    await expect(updateServerInConfigFile(file, 'gh', moved)).rejects.toMatchObject({ field: 'env' });
    const args = ['--verbose', ...(shown.args as string[])];
    await expect(updateServerInConfigFile(file, 'gh', { ...shown, args })).rejects.toMatchObject({ field: 'args' });
    expect(readFileSync(file, 'utf8')).toBe(WITH_SECRETS);
  });
});

describe('a config file with a problem of its own', () => {
  it("refuses an edit saying the file's problem is to fix first, where, and that nothing was written", async () => {
    const broken = CONFIG.replace(
      '"other": { "command": "other" }',
      '"other": { "command": "other", "timeoutMs": "x" }',
    );
    const file = configFile(broken);
    const err = await updateServerInConfigFile(file, 'fx', {
      ...(await readServerEntry(file, 'fx')),
      env: { NAME: 'fx' },
    }).catch((e: unknown) => e as GatewayError);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).field).toBeUndefined();
    const message = (err as GatewayError).message;
    expect(message).toMatch(/^the config file has a problem to fix first, at line 12, mcpServers\.other\.timeoutMs: /);
    expect(message).toMatch(/ \(the file was not changed\)$/);
    expect(readFileSync(file, 'utf8')).toBe(broken);
  });
});

describe('a key updateServer does not write', () => {
  it('sent with a new value is refused naming it, not taken as saved; as the file has it, it is fine', async () => {
    const file = configFile(CONFIG.replace('"type": "stdio",', '"type": "stdio",\n      "timeoutMs": 5000,'));
    const before = readFileSync(file, 'utf8');
    const entry = await readServerEntry(file, 'fx');
    await expect(updateServerInConfigFile(file, 'fx', { ...entry, timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'invalid_request',
      field: 'timeoutMs',
      message:
        '"timeoutMs" is kept as the config file has it: updateServer changes only command, args, env, cwd, url, ' +
        'headers, handler and entrypoint (change "timeoutMs" in the config file)',
    });
    await expect(updateServerInConfigFile(file, 'fx', { ...entry, disabled: true })).rejects.toMatchObject({
      field: 'disabled',
      message: expect.stringMatching(/\(use setServerEnabled\)$/) as unknown,
    });
    await expect(updateServerInConfigFile(file, 'fx', { ...entry, type: 'http' })).rejects.toMatchObject({
      field: 'type',
    });
    expect(readFileSync(file, 'utf8')).toBe(before);
    // The whole entry as getServerEntry gave it, with a form key changed: saved.
    await updateServerInConfigFile(file, 'fx', { ...entry, cwd: '/srv' });
    expect(await readServerEntry(file, 'fx')).toEqual({ ...entry, cwd: '/srv' });
  });
});

describe('removing a server', () => {
  it('a profile still uses: refused, naming the profiles, the file unchanged', async () => {
    const text = CONFIG.replace(
      '  },\n}',
      '  },\n  "profiles": { "work": { "servers": ["fx"] }, "all": { "servers": ["other", "fx"] } },\n}',
    );
    const file = configFile(text);
    await expect(removeServerFromConfigFile(file, 'fx')).rejects.toThrow(
      'server "fx" is in profiles "work", "all": take it out of them first (Profiles), then remove it',
    );
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
