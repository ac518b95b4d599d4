/** Deleting secrets that were left unused (a server edited or removed), never one in use again meanwhile. */
import type { Api } from './api.ts';

/**
 * Deletes those of `names` that are stored and nothing refers to now (no server, no setting of
 * Switchboard's own): looked at just before, as another window may have put one to use again.
 */
export async function deleteUnusedSecrets(api: Api, names: string[]): Promise<{ deleted: string[]; kept: string[] }> {
  if (names.length === 0) return { deleted: [], kept: [] };
  const { secrets } = await api.listSecrets();
  const deleted = names.filter((name) => {
    const now = secrets.find((s) => s.name === name);
    return now?.stored === true && now.usedBy.length === 0 && (now.settings ?? []).length === 0;
  });
  for (const name of deleted) await api.deleteSecret(name);
  return { deleted, kept: names.filter((name) => !deleted.includes(name)) };
}
