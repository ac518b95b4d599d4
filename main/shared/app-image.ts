/**
 * The .AppImage file this process runs from, if it does. The AppImage runtime sets APPIMAGE (the
 * file) and APPDIR (where it is mounted) for its program, and every child inherits both: a
 * Switchboard installed another way and started from an AppImage terminal or editor (Cursor and
 * VS Code ship as AppImages) sees that program's. So APPIMAGE counts only when this executable
 * lies inside APPDIR; otherwise clients, autostart and updates would be pointed at another program.
 */
import path from 'node:path';

export function ownAppImage(
  env: Readonly<Record<string, string | undefined>>,
  execPath: string,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (platform !== 'linux') return undefined;
  const image = env.APPIMAGE;
  const mount = env.APPDIR;
  if (!image || !mount || !path.posix.isAbsolute(image) || !path.posix.isAbsolute(mount)) return undefined;
  const inside = path.posix.relative(mount, execPath);
  return inside !== '' && !inside.startsWith('..') && !path.posix.isAbsolute(inside) ? image : undefined;
}
