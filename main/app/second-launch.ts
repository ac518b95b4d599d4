/**
 * What a second launch of the app asks of the copy that runs ('second-instance'), without Electron
 * values. The second copy has already given way (it quits at once), so whatever the user meant by
 * launching it is this copy's to do.
 */
import { HIDDEN_ARG, startedHidden } from './login/autostart.ts';

export type SecondLaunch =
  /** Bring the window to the front (or open it). */
  | { action: 'open' }
  /** A launch at login or by a client's shim (`--hidden`): the tray is enough. */
  | { action: 'none' }
  /** Start again once this copy has quit (Electron's app.relaunch options). */
  | { action: 'relaunch'; execPath: string; args: string[] };

/**
 * `argv`: the second launch's; `ownArgs`: this copy's arguments after the executable
 * (process.argv.slice(1), which Electron's relaunch starts with by default); `executable`: the file
 * to start again, launchExecutable() (an AppImage's temporary mount is gone once it has quit). While this copy is
 * quitting, a window opened now would go with it a moment later and the launch would have opened
 * nothing: it starts again after the quit instead, showing its window. A hidden launch then is a
 * client's or the login's, and the user quit: nothing.
 */
export function secondLaunch(input: {
  argv: readonly string[];
  quitting: boolean;
  ownArgs: readonly string[];
  executable: string;
}): SecondLaunch {
  if (startedHidden({ argv: input.argv })) return { action: 'none' };
  if (!input.quitting) return { action: 'open' };
  return { action: 'relaunch', execPath: input.executable, args: input.ownArgs.filter((arg) => arg !== HIDDEN_ARG) };
}
