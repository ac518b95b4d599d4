/**
 * File shape -> the shape the engine runs on: every default applied once, here, so no consumer
 * re-derives them and two configs that mean the same thing compare equal (diff.ts).
 */
import { parseHandlerAddress } from './handler-address.ts';
import { HTTP_LIMIT_DEFAULTS } from './http-limits.ts';
import { DEFAULT_HANDLER_FORWARD, DEFAULT_REMOTE_FORWARD } from './header-rules.ts';
import {
  DEFAULTS,
  isWebSocketUrl,
  type HttpListenConfig,
  type NameFilter,
  type ParsedConfig,
  type ParsedServerEntry,
  type RemoteTransport,
  type ResolvedConfig,
  type ResolvedProfile,
  type ResolvedServer,
} from './schema.ts';

type ParsedFilter = { allow?: string[]; deny?: string[]; aliases?: Record<string, string> } | undefined;

function normalizeFilter(filter: ParsedFilter): NameFilter {
  return {
    allow: [...(filter?.allow ?? [])],
    deny: [...(filter?.deny ?? [])],
    aliases: Object.fromEntries(Object.entries(filter?.aliases ?? {})),
  };
}

function remoteTransport(type: string | undefined, transport: RemoteTransport | undefined): RemoteTransport {
  if (transport) return transport;
  if (type === 'sse') return 'sse';
  if (type === 'streamable-http') return 'streamable-http';
  return 'auto';
}

export function normalizeServer(
  name: string,
  entry: ParsedServerEntry,
  timeouts: ResolvedConfig['timeouts'],
): ResolvedServer {
  const base = {
    name,
    ...(entry.description !== undefined ? { description: entry.description } : {}),
    disabled: entry.disabled,
    tools: normalizeFilter(entry.tools),
    prompts: normalizeFilter(entry.prompts),
    // Handlers have the contract's own default (30 s), not the MCP servers' one.
    timeoutMs: entry.timeoutMs ?? ('handler' in entry ? DEFAULTS.handlerTimeoutMs : timeouts.requestMs),
    startupTimeoutMs: entry.startupTimeoutMs ?? timeouts.startupMs,
  };
  if ('handler' in entry) {
    const address = parseHandlerAddress(entry.handler, entry.kind);
    // validate.ts reported a bad address already; reaching this is a bug.
    if ('error' in address) throw new Error(`mcpServers.${name}.handler: ${address.error}`);
    const handler = {
      ...base,
      handler: entry.handler,
      headers: Object.fromEntries(Object.entries(entry.headers ?? {})),
      pool: entry.pool,
      discoverTtlMs: entry.discoverTtlMs,
      forwardHeaders: [...(entry.forwardHeaders ?? DEFAULT_HANDLER_FORWARD)],
      overridableHeaders: [...(entry.overridableHeaders ?? [])],
    };
    if (address.kind === 'handler-http')
      return {
        kind: 'handler-http',
        ...handler,
        target: address.target,
        insecure: entry.insecure,
        allowPrivateNetwork: entry.allowPrivateNetwork,
      };
    return { kind: 'handler-fastcgi', ...handler, target: address.target, entrypoint: entry.entrypoint ?? '' };
  }
  if ('command' in entry) {
    return {
      kind: 'stdio',
      ...base,
      protocol: entry.protocol,
      installTimeoutMs: entry.installTimeoutMs ?? Math.max(timeouts.installMs, base.startupTimeoutMs),

      command: entry.command,
      args: [...(entry.args ?? [])],
      env: Object.fromEntries(Object.entries(entry.env ?? {})),
      ...(entry.cwd !== undefined ? { cwd: entry.cwd } : {}),
      isolated: entry.isolated,
      ...(entry.headersToEnv ? { headersToEnv: { ...entry.headersToEnv } } : {}),
    };
  }
  return {
    kind: 'http',
    ...base,
    protocol: entry.protocol,
    url: entry.url,
    headers: Object.fromEntries(Object.entries(entry.headers ?? {})),
    transport: isWebSocketUrl(entry.url) ? 'websocket' : remoteTransport(entry.type, entry.transport),
    forwardHeaders: [...(entry.forwardHeaders ?? DEFAULT_REMOTE_FORWARD)],
    overridableHeaders: [...(entry.overridableHeaders ?? [])],
    allowPrivateNetwork: entry.allowPrivateNetwork,
    oauth: entry.oauth === undefined ? 'on-demand' : entry.oauth === false ? false : { ...entry.oauth },
  };
}

