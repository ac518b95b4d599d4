/** A raw Streamable HTTP client (fetch, no SDK) for tests that need exact control of the wire. */
export interface RawSession {
  sessionId: string;
  post(message: unknown, headers?: Record<string, string>): Promise<Response>;
  /** POSTs a request and returns its JSON-RPC response, whether answered as JSON or SSE. */
  call(message: unknown): Promise<Record<string, unknown>>;
}

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export async function rawSession(
  url: string,
  protocolVersion = '2025-06-18',
  clientInfo = { name: 'raw', version: '1' },
): Promise<RawSession> {
  const res = await fetch(url, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo },
    }),
  });
  if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`);
  const sessionId = res.headers.get('mcp-session-id');
  if (!sessionId) throw new Error('no Mcp-Session-Id');
  await res.text();
  const post = (message: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion, ...headers },
      body: typeof message === 'string' ? message : JSON.stringify(message),
    });
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
  return {
    sessionId,
    post,
    async call(message) {
      const r = await post(message);
      return readRpc(r);
    },
  };
}

/** The last JSON-RPC response in a JSON or SSE body. */
export async function readRpc(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const messages = sseMessages(text);
    const response = messages.filter((m) => 'result' in m || 'error' in m).pop();
    if (!response) throw new Error(`no response in SSE body: ${text.slice(0, 200)}`);
    return response;
  }
  return JSON.parse(text) as Record<string, unknown>;
}

export function sseMessages(text: string): Record<string, unknown>[] {
  return sseData(text).filter((data): data is Record<string, unknown> => !Array.isArray(data));
}

/** The JSON data of each event of an SSE body, parsed: messages, and batches (arrays of them). */
export function sseData(text: string): unknown[] {
  return text
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n'),
    )
    .filter((data) => data.startsWith('{') || data.startsWith('['))
    .map((data) => JSON.parse(data) as unknown);
}
