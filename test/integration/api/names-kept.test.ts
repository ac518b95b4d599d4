/**
 * A short secret inside server names: the control API redacts every answer, and the names of two
 * servers that contained one (a URL's `?key=prod` and servers "prod-db", "prod-api") came out as
 * the same text. The Servers screen then drew nothing, and neither server could be opened,
 * edited or removed. Names are identifiers: they come back as they are; the secret does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../main/engine/index.ts';
import { httpApi } from '../../helpers/api-clients.ts';
import { startGateway, tempDir, writeConfig } from '../../helpers/gateway.ts';

describe('server names that contain a secret value', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;

  beforeAll(async () => {
    dir = await tempDir('sb-names-kept-');
    // Port 9 (discard): nothing answers; the names are what matters.
    const remote = (key: string) => ({ url: `http://127.0.0.1:8/mcp?key=${key}`, allowPrivateNetwork: true });
    const config = await writeConfig(dir.dir, {
      mcpServers: { 'prod-db': remote('prod'), 'prod-api': remote('prod'), other: remote('prodx') },
      profiles: { 'prod-tools': { servers: ['prod-db'] } },
    });
    gateway = await startGateway(config, {}, { settle: false });
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('come back from the control API as they are, and each can be asked about by name', async () => {
    const { client: api, close } = await httpApi(gateway);
    try {
      expect((await api.listServers()).map((s) => s.name)).toEqual(['prod-db', 'prod-api', 'other']);
      expect((await api.listProfiles()).map((p) => p.name)).toContain('prod-tools');
      const entry = await api.getServerEntry('prod-db');
      // The secret itself is still hidden wherever it is not a whole name.
      expect(JSON.stringify(entry)).not.toContain('key=prod"');
      expect((await api.listServerTools('prod-api')).length).toBe(0);
    } finally {
      close();
    }
  });
});
