/** Electron wiring of the tray: renders the menu model and refreshes it from the API. */
import { join } from 'node:path';
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import type { GatewayApi } from '../../../preload/contract/gateway-api.ts';
import { buildTrayMenuModel, toMenuTemplate, trayIconFile, type TrayAction, type TrayHealth, type TrayMenuInput } from './menu-model.ts';

export interface AppTrayOptions {
  api: GatewayApi;
  resourcesDir: string;
  onAction(action: TrayAction): void;
  /** How often the server list is polled while the app runs. */
  refreshMs?: number;
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
  let rendered = '';
  let inFlight: Promise<void> | null = null;

  const render = (input: TrayMenuInput): void => {
    const model = buildTrayMenuModel(input);
    const key = JSON.stringify(model);
    if (key === rendered || tray.isDestroyed()) return;
    rendered = key;
    tray.setImage(icon(model.health));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model, options.onAction)));
  };

  const fetchAndRender = async (): Promise<void> => {
    try {
      const servers = await options.api.listServers();
      render(error === undefined ? { servers } : { servers, error });
    } catch (err) {
      render({ servers: null, error: error ?? (err instanceof Error ? err.message : String(err)) });
    }
  };

  const refresh = (): Promise<void> => {
    inFlight ??= fetchAndRender().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const timer = setInterval(() => void refresh(), options.refreshMs ?? 2_000);
  render({ servers: null, starting: true });

  return {
    refresh,
    setError(message) {
      error = message;
      void refresh();
    },
    destroy() {
      clearInterval(timer);
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
