/**
 * Run by bin/switchboard.js under the project's Node (an older Node cannot run TypeScript), the CLI
 * is the launcher's child. The launcher passes signals on, but one killed with SIGKILL cannot: its
 * child ran on, an orphan holding the port and the lock, so a supervisor's restart found "another
 * gateway". The launcher hands the child one end of a pipe; the pipe closes when the launcher ends,
 * however it ends, and the CLI then stops as for SIGTERM (its servers first).
 */
import net from 'node:net';

export const LAUNCHER_PIPE_ENV = 'SWITCHBOARD_LAUNCHER_FD';

export function watchLauncherPipe(): void {
  const text = process.env[LAUNCHER_PIPE_ENV];
  // Not for the servers and background gateways it starts: they have no such pipe.
  delete process.env[LAUNCHER_PIPE_ENV];
  const fd = Number(text);
  if (text === undefined || !Number.isInteger(fd) || fd < 3) return;
  let pipe: net.Socket;
  try {
    pipe = new net.Socket({ fd, readable: true, writable: false });
  } catch {
    return; // not a pipe after all (the variable came from elsewhere): nothing to watch
  }
  // Watching must not keep a finished command alive.
  pipe.unref();
  pipe.on('error', () => undefined);
  pipe.once('close', () => process.kill(process.pid, 'SIGTERM'));
  pipe.resume();
}
