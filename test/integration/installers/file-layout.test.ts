/**
 * Client files laid out in ways the sample files are not: the entry install writes follows the
 * file's own layout, and uninstall leaves the file as it was.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { installClient, planInstall, uninstallClient } from '../../../main/engine/index.ts';
import { SHIM, tempHome, type TempHome } from './helpers.ts';

let home: TempHome | undefined;
afterEach(async () => {
  await home?.cleanup();
  home = undefined;
});

describe('a JSONC file that opens with a block comment', () => {
  it("indents the entry as the file's settings are, not as the comment's lines", async () => {
    home = await tempHome();
    const text =
      '/*\n * My Zed settings.\n * Synced by hand.\n */\n{\n    "theme": "One Dark",\n' +
      '    "context_servers": {}\n}\n';
    const file = await home.write('zed', text);
    const plan = await planInstall('zed', home.ctx, SHIM);
    await installClient('zed', home.ctx, SHIM, plan.fingerprint);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(plan.after);
    expect(after).toContain('\n    "context_servers": {\n        "switchboard": {\n            "command": ');
    expect(after).toContain('\n            "args": [\n                "/opt/switchboard/bin/switchboard.js",\n');
    await uninstallClient('zed', home.ctx);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
