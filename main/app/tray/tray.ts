/** Electron wiring of the tray: renders the menu model from the tray feed (events, no polling). */
import { join } from 'node:path';
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import type { GatewayApi, GatewayEvents } from '../../../preload/contract/index.ts';
import {
  buildTrayMenuModel,
  toMenuTemplate,
  trayClickAction,
  trayIconFile,
  type TrayAction,
  type TrayHealth,
} from './menu-model.ts';
import { createTrayFeed, type TrayFeed } from './tray-feed.ts';

export interface AppTrayOptions {
  api: GatewayApi;
  events: GatewayEvents;
  resourcesDir: string;
  onAction(action: TrayAction): void;
}

export interface AppTray {
  readonly feed: TrayFeed;
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
  let rendered = '';
  const render = (): void => {
    const model = buildTrayMenuModel(feed.input());
    const key = JSON.stringify(model);
    if (key === rendered || tray.isDestroyed()) return;
    rendered = key;
    tray.setImage(icon(model.health));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model, onAction)));
  };
  // Electron flips a checkbox itself when it is clicked: the menu shown is then no longer the model,
  // and is built again at the next change even when the model is the same (a refused change).
  const onAction = (action: TrayAction): void => {
    rendered = '';
    options.onAction(action);
  };
  const feed = createTrayFeed({ api: options.api, events: options.events, onChange: render });
  render();
  const click = trayClickAction(process.platform);
  if (click !== undefined) tray.on('click', () => options.onAction(click));

  return {
    feed,
    destroy() {
      feed.dispose();
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
