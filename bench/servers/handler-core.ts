/**
 * The echo tools as a JSON handler (reference/handler-contract.md): `discover` lists echo and blob,
 * `call_tool` answers `content`. The handler contract has no progress, so no progress tool.
 */
import { blobBuffer } from '../lib/blob.ts';

const DISCOVER = JSON.stringify({
  tools: [
    {
      name: 'echo',
      description: 'Returns its text argument.',
      input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
    {
      name: 'blob',
      description: 'Returns `bytes` bytes of text.',
      input_schema: {
        type: 'object',
        properties: { bytes: { type: 'integer' }, seed: { type: 'integer' } },
        required: ['bytes'],
      },
    },
  ],
});

interface Envelope {
  type?: string;
  name?: string;
  arguments?: Record<string, unknown>;
}

export function handleEnvelope(raw: string): string | Buffer {
  let env: Envelope;
  try {
    env = JSON.parse(raw) as Envelope;
  } catch {
    return '{"error":{"code":400,"message":"bad JSON"}}';
  }
  if (env.type === 'discover') return DISCOVER;
  if (env.type !== 'call_tool') return '{"error":{"code":400,"message":"unsupported"}}';
  const args = env.arguments ?? {};
  if (env.name === 'echo') return `{"content":[{"type":"text","text":${JSON.stringify(String(args.text ?? ''))}}]}`;
  if (env.name === 'blob') {
    return Buffer.concat([
      Buffer.from('{"content":[{"type":"text","text":"'),
      blobBuffer(Number(args.bytes ?? 0), Number(args.seed ?? 0)),
      Buffer.from('"}]}'),
    ]);
  }
  return '{"error":{"code":404,"message":"unknown tool"}}';
}
