import { describe, expect, it } from 'vitest';
import {
  describeUpdateState,
  INITIAL_UPDATE_STATE,
  nextUpdateState,
  shouldCheckNow,
  UPDATE_INTERVAL_MS,
  updateErrorMessage,
  updatePlan,
  type UpdateEvent,
  type UpdatePlanInput,
  type UpdateState,
} from '../../../../main/app/updates/update-plan.ts';

const FEED = 'https://updates.example.com/switchboard/';

const input = (extra: Partial<UpdatePlanInput> = {}): UpdatePlanInput => ({
  isPackaged: true,
  platform: 'win32',
  env: {},
  channel: 'stable',
  feedUrl: FEED,
  isAppImage: false,
  ...extra,
});

const reason = (extra: Partial<UpdatePlanInput>): string => {
  const plan = updatePlan(input(extra));
  if (plan.check) throw new Error('expected no check');
  return plan.reason;
};

describe('updatePlan', () => {
  it('checks the configured feed on the chosen channel', () => {
    expect(updatePlan(input())).toEqual({
      check: true,
      channel: 'stable',
      feedChannel: 'latest',
      feed: FEED,
      intervalMs: UPDATE_INTERVAL_MS,
    });
    expect(updatePlan(input({ channel: 'beta', platform: 'darwin' }))).toMatchObject({
      check: true,
      channel: 'beta',
      feedChannel: 'beta',
    });
  });

  it('does not update a development build', () => {
    expect(reason({ isPackaged: false })).toMatch(/development build/);
  });

  it('can be turned off in app-settings.json or by SWITCHBOARD_DISABLE_UPDATES', () => {
    // The window has no Settings entry for it: the reason names the file and the key.
    expect(reason({ channel: 'off' })).toBe('updates are turned off in app-settings.json ("updateChannel": "off")');
    expect(reason({ env: { SWITCHBOARD_DISABLE_UPDATES: '1' } })).toMatch(/SWITCHBOARD_DISABLE_UPDATES/);
    expect(reason({ env: { SWITCHBOARD_DISABLE_UPDATES: 'true' } })).toMatch(/SWITCHBOARD_DISABLE_UPDATES/);
    expect(updatePlan(input({ env: { SWITCHBOARD_DISABLE_UPDATES: '0' } })).check).toBe(true);
    expect(updatePlan(input({ env: { SWITCHBOARD_DISABLE_UPDATES: '' } })).check).toBe(true);
  });

  it('on Linux, updates only an AppImage; deb and rpm installs update through the package manager', () => {
    expect(reason({ platform: 'linux', isAppImage: false })).toMatch(/package manager/);
    expect(updatePlan(input({ platform: 'linux', isAppImage: true })).check).toBe(true);
  });

  it('does not update an unsigned macOS build, nor on other systems', () => {
    expect(reason({ platform: 'darwin', signed: false })).toMatch(/unsigned/);
    expect(updatePlan(input({ platform: 'darwin', signed: true })).check).toBe(true);
    // Windows updates unsigned builds (no publisher check is configured).
    expect(updatePlan(input({ platform: 'win32', signed: false })).check).toBe(true);
    expect(reason({ platform: 'freebsd' })).toMatch(/not supported on freebsd/);
  });

  it('needs a feed; SWITCHBOARD_UPDATE_FEED overrides the configured one', () => {
    expect(reason({ feedUrl: undefined })).toMatch(/no update feed/);
    expect(reason({ feedUrl: '  ' })).toMatch(/no update feed/);
    expect(
      updatePlan(input({ feedUrl: undefined, env: { SWITCHBOARD_UPDATE_FEED: 'https://mirror.example.org/sb' } })),
    ).toMatchObject({ check: true, feed: 'https://mirror.example.org/sb' });
    expect(updatePlan(input({ env: { SWITCHBOARD_UPDATE_FEED: 'https://mirror.example.org/sb' } }))).toMatchObject({
      feed: 'https://mirror.example.org/sb',
    });
    expect(updatePlan(input({ env: { SWITCHBOARD_UPDATE_FEED: '' } }))).toMatchObject({ feed: FEED });
  });

  it('accepts https feeds only', () => {
    expect(reason({ feedUrl: 'http://updates.example.com/' })).toMatch(/must use https \(it uses http:\)/);
    expect(reason({ env: { SWITCHBOARD_UPDATE_FEED: 'file:///tmp/feed' } })).toMatch(/must use https/);
    expect(reason({ env: { SWITCHBOARD_UPDATE_FEED: 'ftp://x.example/' } })).toMatch(/must use https/);
    expect(reason({ feedUrl: 'not a url' })).toMatch(/not a valid URL/);
    expect(reason({ feedUrl: 'https://user:pw@updates.example.com/' })).toMatch(/credentials/);
  });

  it('gives the first reason that applies', () => {
    expect(reason({ isPackaged: false, channel: 'off', feedUrl: 'http://x/' })).toMatch(/development/);
    expect(reason({ channel: 'off', feedUrl: 'http://x/' })).toMatch(/updateChannel/);
  });
});

describe('shouldCheckNow', () => {
  const hour = 3_600_000;
  it('checks first, then once per interval', () => {
    expect(shouldCheckNow(undefined, 1_000, hour)).toBe(true);
    expect(shouldCheckNow(1_000, 1_000 + hour - 1, hour)).toBe(false);
    expect(shouldCheckNow(1_000, 1_000 + hour, hour)).toBe(true);
  });

  it('checks after a long sleep and when the clock went backwards', () => {
    expect(shouldCheckNow(0, 30 * hour, hour)).toBe(true);
    expect(shouldCheckNow(10 * hour, 5 * hour, hour)).toBe(true);
  });
});

