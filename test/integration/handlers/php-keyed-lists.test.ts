/**
 * A discover answer with lists Switchboard cannot use: PHP's `$tools['hello'] = [...]` (json_encode
 * writes an object keyed by name, not a list), an entry without its name. What was skipped is
 * shown where tools left out are shown, `switchboard list` and the Servers screen (the control
 * API's leftOutTools), not only in the log: the server read "ready, 0 tools" with no word of why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Gateway } from '../../../main/engine/index.ts';
import { cliRun, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';
import { ROOT, startPhpFpm, type PhpFpm } from '../../fixtures/handlers/php-fpm.ts';

const SCRIPT = path.join(ROOT, 'test/fixtures/handlers/keyed-lists.php');
const KEYED =
  '"tools" is an object (keys "hello", "bye"), not a list: PHP\'s json_encode writes an array with string keys ' +
  'as one; array_values() makes it a list';

describe('a PHP handler whose discover lists are keyed by name', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let fpm: PhpFpm;
  let config: string;

  beforeAll(async () => {
    [fpm, dir] = await Promise.all([startPhpFpm({ listen: 'tcp' }), tempDir()]);
    config = await writeConfig(dir.dir, { mcpServers: { php: { handler: fpm.address, entrypoint: SCRIPT } } });
  });
  afterAll(async () => {
    await fpm?.stop();
    await dir?.cleanup();
  });

  it('switchboard list says what of the tools was left out and why', async () => {
    const run = await cliRun(
      { ...process.env, SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state') },
      'list',
      '--config',
      config,
    );
    expect(run.stdout).toMatch(/^php +handler-fastcgi +ready +0 +1 left out/m);
    expect(run.stdout).toContain(`  left out: ${KEYED}\n`);
  });

  it("the Servers screen's data says it too", async () => {
    let gateway: Gateway | undefined;
    try {
      gateway = await startGateway(config);
      const [server] = await gateway.api.listServers();
      expect(server?.leftOutTools).toEqual([KEYED]);
    } finally {
      await gateway?.stop();
    }
  });
});
