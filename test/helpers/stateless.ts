/** A raw 2026-07-28 (stateless) client: every request carries _meta and the standard headers. */
import { readRpc, sseMessages } from './raw-http.ts';

export const STATELESS = '2026-07-28';

export function statelessMeta(
  capabilities: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': STATELESS,
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    'io.modelcontextprotocol/clientInfo': { name: 'stateless-test', version: '1' },
    ...extra,
  };
}

export interface StatelessCall {
  status: number;
  body: Record<string, unknown>;
  /** Every message on the response (notifications first, when it was SSE). */
  messages: Record<string, unknown>[];
}

let nextId = 1;

export async function statelessPost(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  options: {
    capabilities?: Record<string, unknown>;
    meta?: Record<string, unknown>;
    headers?: Record<string, string>;
    id?: number;
  } = {},
): Promise<StatelessCall> {
  const id = options.id ?? nextId++;
  const name = method === 'resources/read' ? params.uri : params.name;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': STATELESS,
    'mcp-method': method,
    ...(typeof name === 'string' && ['tools/call', 'prompts/get', 'resources/read'].includes(method)
      ? { 'mcp-name': name }
      : {}),
    ...options.headers,
  };
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: { ...params, _meta: { ...statelessMeta(options.capabilities), ...options.meta } },
    }),
  });
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const messages = sseMessages(await res.text());
    return { status: res.status, body: messages.filter((m) => 'result' in m || 'error' in m).pop()!, messages };
  }
  const body = await readRpc(res);
  return { status: res.status, body, messages: [body] };
}
