/**
 * Which protocol era an MCP upstream speaks, and the factory that builds it accordingly.
 *
 * Detection (protocol 'auto') follows the 2026-07-28 dual-era client rule: probe with
 * `server/discover` first. A DiscoverResult offering 2026-07-28 → stateless. A -32022 whose
 * `data.supported` lists a stateless revision → stateless (one we may not speak: then we say so
 * and stop); one listing only stateful revisions → stateful. Anything else (-32601, another
 * error, an HTTP 4xx without a stateless error body, no answer in time) → stateful: over stdio on a
 * fresh process (a stateful server may have been confused by the probe), over HTTP on the
 * existing Streamable HTTP / legacy SSE channel. What worked is remembered for reconnects and
 * forgotten when it stops working.
 */
import { GatewayError, RpcCode, errorMessage } from '../protocol/errors.ts';
import { DEFAULTS } from '../config/schema.ts';
import { wsChannelOpener } from './mcp-ws/ws-channel.ts';
import {
  blockedBy,
  checkedHttpConfig,
  forwardPolicy,
  httpChannelOpener,
  createHttpUpstream,
  type HttpUpstreamConfig,
  type HttpUpstreamDeps,
} from './mcp-http/http-upstream.ts';
import {
  ManagedUpstream,
  statefulHandshake,
  type Handshake,
  type HandshakeContext,
  type Opener,
  type ProtocolSession,
} from './mcp-upstream.ts';
import { statelessHttpOpener } from './stateless/http-channel.ts';
import { StatelessCode, STATELESS_REVISION, isStatelessRevision } from './stateless/protocol.ts';
import {
  StatelessState,
  createStatelessSession,
  discover,
  discoverInfo,
  statelessHandshake,
  type StatelessSessionOptions,
} from './stateless/session.ts';
import {
  createStdioUpstream,
  type StdioMcpUpstream,
  type StdioServerSpec,
  type StdioUpstreamDeps,
} from './mcp-stdio/stdio-upstream.ts';
import type { Upstream } from './types.ts';

export { STATELESS_REVISION } from './stateless/protocol.ts';

/** The per-server config option: detect, or force one era. */
export type UpstreamProtocol = 'auto' | 'stateful' | 'stateless';

/** How long the `server/discover` probe waits before deciding the server is stateful. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export type ProbeOutcome =
  | { era: 'stateless'; result: Record<string, unknown> }
  /** `guessed`: the probe got no answer that tells (no HTTP response, a refusal): stateful is tried anyway. */
  | { era: 'stateful'; reason: string; guessed?: true }
  /** A stateless server that speaks only revisions we do not. */
  | { era: 'unsupported'; reason: string };

/** Decides the era from what the probe got back: a result, or the error it failed with. */
export function classifyProbe(outcome: { result: Record<string, unknown> } | { error: unknown }): ProbeOutcome {
  if ('result' in outcome) {
    const versions = Array.isArray(outcome.result.supportedVersions)
      ? outcome.result.supportedVersions.filter((v): v is string => typeof v === 'string')
      : [];
    if (versions.includes(STATELESS_REVISION)) return { era: 'stateless', result: outcome.result };
    if (versions.some(isStatelessRevision))
      return { era: 'unsupported', reason: `it offers only ${versions.join(', ')}` };
    return { era: 'stateful', reason: `server/discover offered ${versions.join(', ') || 'no revisions'}` };
  }
  const err = outcome.error;
  if (err instanceof GatewayError && err.code === 'request_timeout')
    return { era: 'stateful', reason: 'no answer to server/discover in time' };
  const rpc = err instanceof GatewayError ? err.rpc : undefined;
  if (rpc?.code === StatelessCode.UnsupportedProtocolVersion) {
    const data = rpc.data as { supported?: unknown } | undefined;
    const supported = Array.isArray(data?.supported)
      ? data.supported.filter((v): v is string => typeof v === 'string')
      : undefined;
    if (supported) {
      if (supported.some(isStatelessRevision))
        return { era: 'unsupported', reason: `it supports only ${supported.join(', ')}` };
      return { era: 'stateful', reason: `it supports ${supported.join(', ') || 'no stateless revision'}` };
    }
  }
  // Our own "unavailable" stands for an HTTP failure (a refusal, a 5xx), not the server's answer.
  if (rpc && rpc.code !== RpcCode.UpstreamUnavailable)
    return { era: 'stateful', reason: `server/discover failed with ${rpc.code} ${rpc.message}` };
  return { era: 'stateful', reason: errorMessage(err), guessed: true };
}

