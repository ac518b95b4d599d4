/**
 * The fetch remote MCP transports use: undici's fetch over an Agent whose connector applies the
 * egress policy to every connection it opens. Redirects are followed here (at most 5), each hop
 * dialled through the same check; a hop to another origin goes without the server's configured
 * headers (its credentials belong to the origin the user configured) and without Authorization
 * and Cookie.
 */
import type { Agent, RequestInit as UndiciRequestInit } from 'undici';
import { egressConnector, type EgressOptions } from './connector.ts';
import { loadUndici } from './undici.ts';
import { isLoopbackHost } from './user-url.ts';

export type FetchFn = (url: string | URL, init?: RequestInit) => Promise<Response>;

export interface EgressFetchOptions extends EgressOptions {
  /** Header names that only ever go to the configured origin (the server's configured headers). */
  originOnlyHeaders?: readonly string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Never carried to another origin, whoever set them. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Agents for the system resolver, one per rule: connections are shared by every server with that rule. */
const sharedAgents = new Map<string, Promise<Agent>>();
/**
 * Request headers that may follow a redirect to another origin: what the request is. Anything
 * else (a client's forwarded headers, the server's configured ones) belongs to the origin it was
 * meant for.
 */
const SAFE_ACROSS_ORIGINS = new Set([
  'accept',
  'accept-language',
  'content-type',
  'user-agent',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
]);

async function newAgent(options: EgressOptions): Promise<Agent> {
  const { Agent } = await loadUndici();
  return new Agent({ connect: await egressConnector(options) });
}

function agentFor(options: EgressOptions): Promise<Agent> {
  if (options.lookup) return newAgent(options);
  const key = `${options.allowPrivateNetwork}/${options.loopback !== false}`;
  let agent = sharedAgents.get(key);
  if (!agent) sharedAgents.set(key, (agent = newAgent(options)));
  return agent;
}

export function egressFetch(options: EgressFetchOptions): FetchFn {
  // Set up on the first request (undici loads then: see undici.ts), then reused.
  let agent: Promise<Agent> | undefined;
  let strictAgent: Promise<Agent> | undefined;
  const originOnly = [...CREDENTIAL_HEADERS, ...(options.originOnlyHeaders ?? []).map((h) => h.toLowerCase())];
  return async (input, init = {}) => {
    const { fetch: undiciFetch } = await loadUndici();
    let dispatcher = await (agent ??= agentFor(options));
    if (init.redirect === 'manual' || init.redirect === 'error')
      return (await undiciFetch(input, { ...(init as UndiciRequestInit), dispatcher })) as unknown as Response;
    let url = new URL(input);
    const { origin, hostname } = url;
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      const request = {
        ...init,
        method,
        body,
        headers,
        redirect: 'manual',
        dispatcher,
      } as unknown as UndiciRequestInit;
      const response = (await undiciFetch(url, request)) as unknown as Response;
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null) return response;
      // The redirect's own body is not wanted; a body that already failed has nothing to cancel.
      await Promise.allSettled([response.body?.cancel()]);
      if (hop >= MAX_REDIRECTS) throw new TypeError('fetch failed', { cause: new Error('too many redirects') });
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new TypeError('fetch failed', { cause: new Error(`redirected to a ${next.protocol} URL`) });
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = null;
        headers.delete('content-type');
        headers.delete('content-length');
      }
      if (next.origin !== origin) {
        for (const name of originOnly) headers.delete(name);
        for (const name of [...headers.keys()]) if (!SAFE_ACROSS_ORIGINS.has(name)) headers.delete(name);
        // Sent on by another machine: this one's services are out of its reach (decided on the address dialled).
        if (!isLoopbackHost(hostname)) dispatcher = await (strictAgent ??= agentFor({ ...options, loopback: false }));
      }
      url = next;
    }
  };
}