function normalizeHttpListen(http: NonNullable<ParsedConfig['listen']>['http']): HttpListenConfig | false {
  if (http === false) return false;
  // Omitted or `true`: the listener with every default.
  const options = typeof http === 'object' ? http : undefined;
  return {
    host: options?.host ?? DEFAULTS.host,
    port: options?.port ?? DEFAULTS.port,
    ...(options?.token !== undefined ? { token: options.token } : {}),
    allowedOrigins: [...(options?.allowedOrigins ?? [])],
    limits: { ...HTTP_LIMIT_DEFAULTS, ...options?.limits },
  };
}

/** Assumes validate.ts found no problems (profiles name only known servers, and so on). */
export function normalizeConfig(parsed: ParsedConfig): ResolvedConfig {
  const timeouts = {
    requestMs: parsed.timeouts?.requestMs ?? DEFAULTS.requestMs,
    maxRequestMs: parsed.timeouts?.maxRequestMs ?? DEFAULTS.maxRequestMs,
    startupMs: parsed.timeouts?.startupMs ?? DEFAULTS.startupMs,
    installMs: parsed.timeouts?.installMs ?? DEFAULTS.installMs,
  };
  const servers = Object.fromEntries(
    Object.entries(parsed.mcpServers).map(([name, entry]) => [name, normalizeServer(name, entry, timeouts)]),
  );

  const defaultProfile: ResolvedProfile = {
    name: 'default',
    servers: Object.values(servers)
      .filter((s) => !s.disabled)
      .map((s) => s.name),
    implicit: true,
  };
  const listed = Object.entries(parsed.profiles ?? {}).map(([name, p]): [string, ResolvedProfile] => [
    name,
    {
      name,
      // A server named twice (a paste, a merge) is one member: listed twice, its instructions came twice.
      servers: [...new Set(p.servers)],
      ...(p.description !== undefined ? { description: p.description } : {}),
      implicit: false,
    },
  ]);
  // A listed "default" replaces the implicit one.
  const profiles = Object.fromEntries([['default', defaultProfile] as [string, ResolvedProfile], ...listed]);

  return {
    servers,
    profiles,
    listen: {
      http: normalizeHttpListen(parsed.listen?.http),
      socket: parsed.listen?.socket ?? DEFAULTS.socket,
    },
    namespaceSeparator: parsed.namespaceSeparator,
    timeouts,
    limits: {
      maxRequestBytes: parsed.limits?.maxRequestBytes ?? DEFAULTS.maxRequestBytes,
      maxResponseBytes: parsed.limits?.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      maxSessionBufferBytes: parsed.limits?.maxSessionBufferBytes ?? DEFAULTS.maxSessionBufferBytes,
      maxRequestsInFlight: parsed.limits?.maxRequestsInFlight ?? DEFAULTS.maxRequestsInFlight,
      maxIsolatedProcesses: parsed.limits?.maxIsolatedProcesses ?? DEFAULTS.maxIsolatedProcesses,
    },
    traffic: {
      enabled: parsed.traffic?.enabled ?? DEFAULTS.traffic.enabled,
      maxEntries: parsed.traffic?.maxEntries ?? DEFAULTS.traffic.maxEntries,
      maxMemoryBytes: parsed.traffic?.maxMemoryBytes ?? DEFAULTS.traffic.maxMemoryBytes,
      maxPayloadBytes: parsed.traffic?.maxPayloadBytes ?? DEFAULTS.traffic.maxPayloadBytes,
      historyDays: parsed.traffic?.history?.days ?? DEFAULTS.traffic.historyDays,
      historyMaxBytes: parsed.traffic?.history?.maxBytes ?? DEFAULTS.traffic.historyMaxBytes,
      redactFields: [...(parsed.traffic?.redactFields ?? [])],
    },
  };
}

/** What a missing config file at the default path means: no servers, every default. */
export function emptyConfig(): ResolvedConfig {
  return normalizeConfig({ mcpServers: {}, namespaceSeparator: DEFAULTS.namespaceSeparator });
}