describe('update state', () => {
  const run = (events: UpdateEvent[], from: UpdateState = INITIAL_UPDATE_STATE): UpdateState =>
    events.reduce(nextUpdateState, from);

  it('walks through a check that finds, downloads and readies an update', () => {
    const seen: string[] = [];
    let state = INITIAL_UPDATE_STATE;
    seen.push(describeUpdateState(state));
    for (const event of [
      { type: 'checking' },
      { type: 'available', version: '1.3.0' },
      { type: 'progress', percent: 12.7 },
      { type: 'progress', percent: 99.9 },
      { type: 'downloaded', version: '1.3.0' },
    ] satisfies UpdateEvent[]) {
      state = nextUpdateState(state, event);
      seen.push(describeUpdateState(state));
    }
    expect(seen).toEqual([
      'Switchboard checks for updates automatically',
      'Checking for updates…',
      'Version 1.3.0 is available; downloading…',
      'Downloading version 1.3.0: 12%',
      'Downloading version 1.3.0: 99%',
      'Version 1.3.0 is ready: it installs when you quit Switchboard',
    ]);
    expect(state).toEqual({ kind: 'ready', version: '1.3.0' });
  });

  it('says so when there is nothing new', () => {
    const state = run([{ type: 'checking' }, { type: 'not-available' }]);
    expect(state).toEqual({ kind: 'idle', upToDate: true });
    expect(describeUpdateState(state)).toBe('Switchboard is up to date');
  });

  it('keeps a ready update whatever follows: it still installs on quit', () => {
    const ready: UpdateState = { kind: 'ready', version: '2.0.0' };
    for (const event of [
      { type: 'checking' },
      { type: 'error', message: 'net::ERR_INTERNET_DISCONNECTED' },
      { type: 'not-available' },
      { type: 'cancelled' },
    ] satisfies UpdateEvent[]) {
      expect(nextUpdateState(ready, event)).toBe(ready);
    }
  });

  it('turns a failure into a short message and recovers on the next check', () => {
    const failed = run([
      { type: 'checking' },
      { type: 'error', message: 'getaddrinfo ENOTFOUND updates.example.com\n    at GetAddrInfoReqWrap...' },
    ]);
    expect(failed).toEqual({ kind: 'error', message: 'could not reach the update server' });
    expect(describeUpdateState(failed)).toBe('Could not update: could not reach the update server');
    expect(nextUpdateState(failed, { type: 'checking' })).toEqual({ kind: 'checking' });
    const downloading = run([
      { type: 'available', version: '1.1.0' },
      { type: 'progress', percent: 40 },
    ]);
    expect(nextUpdateState(downloading, { type: 'error', message: 'sha512 checksum mismatch' })).toEqual({
      kind: 'error',
      message: 'sha512 checksum mismatch',
    });
  });

  it('returns the same state when nothing the user sees changes', () => {
    const checking = run([{ type: 'checking' }]);
    expect(nextUpdateState(checking, { type: 'checking' })).toBe(checking);
    const downloading = run([
      { type: 'available', version: '1.1.0' },
      { type: 'progress', percent: 40.2 },
    ]);
    expect(nextUpdateState(downloading, { type: 'progress', percent: 40.9 })).toBe(downloading);
    // The updater reports a failed check twice (an event and the rejected promise): one state.
    const failed = run([{ type: 'error', message: 'boom' }]);
    expect(nextUpdateState(failed, { type: 'error', message: 'boom' })).toBe(failed);
  });

  it('does not let a periodic check hide a running download', () => {
    const downloading = run([
      { type: 'available', version: '1.1.0' },
      { type: 'progress', percent: 5 },
    ]);
    expect(nextUpdateState(downloading, { type: 'checking' })).toBe(downloading);
    expect(nextUpdateState(downloading, { type: 'available', version: '1.1.0' })).toBe(downloading);
  });

  it('keeps progress within 0-100 and copes without a version', () => {
    expect(run([{ type: 'progress', percent: 140 }])).toEqual({ kind: 'downloading', percent: 100 });
    expect(run([{ type: 'progress', percent: Number.NaN }])).toEqual({ kind: 'downloading', percent: 0 });
    expect(describeUpdateState({ kind: 'downloading', percent: 3 })).toBe('Downloading an update: 3%');
    expect(run([{ type: 'available', version: '1.0.1' }, { type: 'cancelled' }])).toEqual(INITIAL_UPDATE_STATE);
  });
});

describe('updateErrorMessage', () => {
  it('keeps the first line, shortened, and names known failures plainly', () => {
    expect(updateErrorMessage('Error: boom\n    at x (y.js:1:1)')).toBe('Error: boom');
    expect(updateErrorMessage('x'.repeat(500))).toHaveLength(200);
    expect(updateErrorMessage('')).toBe('the update failed');
    expect(
      updateErrorMessage('Cannot find channel "beta.yml" update info: ...', 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND'),
    ).toBe('the update feed has no release for this channel');
    expect(updateErrorMessage('connect ECONNREFUSED 10.0.0.1:443')).toBe('could not reach the update server');
  });
});
