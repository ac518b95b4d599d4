import { describe, expect, it } from 'vitest';
import { statusText } from '../../../../main/engine/upstreams/status-text.ts';
import type { UpstreamStatus } from '../../../../main/engine/upstreams/types.ts';

const at = 1_000_000;
const status = (s: Partial<UpstreamStatus>): UpstreamStatus => ({
  name: 'notes',
  kind: 'stdio',
  state: 'ready',
  restarts: 0,
  since: at,
  ...s,
});

describe("a server's state as a line of its log", () => {
  it('says why a local server is started again, and when, in words rather than "backoff"', () => {
    const waiting = status({
      state: 'backoff',
      lastError: 'exited with code 1: cannot open notes.db',
      retryAt: at + 500,
    });
    expect(statusText(waiting)).toBe('exited with code 1: cannot open notes.db; restarting in 500 ms');
    expect(statusText({ ...waiting, retryAt: at + 2_000 })).toBe(
      'exited with code 1: cannot open notes.db; restarting in 2 s',
    );
    expect(statusText({ ...waiting, retryAt: at + 300_000 })).toBe(
      'exited with code 1: cannot open notes.db; restarting in 5 min',
    );
    expect(statusText({ ...waiting, retryAt: undefined })).toBe(
      'exited with code 1: cannot open notes.db; restarting soon',
    );
  });

  it('says a remote server or a handler is tried again (it has no process to restart)', () => {
    for (const kind of ['http', 'handler-http', 'handler-fastcgi'] as const)
      expect(
        statusText(status({ kind, state: 'backoff', lastError: 'connection refused', retryAt: at + 30_000 })),
      ).toBe('connection refused; retrying in 30 s');
  });

  it('keeps the words of the other states, with why it failed', () => {
    expect(statusText(status({ state: 'ready' }))).toBe('ready');
    expect(statusText(status({ state: 'starting' }))).toBe('starting');
    expect(statusText(status({ state: 'stopped' }))).toBe('stopped');
    expect(statusText(status({ state: 'failed', lastError: 'gave up after 6 tries: exited with code 1' }))).toBe(
      'failed: gave up after 6 tries: exited with code 1',
    );
  });

  it('does not repeat the error the line before told on a start or a stop, but tells a new reason', () => {
    const error = 'exited with code 1: cannot open notes.db';
    expect(statusText(status({ state: 'starting', lastError: error }), error)).toBe('starting');
    expect(statusText(status({ state: 'stopped', lastError: error }), error)).toBe('stopped');
    // A server still reading its secrets is starting for that reason.
    const reading = 'reading its secrets from the keychain';
    expect(statusText(status({ state: 'starting', lastError: reading }))).toBe(`starting: ${reading}`);
    // A try that failed the same way again is told again.
    expect(statusText(status({ state: 'backoff', lastError: error, retryAt: at + 1000 }), error)).toBe(
      `${error}; restarting in 1 s`,
    );
  });
});
