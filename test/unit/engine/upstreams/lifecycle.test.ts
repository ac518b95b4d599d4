import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import {
  DEFAULT_BACKOFF,
  UpstreamLifecycle,
  WAIT_FOR_RETRY_MS,
  backoffDelay,
  retryForever,
  type BackoffPolicy,
} from '../../../../main/engine/upstreams/lifecycle.ts';
import { MAX_RETRY_AFTER_MS } from '../../../../main/engine/upstreams/retry-after.ts';
import type { UpstreamEvents, UpstreamInfo, UpstreamStatus } from '../../../../main/engine/upstreams/types.ts';

const POLICY: BackoffPolicy = { initialMs: 100, maxMs: 400, maxAttempts: 6, stableMs: 1000 };
const INFO: UpstreamInfo = {
  protocolVersion: '2025-11-25',
  capabilities: {},
  serverInfo: { name: 'backend', version: '1' },
};

function make(policy: BackoffPolicy = POLICY, pid?: () => number | undefined) {
  const events = new EventEmitter<UpstreamEvents>();
  const statuses: UpstreamStatus[] = [];
  const readies: UpstreamInfo[] = [];
  events.on('status', (s) => statuses.push(s));
  events.on('ready', (info) => readies.push(info));
  const lifecycle = new UpstreamLifecycle({ name: 'srv', kind: 'stdio', policy, events, ...(pid ? { pid } : {}) });
  return { lifecycle, statuses, readies, states: () => statuses.map((s) => s.state) };
}