export interface EraHandshakeOptions {
  /** 'auto' detects; 'stateless' only ever speaks 2026-07-28. ('stateful' needs no handshake option.) */
  protocol: Exclude<UpstreamProtocol, 'stateful'>;
  /** 'stdio' and 'websocket' carry messages on one connection; 'http' opens channels per era. */
  transport: 'stdio' | 'http' | 'websocket';
  probeTimeoutMs: number;
  stateless: StatelessSessionOptions;
  /** Opens the stateful fallback's channel (HTTP); over stdio the upstream's own opener starts a fresh process. */
  statefulOpen?: Opener;
  log(line: string): void;
}

/** The handshake for an upstream that may speak either era (see the module comment). */
export function eraHandshake(opts: EraHandshakeOptions): Handshake {
  const stateless = statelessHandshake(opts.stateless);
  if (opts.protocol === 'stateless') return stateless;
  let learned: 'stateless' | 'stateful' | undefined;
  /** Over stdio, the process died during the probe: it may be a stateful server the probe upset. */
  let skipProbe = false;

  const stateful = async (ctx: HandshakeContext, reopen: boolean): Promise<ProtocolSession> => {
    if (reopen) await ctx.reopen(opts.statefulOpen);
    const session = await statefulHandshake(ctx);
    learned = 'stateful';
    return session;
  };

  return async (ctx) => {
    if (learned !== undefined || skipProbe) {
      const era = learned ?? 'stateful';
      skipProbe = false;
      try {
        return era === 'stateless' ? await stateless(ctx) : await stateful(ctx, opts.transport === 'http');
      } catch (err) {
        // The server answered, but not as before (replaced by another version?): probe next time.
        if (err instanceof GatewayError && (err.code === 'upstream_error' || err.code === 'upstream_protocol'))
          learned = undefined;
        throw err;
      }
    }
    let outcome: ProbeOutcome;
    /** The server answered the probe with a JSON-RPC message (not silence or garbage). */
    let answered = true;
    try {
      // An installer (a first npx run) has not read the probe yet: it is not silent, only busy.
      const extend = ctx.grace(opts.probeTimeoutMs, 'server/discover');
      outcome = classifyProbe({
        result: await discover(ctx.outgoing, opts.stateless.state, opts.probeTimeoutMs, extend),
      });
    } catch (err) {
      answered = err instanceof GatewayError && err.rpc !== undefined;
      if (err instanceof GatewayError && err.code === 'upstream_closed') {
        // Unreachable (HTTP) or the process exited: the upstream retries with backoff.
        if (opts.transport !== 'http') skipProbe = true;
        throw err;
      }
      outcome = classifyProbe({ error: err });
    }
    if (outcome.era === 'stateless') {
      const session = createStatelessSession(ctx, opts.stateless, discoverInfo(outcome.result, ctx.label));
      learned = 'stateless';
      return session;
    }
    if (outcome.era === 'unsupported') {
      throw new GatewayError(
        'upstream_protocol',
        `${ctx.label} speaks a newer stateless protocol revision than Switchboard ` +
          `(${outcome.reason}; Switchboard speaks ${STATELESS_REVISION})`,
      );
    }
    // A note, not a warning: most servers today are stateful, and that is fine. Not when the probe
    // told nothing (the server unreachable, or refusing): the start that follows says what is wrong.
    if (!outcome.guessed)
      opts.log(
        `${ctx.label} speaks the stateful protocol (initialize; ${outcome.reason}); ` +
          `"protocol": "stateful" in its entry skips this check`,
      );
    // A stdio server that answered the probe with an error is still sane: initialize on the same
    // process instead of paying for a second start. Silence or a broken answer gets a fresh one.
    return stateful(ctx, opts.transport === 'http' || !answered);
  };
}

export interface EraDeps {
  /** See DEFAULT_PROBE_TIMEOUT_MS. */
  probeTimeoutMs?: number;
  /** Reopening a dropped subscription stream (tests shorten it). */
  listenRetry?: { initialMs: number; maxMs: number };
  /** Diagnostics that are not state changes (which era was picked, a dropped subscription stream). */
  log?: (line: string) => void;
}

export type McpStdioSpec = StdioServerSpec & { protocol?: UpstreamProtocol };
/** A remote server: over HTTP, or over WebSocket (a ws:// or wss:// URL, opened by mcp-ws/ws-channel.ts). */
export type McpHttpSpec = Omit<HttpUpstreamConfig, 'transport'> & {
  transport: HttpUpstreamConfig['transport'] | 'websocket';
  protocol?: UpstreamProtocol;
  /** WebSocket only: how often the connection is checked (default 30 s; tests use less). */
  heartbeatMs?: number;
};

/**
 * An MCP upstream over stdio or HTTP in the era its config asks for ('auto' by default).
 * Forced 'stateful' gives exactly createStdioUpstream / createHttpUpstream; otherwise the same
 * kinds with the era handshake, so a stdio upstream is still a StdioMcpUpstream (stderr()).
 */
