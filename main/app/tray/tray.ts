/** Electron wiring of the tray: renders the menu model, fed by the control API's `servers` events (no polling). */
import { join } from 'node:path';
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import type { GatewayApi, GatewayEvents, ServerView } from '../../../preload/contract/index.ts';
import { buildTrayMenuModel, toMenuTemplate, trayIconFile, type TrayAction, type TrayHealth } from './menu-model.ts';

export interface AppTrayOptions {
  api: GatewayApi;
  events: GatewayEvents;
  resourcesDir: string;
  onAction(action: TrayAction): void;
}

export interface AppTray {
  /** Fetches the server list and re-renders; never rejects. */
  refresh(): Promise<void>;
  /** Shows a gateway-level problem (e.g. failed start) until cleared with undefined. */
  setError(message: string | undefined): void;
  destroy(): void;
}

export function createAppTray(options: AppTrayOptions): AppTray {
  const icons = new Map<TrayHealth, NativeImage>();
  const icon = (health: TrayHealth): NativeImage => {
    let image = icons.get(health);
    if (image === undefined) {
      image = nativeImage.createFromPath(join(options.resourcesDir, trayIconFile(health, process.platform)));
      icons.set(health, image);
    }
    return image;
  };

  const tray = new Tray(icon('idle'));
  let error: string | undefined;
  let servers: readonly ServerView[] | null = null;
  let fetchError: string | undefined;
  let rendered = '';

  const render = (): void => {
    const problem = error ?? fetchError;
    const model = buildTrayMenuModel(
      servers === null && problem === undefined
        ? { servers, starting: true }
        : problem === undefined
          ? { servers }
          : { servers, error: problem },
    );
    const key = JSON.stringify(model);
    if (key === rendered || tray.isDestroyed()) return;
    rendered = key;
    tray.setImage(icon(model.health));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model, options.onAction)));
  };

  const unsubscribe = options.events.on('servers', (list) => {
    servers = list;
    fetchError = undefined;
    render();
  });

  const refresh = async (): Promise<void> => {
    try {
      servers = await options.api.listServers();
      fetchError = undefined;
    } catch (err) {
      fetchError = err instanceof Error ? err.message : String(err);
    }
    render();
  };

  render();

  return {
    refresh,
    setError(message) {
      error = message;
      render();
    },
    destroy() {
      unsubscribe();
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
