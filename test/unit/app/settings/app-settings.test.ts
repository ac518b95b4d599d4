import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_SIZE,
  defaultSettings,
  MIN_WINDOW_SIZE,
  sanitize,
  settingValue,
  visibleBounds,
  type DisplayArea,
} from '../../../../main/app/settings/app-settings.ts';

describe('sanitize', () => {
  it('gives the defaults for a missing or unreadable file', () => {
    for (const raw of [undefined, null, 'garbage', 42, [], true]) {
      expect(sanitize(raw)).toEqual(defaultSettings());
    }
    expect(defaultSettings()).toEqual({
      window: { bounds: null, maximized: false },
      theme: 'system',
      startAtLogin: false,
      updateChannel: 'stable',
    });
  });

  it('keeps valid settings as they are', () => {
    const settings = {
      window: { bounds: { x: -1200, y: 40, width: 1000, height: 700 }, maximized: true },
      theme: 'dark',
      startAtLogin: true,
      updateChannel: 'beta',
    } as const;
    expect(sanitize(settings)).toEqual(settings);
  });

  it('fills in what an older version did not write and ignores keys it does not know', () => {
    expect(sanitize({ theme: 'light', futureKey: { a: 1 } })).toEqual({ ...defaultSettings(), theme: 'light' });
  });

  it('replaces each bad value with its default, keeping the good ones', () => {
    expect(
      sanitize({
        window: { bounds: { x: 'left', y: 0, width: 800, height: 600 }, maximized: 'yes' },
        theme: 'purple',
        startAtLogin: 1,
        updateChannel: 'nightly',
      }),
    ).toEqual(defaultSettings());
    expect(sanitize({ theme: 'purple', updateChannel: 'off' })).toEqual({ ...defaultSettings(), updateChannel: 'off' });
  });

  it('forgives hand edits: case, spaces and quoted booleans', () => {
    expect(sanitize({ theme: ' Dark ', updateChannel: 'BETA', startAtLogin: 'true' })).toMatchObject({
      theme: 'dark',
      updateChannel: 'beta',
      startAtLogin: true,
    });
    expect(sanitize({ window: { bounds: null, maximized: 'false' } }).window).toEqual({
      bounds: null,
      maximized: false,
    });
  });

  it('drops bounds that cannot be a window and raises tiny ones to the minimum size', () => {
    const bounds = (b: unknown) => sanitize({ window: { bounds: b } }).window.bounds;
    expect(bounds({ x: 0, y: 0, width: 0, height: 600 })).toBeNull();
    expect(bounds({ x: 0, y: 0, width: -5, height: 600 })).toBeNull();
    expect(bounds({ x: Number.NaN, y: 0, width: 800, height: 600 })).toBeNull();
    expect(bounds({ x: 1e12, y: 0, width: 800, height: 600 })).toBeNull();
    expect(bounds({ x: 0, y: 0, width: 800 })).toBeNull();
    expect(bounds([0, 0, 800, 600])).toBeNull();
    expect(bounds({ x: 10.4, y: 20.6, width: 100, height: 50 })).toEqual({
      x: 10,
      y: 21,
      width: MIN_WINDOW_SIZE.width,
      height: MIN_WINDOW_SIZE.height,
    });
  });

  it('reads only own properties', () => {
    const raw = JSON.parse('{"__proto__": {"theme": "dark"}, "constructor": {"theme": "dark"}}') as unknown;
    expect(sanitize(raw)).toEqual(defaultSettings());
    expect(sanitize(Object.create({ theme: 'dark' }))).toEqual(defaultSettings());
  });
});

describe('settingValue', () => {
  it('checks one setting and refuses what cannot be one', () => {
    expect(settingValue('theme', 'light')).toBe('light');
    expect(settingValue('theme', 'sepia')).toBeUndefined();
    expect(settingValue('updateChannel', 'off')).toBe('off');
    expect(settingValue('startAtLogin', false)).toBe(false);
    expect(settingValue('startAtLogin', undefined)).toBeUndefined();
    expect(settingValue('window', 'big')).toBeUndefined();
    expect(settingValue('window', { bounds: { x: 1, y: 2, width: 900, height: 700 }, maximized: false })).toEqual({
      bounds: { x: 1, y: 2, width: 900, height: 700 },
      maximized: false,
    });
  });
});

describe('visibleBounds', () => {
  const laptop: DisplayArea = { workArea: { x: 0, y: 25, width: 1440, height: 875 }, primary: true };
  // An external monitor to the left of the laptop.
  const external: DisplayArea = { workArea: { x: -2560, y: 0, width: 2560, height: 1440 } };
  const centredOnLaptop = {
    x: (1440 - DEFAULT_WINDOW_SIZE.width) / 2,
    y: 25 + Math.round((875 - DEFAULT_WINDOW_SIZE.height) / 2),
    width: DEFAULT_WINDOW_SIZE.width,
    height: DEFAULT_WINDOW_SIZE.height,
  };

  it('opens a first window at the default size, centred on the primary display', () => {
    expect(visibleBounds(null, [external, laptop])).toEqual(centredOnLaptop);
  });

  it('restores a window where it was', () => {
    const saved = { x: 100, y: 100, width: 900, height: 600 };
    expect(visibleBounds(saved, [laptop])).toEqual(saved);
    const onExternal = { x: -2000, y: 200, width: 1600, height: 1000 };
    expect(visibleBounds(onExternal, [laptop, external])).toEqual(onExternal);
  });

  it('keeps a window partly off-screen while its title bar can be grabbed', () => {
    const saved = { x: 1200, y: 500, width: 900, height: 600 };
    expect(visibleBounds(saved, [laptop])).toEqual(saved);
  });

  it('brings back a window left on a monitor that was unplugged', () => {
    expect(visibleBounds({ x: -2000, y: 200, width: 1600, height: 1000 }, [laptop])).toEqual(centredOnLaptop);
  });

  it('brings back a window whose title bar is out of reach', () => {
    // Only the bottom of the window shows; the title bar is above the display.
    expect(visibleBounds({ x: 100, y: -600, width: 900, height: 700 }, [laptop])).toEqual(centredOnLaptop);
    // Only a sliver at the right edge shows.
    expect(visibleBounds({ x: 1400, y: 100, width: 900, height: 700 }, [laptop])).toEqual(centredOnLaptop);
  });

  it('shrinks a window that no longer fits its display', () => {
    const big = { x: 200, y: 100, width: 2400, height: 1300 };
    expect(visibleBounds(big, [laptop])).toEqual({ x: 0, y: 25, width: 1440, height: 875 });
    const wide = { x: 200, y: 100, width: 2000, height: 600 };
    expect(visibleBounds(wide, [laptop])).toEqual({ x: 0, y: 100, width: 1440, height: 600 });
  });

  it('takes the first display as primary when none says so, and fits the default to a small one', () => {
    const small: DisplayArea = { workArea: { x: 0, y: 0, width: 1024, height: 600 } };
    expect(visibleBounds(undefined, [small])).toEqual({ x: 0, y: 0, width: 1024, height: 600 });
  });

  it('keeps the saved bounds when no display is known', () => {
    const saved = { x: 5, y: 5, width: 800, height: 600 };
    expect(visibleBounds(saved, [])).toEqual(saved);
    expect(visibleBounds(null, [])).toEqual({ x: 0, y: 0, ...DEFAULT_WINDOW_SIZE });
  });
});
