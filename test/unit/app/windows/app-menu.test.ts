import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { appMenuTemplate } from '../../../../main/app/windows/app-menu.ts';

/** Every role and label in a template, submenus included. */
function entries(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((item) => [
    ...(item.role ? [item.role] : []),
    ...(item.label ? [item.label] : []),
    ...(Array.isArray(item.submenu) ? entries(item.submenu) : []),
  ]);
}

describe('application menu', () => {
  it.each(['darwin', 'win32', 'linux'])(
    'has no reload, developer tools or Electron help when installed (%s)',
    (platform) => {
      const menu = entries(appMenuTemplate({ platform, isPackaged: true }));
      expect(menu).toEqual(expect.arrayContaining(['editMenu', 'zoomIn', 'zoomOut', 'resetZoom']));
      expect(menu.filter((e) => /reload|devtools|viewMenu|help/i.test(e))).toEqual([]);
    },
  );

  it("keeps macOS's app menu (Quit) and the Edit menu its copy and paste keys need", () => {
    expect(entries(appMenuTemplate({ platform: 'darwin', isPackaged: true }))).toEqual(
      expect.arrayContaining(['appMenu', 'editMenu', 'windowMenu']),
    );
  });

  it('keeps reload and the developer tools in a development build', () => {
    expect(entries(appMenuTemplate({ platform: 'linux', isPackaged: false }))).toContain('viewMenu');
  });
});