/** Fails every attempt, as a backend that is down would, and counts the attempts. */
function failing(lifecycle: UpstreamLifecycle, reason = 'connection refused') {
  const run = { attempts: 0 };
  const attempt = (): void => {
    run.attempts++;
    lifecycle.starting();
    lifecycle.retry(reason, attempt);
  };
  return { run, attempt };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('UpstreamLifecycle', () => {
  it('starts stopped, with a status that names the server', () => {
    const { lifecycle } = make();
    expect(lifecycle.state).toBe('stopped');
    expect(lifecycle.status()).toEqual({
      name: 'srv',
      kind: 'stdio',
      state: 'stopped',
      restarts: 0,
      since: Date.now(),
    });
    expect(lifecycle.info()).toBeUndefined();
  });

  it('begin() has work only when stopped or failed', () => {
    const { lifecycle } = make();
    expect(lifecycle.begin()).toBe(true);
    lifecycle.starting();
    expect(lifecycle.begin()).toBe(false);
    lifecycle.ready(INFO);
    expect(lifecycle.begin()).toBe(false);
    lifecycle.lost('exited with code 1', () => undefined);
    expect(lifecycle.state).toBe('backoff');
    expect(lifecycle.begin()).toBe(false);
    lifecycle.fail('gave up');
    expect(lifecycle.begin()).toBe(true);
  });

  it('starting → ready: status events, a ready event, waiters resolved, info while ready', async () => {
    const { lifecycle, states, readies } = make();
    lifecycle.begin();
    lifecycle.starting();
    const waiting = lifecycle.whenReady(1000);
    expect(lifecycle.info()).toBeUndefined();
    vi.advanceTimersByTime(50);
    lifecycle.ready(INFO);
    await expect(waiting).resolves.toBe(INFO);
    expect(states()).toEqual(['starting', 'ready']);
    expect(readies).toEqual([INFO]);
    expect(lifecycle.info()).toBe(INFO);
    expect(lifecycle.status()).toEqual({ name: 'srv', kind: 'stdio', state: 'ready', restarts: 0, since: Date.now() });
    await expect(lifecycle.whenReady(10)).resolves.toBe(INFO);
  });

  it('a second ready() while ready changes nothing', () => {
    const { lifecycle, states, readies } = make();
    lifecycle.starting();
    lifecycle.ready(INFO);
    lifecycle.ready({ ...INFO, protocolVersion: 'other' });
    expect(states()).toEqual(['starting', 'ready']);
    expect(readies).toHaveLength(1);
    expect(lifecycle.info()).toBe(INFO);
  });

  it('retries after doubling delays capped at maxMs, then fails at maxAttempts', async () => {
    const { lifecycle, statuses } = make();
    const { run, attempt } = failing(lifecycle);
    lifecycle.begin();
    attempt();
    expect(lifecycle.status()).toMatchObject({
      state: 'backoff',
      lastError: 'connection refused',
      retryAt: Date.now() + 100,
    });
    // Not before its time.
    await vi.advanceTimersByTimeAsync(99);
    expect(run.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1 + 200 + 400 + 400 + 400);
    expect(run.attempts).toBe(6);
    expect(lifecycle.status()).toMatchObject({
      state: 'failed',
      lastError: 'gave up after 6 tries: connection refused',
    });
    expect(lifecycle.status().retryAt).toBeUndefined();
    const delays = statuses.filter((s) => s.state === 'backoff').map((s) => s.retryAt! - s.since);
    expect(delays).toEqual([100, 200, 400, 400, 400]);
    // Given up: nothing more is scheduled.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(run.attempts).toBe(6);
  });

  it('failed: waiters and later whenReady calls are told why', async () => {
    const { lifecycle } = make({ ...POLICY, maxAttempts: 2 });
    const { attempt } = failing(lifecycle, 'exited with code 3');
    lifecycle.begin();
    attempt();
    const waiting = lifecycle.whenReady(10_000).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(lifecycle.state).toBe('failed');
    const err = (await waiting) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('upstream_unavailable');
    expect(err.message).toBe('server "srv" has failed: gave up after 2 tries: exited with code 3');
    await expect(lifecycle.whenReady(10)).rejects.toThrow('server "srv" has failed: gave up after 2 tries: exited');
    // A late failure report does not bring it back to backoff.
    lifecycle.retry('late', () => undefined);
    expect(lifecycle.status()).toMatchObject({
      state: 'failed',
      lastError: 'gave up after 2 tries: exited with code 3',
    });
  });

  it('retryForever: never failed, the delay stays at maxMs', async () => {
    const { lifecycle, statuses } = make(retryForever(POLICY));
    const { run, attempt } = failing(lifecycle);
    lifecycle.begin();
    attempt();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 * 20);
    expect(run.attempts).toBe(23);
    expect(lifecycle.state).toBe('backoff');
    const delays = statuses.filter((s) => s.state === 'backoff').map((s) => s.retryAt! - s.since);
    expect(delays.slice(0, 4)).toEqual([100, 200, 400, 400]);
    expect(new Set(delays.slice(2))).toEqual(new Set([400]));
  });

  it('waits at least as long as the server asked (Retry-After), but never more than an hour', () => {
    const { lifecycle } = make(retryForever(POLICY));
    lifecycle.begin();
    lifecycle.starting();
    lifecycle.retry('HTTP 503', () => undefined, Date.now() + 5_000);
    expect(lifecycle.status().retryAt! - Date.now()).toBe(5_000);
    lifecycle.starting();
    // A wait shorter than the backoff's own changes nothing.
    lifecycle.retry('HTTP 503', () => undefined, Date.now() + 10);
    expect(lifecycle.status().retryAt! - Date.now()).toBe(200);
    lifecycle.starting();
    lifecycle.retry('HTTP 503', () => undefined, Date.now() + 86_400_000);
    expect(lifecycle.status().retryAt! - Date.now()).toBe(MAX_RETRY_AFTER_MS);
  });

  it('backoffDelay stays finite however long it retries', () => {
    expect(backoffDelay(POLICY, 1)).toBe(100);
    expect(backoffDelay(POLICY, 3)).toBe(400);
    expect(backoffDelay(POLICY, 5000)).toBe(400);
    expect(backoffDelay({ ...POLICY, initialMs: 0 }, 5000)).toBe(0);
    expect(retryForever(DEFAULT_BACKOFF)).toEqual({
      initialMs: 500,
      maxMs: 30_000,
      maxAttempts: Infinity,
      stableMs: 0,
    });
  });

  it('lost() after a stable spell counts a restart and starts the delays over', async () => {
    const { lifecycle } = make();
    const { attempt } = failing(lifecycle);
    lifecycle.begin();
    attempt();
    await vi.advanceTimersByTimeAsync(100 + 200);
    // Three failures so far; the next delay would be 400.
    lifecycle.ready(INFO);
    await vi.advanceTimersByTimeAsync(1000);
    lifecycle.lost('exited with code 1', () => undefined);
    expect(lifecycle.status()).toMatchObject({
      state: 'backoff',
      restarts: 1,
      lastError: 'exited with code 1',
      retryAt: Date.now() + 100,
    });
  });

  it('lost() soon after ready keeps counting attempts, up to failed', async () => {
    const { lifecycle } = make({ ...POLICY, maxAttempts: 3 });
    const { attempt } = failing(lifecycle);
    lifecycle.begin();
    attempt();
    await vi.advanceTimersByTimeAsync(100);
    // Two failures; ready for less than stableMs, then lost: the third, so failed.
    lifecycle.ready(INFO);
    await vi.advanceTimersByTimeAsync(999);
    lifecycle.lost('exited with code 1', () => undefined);
    expect(lifecycle.status()).toMatchObject({
      state: 'failed',
      restarts: 1,
      lastError: 'gave up after 3 tries: exited with code 1',
    });
  });

  it('lost() while starting is a failed attempt, not a restart', () => {
    const { lifecycle } = make();
    lifecycle.begin();
    lifecycle.starting();
    lifecycle.lost('exited with code 2', () => undefined);
    expect(lifecycle.status()).toMatchObject({ state: 'backoff', restarts: 0, lastError: 'exited with code 2' });
  });

  it('ready() after backoff cancels the pending retry and clears the error', async () => {
    const { lifecycle } = make();
    const { run, attempt } = failing(lifecycle);
    lifecycle.begin();
    attempt();
    lifecycle.ready(INFO);
    expect(lifecycle.status()).toEqual({ name: 'srv', kind: 'stdio', state: 'ready', restarts: 0, since: Date.now() });
    await vi.advanceTimersByTimeAsync(1000);
    expect(run.attempts).toBe(1);
  });

  it('stop(): no more retries, waiters told it was stopped, later calls that it is stopped', async () => {
    const { lifecycle, states, readies } = make();
    const { run, attempt } = failing(lifecycle);
    lifecycle.begin();
    attempt();
    const waiting = lifecycle.whenReady(10_000).catch((e: unknown) => e);
    lifecycle.stop();
    const err = (await waiting) as GatewayError;
    expect(err.code).toBe('upstream_unavailable');
    expect(err.message).toBe('server "srv" was stopped');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(run.attempts).toBe(1);
    await expect(lifecycle.whenReady(10)).rejects.toThrow('server "srv" is stopped: connection refused');
    // Late reports of the stopped run change nothing.
    lifecycle.retry('late', () => undefined);
    lifecycle.ready(INFO);
    expect(states().at(-1)).toBe('stopped');
    expect(readies).toHaveLength(0);
    expect(lifecycle.status().retryAt).toBeUndefined();
  });

  it('a caller waits for a try that is near, and hears at once that a server is down when it is far off', async () => {
    // Delays 2 s, 4 s, 8 s: the first two are waited for, the third is not.
    const { lifecycle } = make({ initialMs: 2000, maxMs: 30_000, maxAttempts: Infinity, stableMs: 0 });
    const { run, attempt } = failing(lifecycle);
    lifecycle.begin();
    lifecycle.starting();
    const waiting = lifecycle.whenReady(30_000).catch((e: unknown) => e as GatewayError);
    lifecycle.retry('connection refused', attempt);
    await vi.advanceTimersByTimeAsync(2000 + 4000);
    expect(run.attempts).toBe(2);
    // The second try failed too, and the next is 8 s off: the caller is told now, 6 s in, not at 30 s.
    const err = (await waiting) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('upstream_unavailable');
    expect(err.message).toBe('server "srv" is down: connection refused; Switchboard tries it again in 8 s');
    // A call made meanwhile is answered at once, with the time left.
    await vi.advanceTimersByTimeAsync(2000);
    await expect(lifecycle.whenReady(30_000)).rejects.toThrow(
      'server "srv" is down: connection refused; Switchboard tries it again in 6 s',
    );
    // Near the next try (5 s off), a call waits for it again.
    await vi.advanceTimersByTimeAsync(1000);
    const near = lifecycle.whenReady(30_000);
    await vi.advanceTimersByTimeAsync(4000);
    lifecycle.ready(INFO);
    await expect(near).resolves.toBe(INFO);
    expect(WAIT_FOR_RETRY_MS).toBe(5000);
  });

  it('whenReady times out saying which server, how long and in what state', async () => {
    const { lifecycle } = make();
    lifecycle.begin();
    lifecycle.starting();
    const short = lifecycle.whenReady(50);
    const long = lifecycle.whenReady(5000);
    const shortErr = short.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    expect(((await shortErr) as GatewayError).message).toBe('server "srv" is not ready after 50 ms (it is starting)');
    lifecycle.retry('connection refused', () => undefined);
    const third = lifecycle.whenReady(20).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20);
    expect(((await third) as GatewayError).message).toBe(
      'server "srv" is not ready after 20 ms (it is between tries: connection refused)',
    );
    // Each waiter has its own deadline: the long one still gets the ready.
    lifecycle.ready(INFO);
    await expect(long).resolves.toBe(INFO);
  });

  it('fail() from stopped: a backend that cannot even be set up', async () => {
    const { lifecycle, states } = make();
    lifecycle.begin();
    lifecycle.fail('cannot set up the handler: bad address');
    expect(states()).toEqual(['failed']);
    expect(lifecycle.status()).toMatchObject({
      state: 'failed',
      lastError: 'cannot set up the handler: bad address',
      restarts: 0,
    });
    await expect(lifecycle.whenReady(10)).rejects.toThrow(
      'server "srv" has failed: cannot set up the handler: bad address',
    );
  });

  it('shows the pid while the kind has one, and retryAt only in backoff', () => {
    let pid: number | undefined = 4242;
    const { lifecycle, statuses } = make(POLICY, () => pid);
    lifecycle.starting();
    expect(statuses[0]!.pid).toBe(4242);
    pid = undefined;
    lifecycle.retry('exited with code 1', () => undefined);
    expect(lifecycle.status().pid).toBeUndefined();
    expect(lifecycle.status().retryAt).toBe(Date.now() + 100);
    lifecycle.starting();
    expect(lifecycle.status().retryAt).toBeUndefined();
  });
});
