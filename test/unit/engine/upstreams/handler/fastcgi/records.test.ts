import { describe, expect, it } from 'vitest';
import {
  parseCgiResponse,
  oversizedHeaders,
  CgiResponseError,
} from '../../../../../../main/engine/upstreams/handler/fastcgi/cgi-response.ts';
import {
  RecordParser,
  RecordType,
  decodeEndRequest,
  decodeNameValuePairs,
  encodeBeginRequest,
  encodeNameValuePairs,
  encodeRecord,
  encodeStream,
} from '../../../../../../main/engine/upstreams/handler/fastcgi/records.ts';

describe('FastCGI records', () => {
  it('encodes the 8-byte header and pads the body to 8 bytes', () => {
    const record = encodeRecord(RecordType.Stdin, 1, Buffer.from('hello'));
    expect([...record.subarray(0, 8)]).toEqual([1, 5, 0, 1, 0, 5, 3, 0]);
    expect(record.length).toBe(16);
    expect(record.subarray(8, 13).toString()).toBe('hello');
  });

  it('BEGIN_REQUEST: responder role and the keep-connection flag', () => {
    expect([...encodeBeginRequest(1, true).subarray(8)]).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    expect([...encodeBeginRequest(1, false).subarray(8)]).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('name-value pairs with 1- and 4-byte lengths round-trip', () => {
    const long = 'v'.repeat(200);
    const body = encodeNameValuePairs([
      ['SCRIPT_FILENAME', '/srv/a.php'],
      ['HTTP_X_LONG', long],
      ['EMPTY', ''],
    ]);
    expect(body[0]).toBe(15);
    expect(body.readUInt32BE(1 + 1 + 15 + 10 + 1) & 0x7fffffff).toBe(200);
    expect(decodeNameValuePairs(body)).toEqual([
      ['SCRIPT_FILENAME', '/srv/a.php'],
      ['HTTP_X_LONG', long],
      ['EMPTY', ''],
    ]);
    expect(() => decodeNameValuePairs(body.subarray(0, body.length - 3))).toThrow('truncated');
  });

  it('splits a large stream into records of at most 65535 bytes and ends it with an empty one', () => {
    const records = encodeStream(RecordType.Stdin, 1, Buffer.alloc(140_000, 0x61));
    const parsed = new RecordParser().push(Buffer.concat(records));
    expect(parsed.map((r) => r.content.length)).toEqual([65528, 65528, 140_000 - 2 * 65528, 0]);
    expect(parsed.every((r) => r.type === RecordType.Stdin && r.requestId === 1)).toBe(true);
  });

  it('parses records split anywhere across chunks', () => {
    const bytes = Buffer.concat([
      encodeRecord(RecordType.Stdout, 1, Buffer.from('Status: 200\r\n\r\n{}')),
      encodeRecord(RecordType.Stderr, 1, Buffer.from('warn')),
      encodeRecord(RecordType.EndRequest, 1, Buffer.from([0, 0, 0, 7, 0, 0, 0, 0])),
    ]);
    for (const size of [1, 3, 7, 8, 9, 50]) {
      const parser = new RecordParser();
      const got = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...parser.push(bytes.subarray(i, i + size)));
      expect(got.map((r) => r.type)).toEqual([RecordType.Stdout, RecordType.Stderr, RecordType.EndRequest]);
      expect(decodeEndRequest(got[2]!.content)).toEqual({ appStatus: 7, protocolStatus: 0 });
      expect(parser.pending()).toBe(0);
    }
  });

  it('a record of the largest size trickled a byte at a time, then the start of the next', () => {
    const big = encodeRecord(RecordType.Stdout, 1, Buffer.alloc(65535, 0x61));
    const bytes = Buffer.concat([big, encodeRecord(RecordType.Stderr, 1, Buffer.from('w')).subarray(0, 5)]);
    const parser = new RecordParser();
    const got = [];
    const wrongPending = [];
    for (let i = 0; i < bytes.length; i++) {
      got.push(...parser.push(bytes.subarray(i, i + 1)));
      // Every byte so far is pending, but for the record once it is whole.
      if (parser.pending() !== (i + 1) % big.length) wrongPending.push(i);
    }
    expect(wrongPending).toEqual([]);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: RecordType.Stdout, requestId: 1, size: big.length });
    expect(got[0]!.content.equals(Buffer.alloc(65535, 0x61))).toBe(true);
    expect(parser.pending()).toBe(5);
    expect(parser.push(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses bytes that are not FastCGI arriving a byte at a time, once a header could be read', () => {
    const parser = new RecordParser();
    const text = Buffer.from('HTTP/1.1 502 Bad Gateway\r\n');
    for (let i = 0; i < 7; i++) expect(parser.push(text.subarray(i, i + 1))).toEqual([]);
    expect(() => parser.push(text.subarray(7, 8))).toThrow('not a FastCGI reply (first bytes "HTTP/1.1")');
  });

  it('refuses bytes that are not FastCGI, quoting them', () => {
    expect(() => new RecordParser().push(Buffer.from('HTTP/1.1 502 Bad Gateway\r\n'))).toThrow(
      'not a FastCGI reply (first bytes "HTTP/1.1 502 Bad")',
    );
  });
});

describe('CGI responses', () => {
  it('headers, a blank line, the body; Status honoured; repeated headers joined', () => {
    const r = parseCgiResponse(
      Buffer.from('Status: 404 Not Found\r\nX-A: 1\r\nX-A: 2\r\nContent-type: application/json\r\n\r\n{"error":{}}'),
    );
    expect(r.status).toBe(404);
    expect(r.headers).toEqual({ status: '404 Not Found', 'x-a': '1, 2', 'content-type': 'application/json' });
    expect(r.body.toString()).toBe('{"error":{}}');
  });

  it('accepts bare LF line ends, and a Location without Status means 302', () => {
    expect(parseCgiResponse(Buffer.from('Content-Type: text/plain\n\nhi')).body.toString()).toBe('hi');
    expect(parseCgiResponse(Buffer.from('Location: /elsewhere\r\n\r\n')).status).toBe(302);
  });

  it('output without headers is all body', () => {
    expect(parseCgiResponse(Buffer.from('{"content":[]}'))).toEqual({
      status: 200,
      headers: {},
      body: Buffer.from('{"content":[]}'),
    });
    expect(parseCgiResponse(Buffer.from('{"a":"b:\\n\\n"}')).body.toString()).toBe('{"a":"b:\\n\\n"}');
    expect(parseCgiResponse(Buffer.alloc(0)).status).toBe(200);
  });

  it('an invalid Status header is an error that says what it expected', () => {
    expect(() => parseCgiResponse(Buffer.from('Status: OK\r\n\r\n{}'))).toThrow(CgiResponseError);
    expect(() => parseCgiResponse(Buffer.from('Status: OK\r\n\r\n{}'))).toThrow(
      'invalid CGI "Status: OK" header (expected a 3-digit code, e.g. "Status: 404 Not Found")',
    );
    expect(() => parseCgiResponse(Buffer.from('Status: 042\r\n\r\n{}'))).toThrow('expected a code from 100 to 999');
  });

  it('the first 16 KiB of output all header lines, with no blank line: refused; anything else is read', () => {
    const kib16 = (text: string) => Buffer.from(text.repeat(Math.ceil(16384 / text.length)).slice(0, 16384));
    expect(oversizedHeaders(Buffer.from(`X-One: ${'a'.repeat(16400)}`))).toBe(
      'sent a CGI header block over 16384 bytes without its end, more than Switchboard reads: 1 header line ' +
        '(the first "X-One") and no blank line in the first 16384 bytes of its output',
    );
    expect(oversizedHeaders(kib16('X-Many: 1\r\n'))).toContain('1490 header lines (the first "X-Many")');
    // Text that starts like a header but goes on as prose, JSON, headers that end in time, less than 16 KiB.
    expect(oversizedHeaders(Buffer.concat([Buffer.from('Note: hi\n'), kib16('just words\n')]))).toBeUndefined();
    expect(oversizedHeaders(kib16('{"content":[]}'))).toBeUndefined();
    expect(oversizedHeaders(Buffer.concat([Buffer.from('X-A: 1\r\n\r\n'), kib16('X-B: 2\r\n')]))).toBeUndefined();
    expect(oversizedHeaders(Buffer.from('X-A: 1\r\n'.repeat(100)))).toBeUndefined();
  });
});
