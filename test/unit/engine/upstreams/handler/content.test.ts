import { describe, expect, it } from 'vitest';
import { HandlerError } from '../../../../../main/engine/upstreams/handler/errors.ts';
import {
  classifyReply,
  mapContentBlock,
  promptResult,
  resourceResult,
  toolErrorResult,
  toolResult,
} from '../../../../../main/engine/upstreams/handler/content.ts';
import { elicitationParams, readAnswer } from '../../../../../main/engine/upstreams/handler/elicit.ts';
import { decodeReply } from '../../../../../main/engine/upstreams/handler/reply.ts';

const RAW = Buffer.from('{}');

describe('reply kinds', () => {
  it('elicit, then error, then content; none is an error naming the server', () => {
    expect(classifyReply('s', { elicit: { message: 'q' }, error: { message: 'e' } }, RAW).kind).toBe('elicit');
    expect(classifyReply('s', { error: { message: 'e' }, content: [] }, RAW).kind).toBe('error');
    expect(classifyReply('s', { content: [] }, RAW).kind).toBe('content');
    expect(() => classifyReply('s', { elicit: null, result: 1 }, RAW)).toThrow(
      'server "s": handler reply has no elicit, error or content (it has "result")',
    );
    expect(() => classifyReply('s', { content: 'text' }, RAW)).toThrow(
      'handler reply "content" must be an array of content blocks',
    );
  });

  it('reads errors with or without a code, or as a bare string', () => {
    expect(
      toolErrorResult(
        (classifyReply('s', { error: { code: 'E_SEAT', message: 'Taken' } }, RAW) as { error: { message: string } })
          .error,
      ),
    ).toEqual({
      content: [{ type: 'text', text: 'Error E_SEAT: Taken' }],
      isError: true,
      _meta: { 'switchboard/handlerError': { code: 'E_SEAT', message: 'Taken' } },
    });
    expect(classifyReply('s', { error: 'plain' }, RAW)).toEqual({ kind: 'error', error: { message: 'plain' } });
  });

  it('elicit: form by default with an empty schema; URL mode only for web links', () => {
    expect(classifyReply('s', { elicit: { message: 'q' } }, RAW)).toEqual({
      kind: 'elicit',
      elicit: { mode: 'form', message: 'q', schema: { type: 'object', properties: {} } },
    });
    expect(() => classifyReply('s', { elicit: {} }, RAW)).toThrow('handler reply "elicit" needs a "message" string');
    expect(() => classifyReply('s', { elicit: { mode: 'url', message: 'q', url: 'file:///etc/passwd' } }, RAW)).toThrow(
      'needs an http:// or https:// "url"',
    );
    expect(() => classifyReply('s', { elicit: { message: 'q', schema: 'x' } }, RAW)).toThrow(
      '"elicit.schema" must be a JSON Schema object',
    );
  });
});

