/**
 * Install, detect, verify and the watcher all act on the file the client reads (one resolver),
 * and what a new Continue config.yaml holds, and says, beside an existing config.json.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemorySecretStore,
  detectClient,
  installClient,
  planInstall,
  restoreClient,
  verifyClient,
  watchClient,
  type ClientWatchEvent,
  type InstallerContext,
} from '../../../../main/engine/index.ts';
import { waitFor } from '../../../helpers/gateway.ts';

const SHIM = {
  command: '/opt/node/bin/node',
  args: ['/opt/switchboard/bin/switchboard.js', 'shim', '--profile', 'default'],
};

let home = '';
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = '';
});

async function context(env: Record<string, string> = {}): Promise<InstallerContext> {
  home = await mkdtemp(path.join(tmpdir(), 'sb-client-files-'));
  return { platform: 'linux', env, home, stateDir: path.join(home, 'state'), secrets: createMemorySecretStore() };
}

const under = (...parts: string[]) => path.join(home, ...parts);

async function put(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

describe('one file for install, detect, verify and watch', () => {
  it('LM Studio: all follow ~/.lmstudio-home-pointer and leave ~/.lmstudio alone', async () => {
    const ctx = await context();
    await put(under('.lmstudio', 'mcp.json'), '{}\n');
    await put(under('.lmstudio-home-pointer'), under('big-disk', 'lms'));
    const pointed = under('big-disk', 'lms', 'mcp.json');

    const result = await installClient('lm-studio', ctx, SHIM);
    expect(result.plan.path).toBe(pointed);
    expect(result.verified).toEqual({ ok: true });
    expect(JSON.parse(await readFile(pointed, 'utf8')).mcpServers.switchboard.command).toBe(SHIM.command);
    expect(await readFile(under('.lmstudio', 'mcp.json'), 'utf8')).toBe('{}\n');
    expect(await detectClient('lm-studio', ctx, SHIM)).toMatchObject({ path: pointed, state: 'installed' });
    expect(await verifyClient('lm-studio', ctx, SHIM)).toEqual({ ok: true });

    const events: ClientWatchEvent[] = [];
    const watcher = watchClient('lm-studio', ctx, { debounceMs: 50, onEvent: (e) => events.push(e) });
    await watcher.ready;
    await writeFile(pointed, '{ "mcpServers": {} }\n');
    const removed = await waitFor(() => events.find((e) => e.type === 'entry-removed'));
    watcher.close();
    expect(removed.path).toBe(pointed);
  });

  it('Cline: writes the ~/.cline file once that folder exists; the migrated globalStorage file stays', async () => {
    const ctx = await context();
    const old = under('.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json');
    await put(old, '{ "mcpServers": {} }\n');
    await mkdir(under('.cline'));
    const now = under('.cline', 'data', 'settings', 'cline_mcp_settings.json');

    const result = await installClient('cline', ctx, SHIM);
    expect(result.plan.path).toBe(now);
    expect(result.verified).toEqual({ ok: true });
    expect(await readFile(old, 'utf8')).toBe('{ "mcpServers": {} }\n');
    expect(await detectClient('cline', ctx, SHIM)).toMatchObject({ path: now, state: 'installed' });
  });

  it('Cline: an older Cline (no ~/.cline) gets its globalStorage file, detected by the folder', async () => {
    const ctx = await context();
    const storage = under('.config/Code - Insiders/User/globalStorage/saoudrizwan.claude-dev');
    await mkdir(storage, { recursive: true });
    expect(await detectClient('cline', ctx)).toMatchObject({ detected: true, state: 'no-config' });
    await put(path.join(storage, 'settings', 'cline_mcp_settings.json'), '{}\n');
    const result = await installClient('cline', ctx, SHIM);
    expect(result.plan.path).toBe(path.join(storage, 'settings', 'cline_mcp_settings.json'));
    expect(result.verified).toEqual({ ok: true });
  });
});

describe('a client not found on this machine', () => {
  it('says, before and after, that the file is created for a client that is not there (yet)', async () => {
    const ctx = await context();
    const plan = await planInstall('cursor', ctx, SHIM);
    const said =
      `Cursor was not found on this machine (none of the folders it makes exists): ${under('.cursor', 'mcp.json')} ` +
      'is created, and Cursor reads it once installed';
    expect(plan.warnings).toEqual([said]);
    const result = await installClient('cursor', ctx, SHIM);
    expect(result.plan.warnings).toEqual([said]);
    expect(result.verified).toEqual({ ok: true });
  });

  it('says nothing of it for a client that is there without a config file', async () => {
    const ctx = await context();
    await mkdir(under('.config', 'Cursor'), { recursive: true });
    expect((await installClient('cursor', ctx, SHIM)).plan.warnings).toEqual([]);
  });
});

describe('Continue', () => {
  const NEW_FILE =
    'name: Local Assistant\n' +
    'version: 1.0.0\n' +
    'schema: v1\n' +
    'mcpServers:\n' +
    '  - name: switchboard\n' +
    '    command: /opt/node/bin/node\n' +
    '    args:\n' +
    '      - /opt/switchboard/bin/switchboard.js\n' +
    '      - shim\n' +
    '      - --profile\n' +
    '      - default\n';

  it('creates config.yaml with the name, version and schema Continue requires, without warnings', async () => {
    const ctx = await context();
    // Continue is on this machine (its folder is there), with no config.yaml yet.
    await mkdir(under('.continue'));
    const result = await installClient('continue', ctx, SHIM);
    expect(result.plan.path).toBe(under('.continue', 'config.yaml'));
    expect(await readFile(under('.continue', 'config.yaml'), 'utf8')).toBe(NEW_FILE);
    expect(result.plan.warnings).toEqual([]);
    expect(result.verified).toEqual({ ok: true });
    expect((await restoreClient('continue', ctx)).action).toBe('removed');
  });

  it('says, before and after, that a new config.yaml replaces an existing config.json', async () => {
    const ctx = await context();
    const json = under('.continue', 'config.json');
    await put(json, '{ "models": [] }\n');
    const plan = await planInstall('continue', ctx, SHIM);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toContain(`${json} exists`);
    expect(plan.warnings[0]).toMatch(/Continue reads it instead of config\.json/);
    expect(plan.warnings[0]).toMatch(/switchboard restore continue/);
    const result = await installClient('continue', ctx, SHIM);
    expect(result.plan.warnings).toEqual(plan.warnings);
    expect(result.note).toMatch(/instead of config\.json/);
    expect(await readFile(json, 'utf8')).toBe('{ "models": [] }\n');
  });

  it('does not warn when config.yaml already exists, and leaves its top-level keys as they are', async () => {
    const ctx = await context();
    await put(under('.continue', 'config.json'), '{}\n');
    await put(under('.continue', 'config.yaml'), 'name: Mine\nversion: 2.0.0\nschema: v1\n');
    const result = await installClient('continue', ctx, SHIM);
    expect(result.plan.warnings).toEqual([]);
    expect(await readFile(under('.continue', 'config.yaml'), 'utf8')).toBe(
      'name: Mine\nversion: 2.0.0\nschema: v1\n' + NEW_FILE.slice(NEW_FILE.indexOf('mcpServers:')),
    );
  });
});
