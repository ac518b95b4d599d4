/**
 * The edit form of a server whose entry the control API shows with something hidden by the redactor
 * (not by the form's own mask): a URL's user name in an argument (`postgresql://ada@localhost/db`,
 * which every text shows as `[redacted:url-credentials]@`), a secret's value where the file has it
 * as plain text. Sent back as shown, with another field changed, the save was refused ("still holds
 * a hidden value"), and the user had to type those arguments again on every edit. As shown, they
 * keep what the file has; a placeholder put anywhere else is still refused.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySecretStore, type Gateway } from '../../../main/engine/index.ts';
import { httpApi } from '../../helpers/api-clients.ts';
import { fixtureServer, startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

describe('editing a server whose entry is shown with parts hidden', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let config: string;

  beforeAll(async () => {
    dir = await tempDir('sb-entry-edit-');
    const fx = fixtureServer('db', { PGPASSWORD: '${secret:pg-password}' }) as { args: string[] };
    config = await writeConfig(dir.dir, {
      mcpServers: { db: { ...fx, args: [...fx.args, 'postgresql://ada@localhost/app', '--schema=postgres'] } },
    });
    gateway = await startGateway(
      config,
      { secrets: createMemorySecretStore({ 'pg-password': 'postgres' }) },
      { settle: false },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('saves a change of another field, keeping the hidden parts as the file has them', async () => {
    const { client: api, close } = await httpApi(gateway);
    try {
      const shown = (await api.getServerEntry('db')) as { args: string[]; env: Record<string, string> };
      // Both hidden: what the user sees is not what the file holds.
      expect(shown.args.slice(-2)).toEqual([
        '[redacted:pg-password]ql://[redacted:url-credentials]@localhost/app',
        '--schema=[redacted:pg-password]',
      ]);
      await api.updateServer('db', { ...shown, env: { ...shown.env, PGDATABASE: 'app' } });
      const saved = JSON.parse(await readFile(config, 'utf8')) as {
        mcpServers: { db: { args: string[]; env: Record<string, string> } };
      };
      expect(saved.mcpServers.db.args.slice(-2)).toEqual(['postgresql://ada@localhost/app', '--schema=postgres']);
      expect(saved.mcpServers.db.env.PGDATABASE).toBe('app');
      // A placeholder typed or moved elsewhere is not a value to write.
      await expect(
        api.updateServer('db', { ...shown, env: { ...shown.env, OTHER: '[redacted:pg-password]' } }),
      ).rejects.toThrow(/still holds a hidden value/);
    } finally {
      close();
    }
  });
});
