/**
 * The lifecycle every upstream kind must show, whatever it talks to: start → ready, requests,
 * stop (requests in flight end with upstream_closed), a backend that is not there or is lost
 * (backoff naming the cause, then ready again), its backoff policy (failed at maxAttempts, or
 * retried for as long as it is configured), and whenReady deadlines. lifecycle.test.ts runs it
 * against every kind, each on a real backend.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../main/engine/protocol/errors.ts';
import type { BackoffPolicy } from '../../../main/engine/upstreams/lifecycle.ts';
import type { Upstream, UpstreamKind, UpstreamState, UpstreamStatus } from '../../../main/engine/upstreams/types.ts';
import { reach } from '../../helpers/upstream-state.ts';

/** A tools/call and, for a quick one, the text it answers with. */
export interface ToolCall {
  tool: string;
  arguments: Record<string, unknown>;
}

export interface LifecycleBackend {
  kind: UpstreamKind;
  /** A new upstream for this backend; the suite starts and stops it. */
  create(name: string, policy: BackoffPolicy): Upstream;
  /** The policy the kind really runs under when given `policy`. */
  policy(policy: BackoffPolicy): BackoffPolicy;
  /** Answers at once with `text`. */
  quick: ToolCall & { text: string };
  /** Takes seconds to answer (so it is still in flight when the upstream stops). */
  slow: ToolCall;
  /**
   * Takes the backend away: a network one stops listening; a stdio one refuses to start from now
   * on, and the process `running` has is killed.
   */
  down(running?: Upstream): Promise<void>;
  /** Brings it back at the same address (stdio: the next start works). */
  up(): Promise<void>;
  /** What lastError says while the backend is down. */
  downReason: RegExp;
  /** What lastError says when a ready upstream loses its backend. */
  lostReason: RegExp;
  /**
   * How the kind learns that its backend is gone: by itself (process exit, a stream that breaks)
   * or only when a request fails (a JSON handler: its discover).
   */
  noticesLoss: 'itself' | 'on-request';
  /**
   * Resolves once the backend has closed the connections of earlier replies, for one that closes
   * after every reply: a call on a connection it is closing fails (the reuse race in pool.ts).
   */
  quiet?(): Promise<void>;
  close(): Promise<void>;
}

/** Never gives up within a test; retries quickly. */
const STEADY: BackoffPolicy = { initialMs: 50, maxMs: 200, maxAttempts: 1000, stableMs: 60_000 };
/** Gives up (where the kind does) after four quick attempts. */
const GIVE_UP: BackoffPolicy = { initialMs: 20, maxMs: 80, maxAttempts: 4, stableMs: 60_000 };
/** Sits in backoff long after the first failure. */
const PATIENT: BackoffPolicy = { initialMs: 10_000, maxMs: 10_000, maxAttempts: 1000, stableMs: 60_000 };
const READY_MS = 15_000;

