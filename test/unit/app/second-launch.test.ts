import { describe, expect, it } from 'vitest';
import { secondLaunch } from '../../../main/app/second-launch.ts';

describe('a second launch of the app', () => {
  const exe = '/opt/Switchboard/switchboard';

  it('opens the window, unless it was a launch at login or by a client (--hidden)', () => {
    expect(secondLaunch({ argv: [exe], quitting: false, ownArgs: [], executable: exe })).toEqual({ action: 'open' });
    expect(secondLaunch({ argv: [exe, '--hidden'], quitting: false, ownArgs: [], executable: exe })).toEqual({
      action: 'none',
    });
  });

  it('while the app quits, starts it again afterwards, showing its window; a hidden launch does nothing', () => {
    expect(secondLaunch({ argv: [exe], quitting: true, ownArgs: ['--hidden'], executable: exe })).toEqual({
      action: 'relaunch',
      execPath: exe,
      args: [],
    });
    // A development build: the app's folder stays the first argument.
    expect(secondLaunch({ argv: [exe, '.'], quitting: true, ownArgs: ['/repo', '--hidden'], executable: exe })).toEqual(
      {
        action: 'relaunch',
        execPath: exe,
        args: ['/repo'],
      },
    );
    // An AppImage starts its .AppImage file again, not the temporary mount it ran from.
    expect(
      secondLaunch({ argv: [exe], quitting: true, ownArgs: [], executable: '/home/ada/Switchboard.AppImage' }),
    ).toMatchObject({ action: 'relaunch', execPath: '/home/ada/Switchboard.AppImage' });
    expect(secondLaunch({ argv: [exe, '--hidden'], quitting: true, ownArgs: [], executable: exe })).toEqual({
      action: 'none',
    });
  });
});
