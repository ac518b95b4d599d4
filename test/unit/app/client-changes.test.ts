import { describe, expect, it } from 'vitest';
import { notifyingClientChanges } from '../../../main/app/ipc/client-changes.ts';

describe('the tray hears of client changes made in the window', () => {
  it('after an install, uninstall, restore or adopt that went through, and nothing else', async () => {
    const told: string[] = [];
    let ok = true;
    const dispatch = notifyingClientChanges(
      async (method) => (ok ? { ok: true, result: method } : { ok: false, error: { code: 'internal', message: 'no' } }),
      () => told.push('changed'),
    );
    for (const method of ['installClient', 'uninstallClient', 'restoreClient', 'adoptServers', 'listClients'])
      await dispatch(method, []);
    expect(told).toHaveLength(4);
    ok = false;
    await dispatch('installClient', []);
    expect(told).toHaveLength(4);
  });
});