export function createMcpUpstream(spec: McpStdioSpec, deps: StdioUpstreamDeps & EraDeps): StdioMcpUpstream;
export function createMcpUpstream(spec: McpHttpSpec, deps: HttpUpstreamDeps & EraDeps): Upstream;
export function createMcpUpstream(
  spec: McpStdioSpec | McpHttpSpec,
  deps: (StdioUpstreamDeps | HttpUpstreamDeps) & EraDeps,
): Upstream {
  const protocol = spec.protocol ?? 'auto';
  const log = deps.log ?? (() => undefined);
  const stateless: StatelessSessionOptions = {
    state: new StatelessState(deps.clientInfo, deps.capabilities),
    requestTimeoutMs: spec.timeoutMs,
    log,
    ...(deps.listenRetry ? { listenRetry: deps.listenRetry } : {}),
  };
  const probeTimeoutMs = Math.min(deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, spec.startupTimeoutMs);

  if ('command' in spec) {
    const stdioDeps = deps as StdioUpstreamDeps & EraDeps;
    if (protocol === 'stateful') return createStdioUpstream(spec, stdioDeps);
    // Era decisions also go to the server's own log, next to its stderr.
    const note = (line: string): void => {
      log(line);
      upstream.note(line);
    };
    const upstream = createStdioUpstream(spec, {
      ...stdioDeps,
      handshake: eraHandshake({
        protocol,
        transport: 'stdio',
        probeTimeoutMs,
        stateless: { ...stateless, log: note },
        log: note,
      }),
    });
    return upstream;
  }

  const httpDeps = deps as HttpUpstreamDeps & EraDeps;
  if (spec.transport === 'websocket') return createWsUpstream(spec, httpDeps, protocol, stateless, probeTimeoutMs);
  const http: HttpUpstreamConfig = { ...spec, transport: spec.transport };
  // Legacy HTTP+SSE predates the stateless revision: a server configured for it is stateful.
  if (protocol === 'stateful' || (protocol === 'auto' && http.transport === 'sse'))
    return createHttpUpstream(http, httpDeps);
  return remoteUpstream(
    spec,
    httpDeps,
    statelessHttpOpener(http, log),
    eraHandshake({
      protocol,
      transport: 'http',
      probeTimeoutMs,
      stateless,
      statefulOpen: httpChannelOpener(http, log),
      log,
    }),
  );
}

/** A remote server's ManagedUpstream: what every remote kind shares, with its channel and handshake. */
function remoteUpstream(
  spec: McpHttpSpec,
  deps: HttpUpstreamDeps & EraDeps,
  open: Opener,
  handshake: Handshake | undefined,
): Upstream {
  const log = deps.log ?? (() => undefined);
  const options: ConstructorParameters<typeof ManagedUpstream>[0] = {
    name: spec.name,
    kind: 'http',
    requestTimeoutMs: spec.timeoutMs,
    startupTimeoutMs: spec.startupTimeoutMs,
    clientInfo: deps.clientInfo,
    capabilities: deps.capabilities,
    open,
    ...(handshake ? { handshake } : {}),
    forward: forwardPolicy(spec),
    log,
    ...blockedBy(spec.auth),
  };
  if (deps.backoff) options.backoff = deps.backoff;
  return new ManagedUpstream(options);
}

/**
 * A remote server over WebSocket: one connection carries every message, as stdio does, so the
 * era is detected the same way (a stateful server that the probe upset gets a fresh connection).
 */
function createWsUpstream(
  spec: McpHttpSpec,
  deps: HttpUpstreamDeps & EraDeps,
  protocol: UpstreamProtocol,
  stateless: StatelessSessionOptions,
  probeTimeoutMs: number,
): Upstream {
  const log = deps.log ?? (() => undefined);
  const checked = checkedHttpConfig(spec);
  const open: Opener =
    checked instanceof GatewayError
      ? () => Promise.reject(checked)
      : wsChannelOpener(
          {
            name: spec.name,
            url: checked.url,
            headers: checked.headers,
            startupTimeoutMs: spec.startupTimeoutMs,
            maxMessageBytes: spec.maxMessageBytes ?? DEFAULTS.maxResponseBytes,
            allowPrivateNetwork: spec.allowPrivateNetwork ?? false,
            ...(spec.lookup ? { lookup: spec.lookup } : {}),
            ...(spec.auth ? { auth: spec.auth } : {}),
            ...(spec.heartbeatMs ? { heartbeatMs: spec.heartbeatMs } : {}),
          },
          log,
        );
  const handshake =
    protocol === 'stateful'
      ? undefined
      : eraHandshake({ protocol, transport: 'websocket', probeTimeoutMs, stateless, log });
  return remoteUpstream(spec, deps, open, handshake);
}
