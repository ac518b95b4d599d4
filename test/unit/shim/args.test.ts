import { describe, expect, it } from 'vitest';
import { parseShimArgs } from '../../../main/shim/index.ts';
import { gatewayCommand } from '../../../main/shim/gateway.ts';

describe('parseShimArgs', () => {
  it('defaults to the default profile', () => {
    expect(parseShimArgs([], {})).toEqual({ profile: 'default' });
    expect(parseShimArgs([], { SWITCHBOARD_PROFILE: 'work' })).toEqual({ profile: 'work' });
  });

  it('reads --profile and --connect-timeout in both forms', () => {
    expect(parseShimArgs(['--profile', 'work'], {})).toEqual({ profile: 'work' });
    expect(parseShimArgs(['--profile=home', '--connect-timeout=500'], {})).toEqual({
      profile: 'home',
      connectTimeoutMs: 500,
    });
    expect(parseShimArgs(['-p', 'x'], { SWITCHBOARD_CONNECT_TIMEOUT_MS: '250' })).toEqual({
      profile: 'x',
      connectTimeoutMs: 250,
    });
  });

  it('rejects bad arguments', () => {
    expect(parseShimArgs(['--profile'], {})).toHaveProperty('error');
    expect(parseShimArgs(['--bogus'], {})).toHaveProperty('error');
    expect(parseShimArgs(['--connect-timeout', 'soon'], {})).toHaveProperty('error');
    expect(parseShimArgs(['--help'], {})).toBe('help');
  });
});

describe('gatewayCommand', () => {
  it('defaults to our own CLI with serve --background', () => {
    const argv = gatewayCommand({});
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]).toMatch(/main[/\\]cli\.ts$/);
    expect(argv.slice(2)).toEqual(['serve', '--background']);
  });

  it('takes SWITCHBOARD_GATEWAY_COMMAND as a JSON argv', () => {
    expect(gatewayCommand({ SWITCHBOARD_GATEWAY_COMMAND: '["/opt/sb","serve"]' })).toEqual(['/opt/sb', 'serve']);
    expect(() => gatewayCommand({ SWITCHBOARD_GATEWAY_COMMAND: '/opt/sb serve' })).toThrow(/JSON array/);
    expect(() => gatewayCommand({ SWITCHBOARD_GATEWAY_COMMAND: '[]' })).toThrow(/non-empty/);
    expect(() => gatewayCommand({ SWITCHBOARD_GATEWAY_COMMAND: '["a",1]' })).toThrow(/strings/);
  });
});