function textOf(result: Record<string, unknown>): string {
  return ((result.content ?? []) as { type: string; text?: string }[])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

function statuses(u: Upstream): UpstreamStatus[] {
  const seen: UpstreamStatus[] = [];
  u.on('status', (s) => seen.push(s));
  return seen;
}

const inState = (seen: UpstreamStatus[], state: UpstreamState): UpstreamStatus[] =>
  seen.filter((s) => s.state === state);

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function describeUpstreamLifecycle(label: string, setup: () => Promise<LifecycleBackend>): void {
  describe(`upstream lifecycle: ${label}`, () => {
    let backend: LifecycleBackend;
    const made: Upstream[] = [];
    let seq = 0;
    const create = (policy: BackoffPolicy): Upstream => {
      const u = backend.create(`life-${++seq}`, policy);
      made.push(u);
      return u;
    };
    const call = async (u: Upstream, c: ToolCall): Promise<Record<string, unknown>> => {
      await backend.quiet?.();
      return u.request('tools/call', { name: c.tool, arguments: c.arguments });
    };

    beforeAll(async () => {
      backend = await setup();
    });
    afterEach(async () => {
      for (const u of made.splice(0)) await u.stop();
    });
    afterAll(async () => {
      await backend?.close();
    });

    it('starts: status starting, then ready with info; a request succeeds; start() again changes nothing', async () => {
      const u = create(STEADY);
      const seen = statuses(u);
      let readies = 0;
      u.on('ready', () => readies++);
      u.start();
      const info = await u.whenReady(READY_MS);
      expect(seen.map((s) => s.state)).toEqual(['starting', 'ready']);
      expect(readies).toBe(1);
      expect(info.serverInfo.name).toEqual(expect.any(String));
      expect(info.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(u.info()).toEqual(info);
      expect(u.kind).toBe(backend.kind);
      const status = u.status();
      expect(status).toMatchObject({ name: u.name, kind: backend.kind, state: 'ready', restarts: 0 });
      expect(status.lastError).toBeUndefined();
      expect(status.retryAt).toBeUndefined();
      expect(textOf(await call(u, backend.quick))).toBe(backend.quick.text);
      u.start();
      expect(seen.map((s) => s.state)).toEqual(['starting', 'ready']);
    });

    it(
      'stop: a request in flight fails with upstream_closed, the state is stopped, and whenReady and ' +
        'requests are refused',
      async () => {
        const u = create(STEADY);
        u.start();
        await u.whenReady(READY_MS);
        const seen = statuses(u);
        const inFlight = call(u, backend.slow).then(
          () => new Error('the slow call was answered'),
          (err: unknown) => err,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        await u.stop();
        const err = (await inFlight) as GatewayError;
        expect(err).toBeInstanceOf(GatewayError);
        expect(err.code).toBe('upstream_closed');
        expect(err.message).toMatch(new RegExp(`^server "${escape(u.name)}" was stopped`));
        expect(seen.map((s) => s.state)).toEqual(['stopped']);
        expect(u.status().state).toBe('stopped');
        expect(u.info()).toBeUndefined();
        const waited = (await u.whenReady(1000).catch((e: unknown) => e)) as GatewayError;
        expect(waited).toBeInstanceOf(GatewayError);
        expect(waited.code).toBe('upstream_unavailable');
        expect(waited.message).toBe(`server "${u.name}" is stopped`);
        const refused = (await call(u, backend.quick).catch((e: unknown) => e)) as GatewayError;
        expect(refused.code).toBe('upstream_unavailable');
      },
    );

    it(
      'a backend that is not there: backoff naming the cause, with a retryAt; ready once it is back, no ' +
        'restart counted',
      async () => {
        await backend.down();
        const u = create(STEADY);
        try {
          u.start();
          await reach(u, 'backoff');
          const s = u.status();
          expect(s.lastError).toMatch(backend.downReason);
          expect(s.retryAt).toBeGreaterThanOrEqual(s.since);
          expect(s.retryAt).toBeLessThanOrEqual(s.since + STEADY.maxMs);
          expect(u.info()).toBeUndefined();
        } finally {
          await backend.up();
        }
        await u.whenReady(READY_MS);
        expect(u.status()).toMatchObject({ state: 'ready', restarts: 0 });
        expect(u.status().lastError).toBeUndefined();
        expect(textOf(await call(u, backend.quick))).toBe(backend.quick.text);
      },
    );

    it('a backend lost while ready: backoff naming the cause, then ready again, a restart counted', async () => {
      const u = create(STEADY);
      u.start();
      await u.whenReady(READY_MS);
      const seen = statuses(u);
      let readies = 0;
      u.on('ready', () => readies++);
      await backend.down(u);
      try {
        if (backend.noticesLoss === 'on-request') {
          // Nothing tells a handler its backend is gone until a discover fails.
          expect(u.status().state).toBe('ready');
          const err = await u.request('tools/list', {}).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(GatewayError);
        }
        await reach(u, 'backoff');
        const first = inState(seen, 'backoff')[0]!;
        expect(first.lastError).toMatch(backend.lostReason);
        expect(first.restarts).toBe(1);
        expect(first.retryAt).toBeGreaterThanOrEqual(first.since);
      } finally {
        await backend.up();
      }
      await until(() => readies === 1, READY_MS, 'ready again');
      expect(u.status()).toMatchObject({ state: 'ready', restarts: 1 });
      expect(u.status().lastError).toBeUndefined();
      expect(textOf(await call(u, backend.quick))).toBe(backend.quick.text);
    });

    it(
      'a backend that stays down: failed after maxAttempts, or retried for as long as it is configured, as ' +
        "the kind's policy says",
      async () => {
        const policy = backend.policy(GIVE_UP);
        await backend.down();
        const u = create(GIVE_UP);
        const seen = statuses(u);
        try {
          u.start();
          if (Number.isFinite(policy.maxAttempts)) {
            await reach(u, 'failed', 30_000);
            expect(inState(seen, 'backoff')).toHaveLength(policy.maxAttempts - 1);
            expect(u.status().lastError).toMatch(backend.downReason);
            expect(u.status().retryAt).toBeUndefined();
            const err = (await u.whenReady(1000).catch((e: unknown) => e)) as GatewayError;
            expect(err.code).toBe('upstream_unavailable');
            expect(err.message).toMatch(new RegExp(`^server "${escape(u.name)}" has failed: `));
            // Given up: no more attempts.
            const count = seen.length;
            await new Promise((resolve) => setTimeout(resolve, policy.maxMs * 3));
            expect(seen).toHaveLength(count);
          } else {
            await until(
              () => inState(seen, 'backoff').length >= GIVE_UP.maxAttempts * 2,
              30_000,
              'twice maxAttempts failures',
            );
            expect(inState(seen, 'failed')).toHaveLength(0);
            expect(u.status().lastError).toMatch(backend.downReason);
            const delays = inState(seen, 'backoff').map((s) => s.retryAt! - s.since);
            expect(Math.max(...delays)).toBeLessThanOrEqual(policy.maxMs);
            expect(delays.at(-1)).toBeGreaterThanOrEqual(policy.maxMs - 5);
          }
        } finally {
          await backend.up();
        }
        // A failed upstream comes back when started again; a retrying one by itself.
        if (u.status().state === 'failed') u.start();
        await u.whenReady(READY_MS);
        expect(textOf(await call(u, backend.quick))).toBe(backend.quick.text);
      },
    );

    it('whenReady times out with a message naming the server and the state it is in', async () => {
      await backend.down();
      try {
        const u = create(STEADY);
        u.start();
        await reach(u, 'backoff');
        const err = (await u.whenReady(20).catch((e: unknown) => e)) as GatewayError;
        expect(err).toBeInstanceOf(GatewayError);
        expect(err.code).toBe('upstream_unavailable');
        const doing = '(is between tries|is starting)';
        expect(err.message).toMatch(
          new RegExp(`^server "${escape(u.name)}" is not ready after 20 ms \\(it ${doing}(: .+)?\\)$`),
        );
      } finally {
        await backend.up();
      }
    });

    it('a request while the next try is far off fails at once: the server is down, and when it is tried', async () => {
      await backend.down();
      try {
        const u = create(PATIENT);
        u.start();
        await reach(u, 'backoff');
        // Not after the startup timeout (30 s): a client's call is answered now.
        const err = (await call(u, backend.quick).catch((e: unknown) => e)) as GatewayError;
        expect(err).toBeInstanceOf(GatewayError);
        expect(err.code).toBe('upstream_unavailable');
        const { state, lastError } = u.status();
        expect(state).toBe('backoff');
        expect(lastError).toMatch(backend.downReason);
        // A JSON handler is one request away from working again: the call is tried, and fails as it.
        if (backend.noticesLoss === 'on-request')
          expect(err.message.replace(`server "${u.name}": `, '')).toMatch(backend.downReason);
        else
          expect(err.message).toMatch(
            new RegExp(
              `^server "${escape(u.name)}" is down: ${escape(lastError!)}; Switchboard tries it again in (9|10) s$`,
            ),
          );
      } finally {
        await backend.up();
      }
    });
  });
}
