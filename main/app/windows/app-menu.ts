/**
 * The application menu, as data (desktop.ts hands it to Menu.setApplicationMenu). Without one,
 * Electron's default menu ships in the installed app: Reload, Force Reload and Toggle Developer
 * Tools (Ctrl+R, Ctrl+Shift+I), and a Help menu whose items open Electron's website. Installed
 * builds get the edit and zoom commands only; a development build keeps reload and the tools.
 */
import type { MenuItemConstructorOptions } from 'electron';

export function appMenuTemplate(input: { platform: string; isPackaged: boolean }): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions = input.isPackaged
    ? {
        label: 'View',
        submenu: [
          { role: 'resetZoom' },
          { role: 'zoomIn' },
          { role: 'zoomOut' },
          { type: 'separator' },
          { role: 'togglefullscreen' },
        ],
      }
    : { role: 'viewMenu' };
  // macOS needs the Edit menu for ⌘C, ⌘V and ⌘A to work in the page's fields; the app menu holds Quit.
  if (input.platform === 'darwin') return [{ role: 'appMenu' }, { role: 'editMenu' }, view, { role: 'windowMenu' }];
  return [{ role: 'editMenu' }, view];
}