describe('content blocks', () => {
  it('text, image, audio, resource_link and embedded resources in MCP shape', () => {
    expect(mapContentBlock({ type: 'text', text: 'hi', annotations: { audience: ['user'] } })).toEqual({
      type: 'text',
      text: 'hi',
      annotations: { audience: ['user'] },
    });
    expect(mapContentBlock({ type: 'image', data: 'iVBO', mime_type: 'image/png' })).toEqual({
      type: 'image',
      data: 'iVBO',
      mimeType: 'image/png',
    });
    expect(mapContentBlock({ type: 'audio', data: 'UklG', mime_type: 'audio/wav' })).toEqual({
      type: 'audio',
      data: 'UklG',
      mimeType: 'audio/wav',
    });
    expect(
      mapContentBlock({
        type: 'resource_link',
        uri: 'app://b/1',
        name: 'b1',
        title: 'Booking',
        mime_type: 'application/json',
        size: 3,
      }),
    ).toEqual({
      type: 'resource_link',
      uri: 'app://b/1',
      name: 'b1',
      title: 'Booking',
      mimeType: 'application/json',
      size: 3,
    });
    expect(mapContentBlock({ type: 'resource', uri: 'app://r', mime_type: 'text/plain', text: 'x' })).toEqual({
      type: 'resource',
      resource: { uri: 'app://r', mimeType: 'text/plain', text: 'x' },
    });
    expect(mapContentBlock({ type: 'resource', resource: { uri: 'app://r', blob: 'AA==' } })).toEqual({
      type: 'resource',
      resource: { uri: 'app://r', blob: 'AA==' },
    });
  });

  it('says what is wrong with a bad block, and where', () => {
    expect(() => mapContentBlock({ type: 'image', data: 'x' })).toThrow(
      '(image) needs "data" (base64) and "mime_type"',
    );
    expect(() => mapContentBlock({ type: 'resource', uri: 'a://b' })).toThrow(
      '(resource) needs "text" or "blob" (base64)',
    );
    const reply = classifyReply('s', { content: [{ type: 'text', text: 'ok' }, { type: 'text' }] }, RAW);
    if (reply.kind !== 'content') throw new Error('expected content');
    expect(() => toolResult('s', reply, RAW)).toThrow(
      'server "s": handler reply content[1] (text) needs a "text" string',
    );
  });

  it('structured_content becomes structuredContent and must be an object', () => {
    const ok = classifyReply('s', { content: [], structured_content: { seat: '14A' } }, RAW);
    if (ok.kind !== 'content') throw new Error('expected content');
    expect(toolResult('s', ok, RAW)).toEqual({ content: [], structuredContent: { seat: '14A' } });
    const bad = classifyReply('s', { content: [], structured_content: [1] }, RAW);
    if (bad.kind !== 'content') throw new Error('expected content');
    expect(() => toolResult('s', bad, RAW)).toThrow('"structured_content" must be an object');
  });

  it('prompt messages: role assistant unless the block sets one', () => {
    expect(
      promptResult(
        's',
        [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b', role: 'user' },
          { type: 'text', text: 'c', role: 'system' },
        ],
        {},
        RAW,
      ),
    ).toEqual({
      messages: [
        { role: 'assistant', content: { type: 'text', text: 'a' } },
        { role: 'user', content: { type: 'text', text: 'b' } },
        { role: 'assistant', content: { type: 'text', text: 'c' } },
      ],
    });
  });

  it('a resource_link is not resource contents', () => {
    expect(() => resourceResult('s', 'app://x', [{ type: 'resource_link', uri: 'app://y' }], RAW)).toThrow(
      'content[0] is a resource_link, which cannot be resource contents',
    );
  });
});

describe('elicitation requests and answers', () => {
  it('form mode leaves mode out; URL mode carries an id', () => {
    expect(elicitationParams({ mode: 'form', message: 'q', schema: { type: 'object' } })).toEqual({
      message: 'q',
      requestedSchema: { type: 'object' },
    });
    expect(elicitationParams({ mode: 'url', message: 'q', url: 'https://x' })).toMatchObject({
      mode: 'url',
      message: 'q',
      url: 'https://x',
      elicitationId: expect.any(String),
    });
  });

  it('reads answers; anything odd counts as cancel, an error as unsupported', () => {
    expect(readAnswer({ result: { action: 'accept', content: { a: 1 } } })).toEqual({
      action: 'accept',
      content: { a: 1 },
    });
    expect(readAnswer({ result: { action: 'accept' } })).toEqual({ action: 'accept', content: {} });
    expect(readAnswer({ result: { action: 'decline' } })).toEqual({ action: 'decline' });
    expect(readAnswer({ result: { action: 'maybe' } })).toEqual({ action: 'cancel' });
    expect(readAnswer({ result: { action: 'cancel' } })).toEqual({ action: 'cancel' });
    // The app's cancel of a question nobody answered there: no person cancelled it.
    expect(
      readAnswer({ result: { action: 'cancel', _meta: { 'switchboard/unanswered': 'nobody answered it in 600 s' } } }),
    ).toEqual({ action: 'unsupported', reason: 'nobody answered it in 600 s' });
    expect(readAnswer({ error: { message: 'no forms here' } })).toEqual({
      action: 'unsupported',
      reason: 'no forms here',
    });
  });
});

