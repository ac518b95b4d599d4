import { describe, expect, it } from 'vitest';
import { secondLaunch } from '../../../main/app/second-launch.ts';

describe('a second launch of the app', () => {
  const exe = '/opt/Switchboard/switchboard';

  it('opens the window, unless it was a launch at login or by a client (--hidden)', () => {
    expect(secondLaunch({ argv: [exe], quitting: false, ownArgs: [] })).toEqual({ action: 'open' });
    expect(secondLaunch({ argv: [exe, '--hidden'], quitting: false, ownArgs: [] })).toEqual({ action: 'none' });
  });

  it('while the app quits, starts it again afterwards, showing its window; a hidden launch does nothing', () => {
    expect(secondLaunch({ argv: [exe], quitting: true, ownArgs: ['--hidden'] })).toEqual({
      action: 'relaunch',
      args: [],
    });
    // A development build: the app's folder stays the first argument.
    expect(secondLaunch({ argv: [exe, '.'], quitting: true, ownArgs: ['/repo', '--hidden'] })).toEqual({
      action: 'relaunch',
      args: ['/repo'],
    });
    expect(secondLaunch({ argv: [exe, '--hidden'], quitting: true, ownArgs: [] })).toEqual({ action: 'none' });
  });
});
