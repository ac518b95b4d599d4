/**
 * What the tray's items do (main/app/desktop.ts trayActions), with the Electron stand-in
 * (test/helpers/electron-stand-in.ts; the Electron runtime cannot run here) and a control API that
 * records its calls.
 */
import { describe, expect, it, vi } from 'vitest';
import type { GatewayApi } from '../../../preload/contract/index.ts';
import { StandInNotification } from '../../helpers/electron-stand-in.ts';

vi.mock('electron', () => import('../../helpers/electron-stand-in.ts'));

describe('tray actions', () => {
  it('updates an entry with its profile, or with default when the config no longer has it', async () => {
    const { trayActions } = await import('../../../main/app/desktop.ts');
    const installed: [string, string | undefined][] = [];
    const api = {
      listProfiles: async () => [{ name: 'default' }, { name: 'work' }],
      installClient: async (client: string, profile?: string) => {
        installed.push([client, profile]);
        return { path: '/x', written: true };
      },
    } as unknown as GatewayApi;
    const act = trayActions({
      api,
      window: { open: () => undefined } as never,
      tray: () => null,
      loginItem: {} as never,
      setStartAtLogin: () => undefined,
    });
    act({ type: 'install', client: 'zed', profile: 'work' });
    act({ type: 'install', client: 'cursor', profile: 'gone' });
    await vi.waitFor(() => expect(installed).toHaveLength(2));
    expect(installed).toEqual(
      expect.arrayContaining([
        ['zed', 'work'],
        ['cursor', undefined],
      ]),
    );
  });

  it('says why start at login did not take, and shows the box as it is', async () => {
    const { trayActions } = await import('../../../main/app/desktop.ts');
    const shown: boolean[] = [];
    const before = StandInNotification.shown.length;
    const act = trayActions({
      api: {} as GatewayApi,
      window: { open: () => undefined } as never,
      tray: () => null,
      loginItem: {
        setEnabled: async () => {
          throw new Error('macOS waits for you to allow it: in System Settings → General → Login Items, turn it on');
        },
        isEnabled: async () => false,
      } as never,
      setStartAtLogin: (enabled) => shown.push(enabled),
    });
    act({ type: 'start-at-login', enabled: true });
    await vi.waitFor(() => expect(StandInNotification.shown.length).toBe(before + 1));
    expect(StandInNotification.shown.at(-1)!.options).toEqual({
      title: 'Could not start at login',
      body: 'macOS waits for you to allow it: in System Settings → General → Login Items, turn it on',
    });
    expect(shown).toEqual([false]);
  });
});
