import { describe, expect, it } from 'vitest';
import { sseEvents } from '../../../../../main/engine/upstreams/stateless/http-channel.ts';
import {
  encodeHeaderValue,
  isStatelessRevision,
  mcpNameOf,
  paramHeaderValues,
  paramHeadersOf,
  withEnvelope,
} from '../../../../../main/engine/upstreams/stateless/protocol.ts';

async function events(...chunks: string[]): Promise<string[]> {
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const out: string[] = [];
  for await (const item of sseEvents(body(), 1024)) if ('data' in item) out.push(item.data);
  return out;
}

describe('sseEvents', () => {
  it('yields the data of each event, across chunk boundaries and line-ending styles', async () => {
    expect(
      await events(
        'event: message\ndata: {"a":1}\n\n',
        ': keep-alive\n\n',
        'data: {"b"',
        ':2}\r',
        '\n\r\n',
        'data: x\rdata: y\r\r',
      ),
    ).toEqual(['{"a":1}', '{"b":2}', 'x\ny']);
  });

  it('drops an event cut off by the end of the stream, and events without data', async () => {
    expect(await events('id: 1\n\n', 'data: whole\n\n', 'data: cut')).toEqual(['whole']);
  });

  it('handles a multi-byte character split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: zürich\n\n');
    async function* body(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 8);
      yield bytes.subarray(8);
    }
    const out: string[] = [];
    for await (const item of sseEvents(body(), 1024)) if ('data' in item) out.push(item.data);
    expect(out).toEqual(['zürich']);
  });

  it('refuses an event over the limit or not UTF-8 without decoding it, and goes on with the next', async () => {
    async function* body(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('data: {"result":{"t":"');
      for (let i = 0; i < 10; i++) yield new TextEncoder().encode('x'.repeat(500));
      yield new TextEncoder().encode('"},"jsonrpc":"2.0","id":4}\n\n');
      yield Buffer.concat([Buffer.from('data: {"t":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n\n')]);
      yield new TextEncoder().encode('data: after\n\n');
    }
    const out: unknown[] = [];
    for await (const item of sseEvents(body(), 1024))
      out.push('data' in item ? item.data : { reason: item.refused.reason, bytes: item.refused.bytes });
    expect(out).toEqual([{ reason: 'size', bytes: 5050 }, { reason: 'utf8', bytes: 18 }, 'after']);
  });
});

describe('the 2026-07-28 request envelope and headers', () => {
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
  };

  it("adds the envelope, keeps the caller's other _meta keys, and the log level when one was set", () => {
    expect(withEnvelope(undefined, envelope, undefined)).toEqual({ _meta: envelope });
    expect(
      withEnvelope(
        { name: 't', _meta: { progressToken: 'p', 'io.modelcontextprotocol/protocolVersion': 'v0' } },
        envelope,
        'info',
      ),
    ).toEqual({
      name: 't',
      _meta: { progressToken: 'p', ...envelope, 'io.modelcontextprotocol/logLevel': 'info' },
    });
    expect(
      withEnvelope({ _meta: { 'io.modelcontextprotocol/logLevel': 'debug' } }, envelope, 'error')._meta,
    ).toMatchObject({ 'io.modelcontextprotocol/logLevel': 'debug' });
  });

  it('encodes header values that are not plain visible ASCII', () => {
    expect(encodeHeaderValue('get_weather')).toBe('get_weather');
    expect(encodeHeaderValue('a b')).toBe('a b');
    expect(encodeHeaderValue('zürich')).toBe(`=?base64?${Buffer.from('zürich').toString('base64')}?=`);
    expect(encodeHeaderValue(' padded')).toBe(`=?base64?${Buffer.from(' padded').toString('base64')}?=`);
    expect(encodeHeaderValue('=?base64?abc?=')).toMatch(/^=\?base64\?.+\?=$/);
    expect(encodeHeaderValue('=?base64?abc?=')).not.toBe('=?base64?abc?=');
  });

  it('names what Mcp-Name carries', () => {
    expect(mcpNameOf('tools/call', { name: 'echo' })).toBe('echo');
    expect(mcpNameOf('resources/read', { uri: 'file:///x' })).toBe('file:///x');
    expect(mcpNameOf('prompts/get', { name: 'p' })).toBe('p');
    expect(mcpNameOf('tools/list', {})).toBeUndefined();
    expect(mcpNameOf('toString', {})).toBeUndefined();
  });

  it('finds x-mcp-header declarations through properties only, and builds their headers', () => {
    const schema = {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        nested: { type: 'object', properties: { id: { type: 'integer', 'x-mcp-header': 'Id' } } },
        list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Nope' } },
        blob: { type: 'object', 'x-mcp-header': 'NotPrimitive' },
      },
    };
    const declarations = paramHeadersOf(schema);
    expect(declarations).toEqual([
      { path: ['region'], header: 'Region' },
      { path: ['nested', 'id'], header: 'Id' },
    ]);
    expect(paramHeaderValues(declarations, { region: 'eu', nested: { id: 42 } })).toEqual({
      'mcp-param-region': 'eu',
      'mcp-param-id': '42',
    });
    expect(paramHeaderValues(declarations, { region: null })).toEqual({});
  });

  it('tells stateless revisions from stateful ones', () => {
    expect(isStatelessRevision('2026-07-28')).toBe(true);
    expect(isStatelessRevision('2027-01-15')).toBe(true);
    expect(isStatelessRevision('2025-11-25')).toBe(false);
    expect(isStatelessRevision('v999.0.0')).toBe(false);
  });
});