describe('judging a raw reply', () => {
  const where = 'http://h/';
  const err = (fn: () => unknown): HandlerError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(HandlerError);
      return e as HandlerError;
    }
    throw new Error('expected an error');
  };

  it('accepts a JSON object whatever the content type (PHP says text/html by default)', () => {
    expect(
      decodeReply('s', where, {
        status: 200,
        contentType: 'text/html; charset=UTF-8',
        body: Buffer.from('{"content":[]}'),
      }),
    ).toEqual({ content: [] });
  });

  it("quotes an error page's text where its title says nothing (Express's default page)", () => {
    const page =
      '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n' +
      '<pre>TypeError: Cannot read properties of undefined (reading &#39;city&#39;)<br> &nbsp; &nbsp;at ' +
      '/srv/app.js:12:30</pre>\n</body>\n</html>\n';
    const reply = { status: 500, contentType: 'text/html; charset=utf-8', body: Buffer.from(page) };
    expect(err(() => decodeReply('s', where, reply)).message).toBe(
      'server "s": handler at http://h/ answered HTTP 500 (an HTML page: Error: TypeError: Cannot read properties ' +
        "of undefined (reading 'city') at /srv/app.js:12:30)",
    );
  });

  it("names text that is not JSON as text, and a PHP error printed into it as PHP's", () => {
    const html = { status: 200, contentType: 'text/html; charset=UTF-8' };
    expect(err(() => decodeReply('s', where, { ...html, body: Buffer.from('database down') })).message).toBe(
      'server "s": handler at http://h/ answered text instead of JSON: database down',
    );
    const warning = '\nDeprecated: Creation of dynamic property Db::$x is deprecated in /srv/db.php on line 9\n{}';
    expect(err(() => decodeReply('s', where, { ...html, body: Buffer.from(warning) })).message).toBe(
      'server "s": handler at http://h/ answered text instead of JSON: Deprecated: Creation of dynamic property ' +
        'Db::$x is deprecated in /srv/db.php on line 9 {} (PHP printed its error into the reply: set ' +
        'display_errors off for the pool, and with log_errors on it comes on FastCGI stderr instead)',
    );
  });

  it('says where a reply stops being UTF-8, and names UTF-16', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const at = (body: Buffer) => err(() => decodeReply('s', where, { status: 200, body })).message.split('UTF-8): ')[1];
    // Valid 2-, 3- and 4-byte characters before it count as what they are; a lone start byte does not.
    expect(at(bytes('{"a":"é日😀', [0xe6, 0x97], '"}'))).toBe(
      'byte 0xE6 at offset 15 (text in Latin-1 or Windows-1252, such as from a database connection or a file ' +
        'not read as UTF-8?), right after: {"a":"é日😀',
    );
    // An encoded surrogate (CESU-8) is not UTF-8 either.
    expect(at(bytes('{"a":"', [0xed, 0xa0, 0x80], '"}'))).toMatch(/^byte 0xED at offset 6 /);
    expect(at(bytes([0x80], '{}'))).toBe(
      'byte 0x80 at offset 0 (text in Latin-1 or Windows-1252, such as from a database connection or a file ' +
        'not read as UTF-8?)',
    );
    expect(at(Buffer.from('\ufeff{}', 'utf16le'))).toBe('it is UTF-16 (it starts with the byte order mark 0xFFFE)');
  });

  it('names HTML, bad JSON, non-objects, empty bodies and error statuses', () => {
    expect(err(() => decodeReply('s', where, { status: 200, body: Buffer.from('<p>hi</p>') })).message).toBe(
      'server "s": handler at http://h/ answered HTML instead of JSON: hi',
    );
    expect(err(() => decodeReply('s', where, { status: 200, body: Buffer.from('{bad') })).message).toMatch(
      /^server "s": handler at http:\/\/h\/ answered malformed JSON \(.+\): \{bad$/,
    );
    expect(err(() => decodeReply('s', where, { status: 200, body: Buffer.from('"str"') })).message).toBe(
      'server "s": handler at http://h/ answered JSON that is not an object: "str"',
    );
    expect(err(() => decodeReply('s', where, { status: 204, body: Buffer.alloc(0) })).message).toBe(
      'server "s": handler at http://h/ answered with an empty body instead of JSON',
    );
    const status = err(() =>
      decodeReply('s', where, { status: 503, body: Buffer.from('{"error":"maintenance"}'), stderr: 'PHP Warning: x' }),
    );
    expect(status.message).toBe(
      'server "s": handler at http://h/ answered HTTP 503 (maintenance); stderr: PHP Warning: x',
    );
    expect(status).toMatchObject({
      code: 'upstream_error',
      status: 503,
      raw: '{"error":"maintenance"}',
      stderr: 'PHP Warning: x',
    });
  });
});
