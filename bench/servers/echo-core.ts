/**
 * The echo MCP server's logic, shared by the stdio and the HTTP server. Hand-written and tiny so
 * that the server is never what a benchmark measures: one JSON.parse per message, responses
 * built as strings (the blob without a JSON.stringify pass over 10 MB).
 *
 * Tools: `echo {text}` returns the text; `blob {bytes, seed}` returns that many bytes (see
 * lib/blob.ts); `progress {count}` sends `count` notifications/progress (when the call carries a
 * progressToken) before its result.
 */
import { blobBuffer } from '../lib/blob.ts';

const VERSIONS = new Set(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25']);
const LATEST = '2025-11-25';

const TOOLS = JSON.stringify([
  {
    name: 'echo',
    description: 'Returns its text argument.',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  {
    name: 'blob',
    description: 'Returns `bytes` bytes of text.',
    inputSchema: {
      type: 'object',
      properties: { bytes: { type: 'integer' }, seed: { type: 'integer' } },
      required: ['bytes'],
    },
  },
  {
    name: 'progress',
    description: 'Sends `count` progress notifications, then returns.',
    inputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
  },
]);

interface Message {
  id?: string | number | null;
  method?: string;
  params?: {
    name?: string;
    arguments?: Record<string, unknown>;
    protocolVersion?: string;
    _meta?: { progressToken?: string | number };
  };
}

/** What one incoming message produces: notifications first (in order), then the response. */
export interface Reply {
  notifications: string[];
  /** A Buffer for blobs: written as is, never turned into a 10 MB string. */
  response: string | Buffer | undefined;
}

const NONE: Reply = { notifications: [], response: undefined };

function result(id: Message['id'], body: string): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${body}}`;
}

const SERVER_INFO = '{"name":"bench-echo","version":"1.0.0"}';

function error(id: Message['id'], code: number, message: string): string {
  const error = `{"code":${code},"message":${JSON.stringify(message)}}`;
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id ?? null)},"error":${error}}`;
}

function text(value: string): string {
  return `{"content":[{"type":"text","text":${JSON.stringify(value)}}]}`;
}

/** A blob result as bytes: the payload needs no escaping (see lib/blob.ts). */
function blobResult(id: Message['id'], bytes: number, seed: number): Buffer {
  const head = Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`);
  return Buffer.concat([head, blobBuffer(bytes, seed), Buffer.from('"}]}}')]);
}

export function handle(raw: string): Reply {
  let msg: Message;
  try {
    msg = JSON.parse(raw) as Message;
  } catch {
    return { notifications: [], response: error(null, -32700, 'parse error') };
  }
  if (msg.method === undefined || msg.id === undefined) return NONE; // notifications and responses
  const id = msg.id;
  switch (msg.method) {
    case 'initialize': {
      const asked = msg.params?.protocolVersion;
      const version = asked !== undefined && VERSIONS.has(asked) ? asked : LATEST;
      return {
        notifications: [],
        response: result(
          id,
          `{"protocolVersion":"${version}","capabilities":{"tools":{}},"serverInfo":${SERVER_INFO}}`,
        ),
      };
    }
    case 'ping':
      return { notifications: [], response: result(id, '{}') };
    case 'tools/list':
      return { notifications: [], response: result(id, `{"tools":${TOOLS}}`) };
    case 'tools/call':
      return call(id, msg.params ?? {});
    default:
      return { notifications: [], response: error(id, -32601, `method not found: ${msg.method}`) };
  }
}

function call(id: Message['id'], params: NonNullable<Message['params']>): Reply {
  const args = params.arguments ?? {};
  switch (params.name) {
    case 'echo':
      return { notifications: [], response: result(id, text(String(args.text ?? ''))) };
    case 'blob':
      return { notifications: [], response: blobResult(id, Number(args.bytes ?? 0), Number(args.seed ?? 0)) };
    case 'progress': {
      const count = Number(args.count ?? 0);
      const token = params._meta?.progressToken;
      const notifications: string[] = [];
      if (token !== undefined) {
        for (let i = 1; i <= count; i++) {
          const params = `{"progressToken":${JSON.stringify(token)},"progress":${i},"total":${count}}`;
          notifications.push(`{"jsonrpc":"2.0","method":"notifications/progress","params":${params}}`);
        }
      }
      return { notifications, response: result(id, text(`progress ${count}`)) };
    }
    default:
      return { notifications: [], response: error(id, -32602, `unknown tool: ${String(params.name)}`) };
  }
}
