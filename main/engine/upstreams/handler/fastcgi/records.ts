/**
 * FastCGI 1.0 records: encoding what a client sends (BEGIN_REQUEST, PARAMS, STDIN, ABORT) and
 * an incremental parser for what comes back. Pure: no sockets here.
 * Spec: https://fast-cgi.github.io/spec (8-byte header, body up to 65535 bytes, 8-byte padding).
 */

export const FCGI_VERSION = 1;

export const RecordType = {
  BeginRequest: 1,
  AbortRequest: 2,
  EndRequest: 3,
  Params: 4,
  Stdin: 5,
  Stdout: 6,
  Stderr: 7,
  Data: 8,
  GetValues: 9,
  GetValuesResult: 10,
  UnknownType: 11,
} as const;

export const Role = { Responder: 1 } as const;
/** BEGIN_REQUEST flag: keep the connection open after the request. */
export const FCGI_KEEP_CONN = 1;

export const ProtocolStatus = {
  RequestComplete: 0,
  CantMultiplex: 1,
  Overloaded: 2,
  UnknownRole: 3,
} as const;

const HEADER_LENGTH = 8;
const MAX_CONTENT = 65535;

export interface FcgiRecord {
  type: number;
  requestId: number;
  content: Buffer;
  /** Bytes it took on the wire: header, content and padding. */
  size: number;
}

export function encodeRecord(type: number, requestId: number, content: Buffer = Buffer.alloc(0)): Buffer {
  if (content.length > MAX_CONTENT)
    throw new RangeError(`FastCGI record body of ${content.length} bytes exceeds ${MAX_CONTENT}`);
  const padding = (8 - (content.length % 8)) % 8;
  const record = Buffer.alloc(HEADER_LENGTH + content.length + padding);
  record.writeUInt8(FCGI_VERSION, 0);
  record.writeUInt8(type, 1);
  record.writeUInt16BE(requestId, 2);
  record.writeUInt16BE(content.length, 4);
  record.writeUInt8(padding, 6);
  content.copy(record, HEADER_LENGTH);
  return record;
}

/** A stream (PARAMS, STDIN) as records of at most 65535 bytes, ended by an empty record. */
export function encodeStream(type: number, requestId: number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  // Multiple of 8 so only the last record needs padding.
  const step = MAX_CONTENT - (MAX_CONTENT % 8);
  for (let offset = 0; offset < data.length; offset += step)
    out.push(encodeRecord(type, requestId, data.subarray(offset, offset + step)));
  out.push(encodeRecord(type, requestId));
  return out;
}

export function encodeBeginRequest(requestId: number, keepConn: boolean): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16BE(Role.Responder, 0);
  body.writeUInt8(keepConn ? FCGI_KEEP_CONN : 0, 2);
  return encodeRecord(RecordType.BeginRequest, requestId, body);
}

function encodeLength(length: number): Buffer {
  if (length < 128) return Buffer.from([length]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((length | 0x80000000) >>> 0, 0);
  return b;
}

/** Name-value pairs (the PARAMS body), in insertion order. */
export function encodeNameValuePairs(pairs: Iterable<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of pairs) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(encodeLength(n.length), encodeLength(v.length), n, v);
  }
  return Buffer.concat(parts);
}

/** Decodes name-value pairs (used by tests and GET_VALUES_RESULT). Throws on a truncated body. */
export function decodeNameValuePairs(body: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let offset = 0;
  const readLength = (): number => {
    if (offset >= body.length) throw new RangeError('truncated name-value pair');
    const first = body.readUInt8(offset);
    if (first < 128) {
      offset += 1;
      return first;
    }
    if (offset + 4 > body.length) throw new RangeError('truncated name-value pair');
    const length = body.readUInt32BE(offset) & 0x7fffffff;
    offset += 4;
    return length;
  };
  while (offset < body.length) {
    const nameLength = readLength();
    const valueLength = readLength();
    if (offset + nameLength + valueLength > body.length) throw new RangeError('truncated name-value pair');
    const name = body.toString('utf8', offset, offset + nameLength);
    offset += nameLength;
    out.push([name, body.toString('utf8', offset, offset + valueLength)]);
    offset += valueLength;
  }
  return out;
}

export interface EndRequest {
  appStatus: number;
  protocolStatus: number;
}

export function decodeEndRequest(content: Buffer): EndRequest {
  if (content.length < 8) throw new RangeError(`END_REQUEST body has ${content.length} bytes, expected 8`);
  return { appStatus: content.readUInt32BE(0), protocolStatus: content.readUInt8(4) };
}

/**
 * Splits a byte stream into records; throws a RangeError on bytes that are not FastCGI.
 * Chunks of an unfinished record are only collected, and joined once the record is whole: joined
 * at every chunk, a record a server trickles a byte at a time was copied once per byte (a 64 KiB
 * record cost the gateway gigabytes of copying and most of a second of CPU).
 */
export class RecordParser {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes needed before anything can be parsed: a header, or the whole record it starts. */
  private wanted = HEADER_LENGTH;

  /** Records completed by this chunk. */
  push(chunk: Buffer): FcgiRecord[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.length < this.wanted) return [];
    let buffer = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.length);
    const records: FcgiRecord[] = [];
    this.wanted = HEADER_LENGTH;
    while (buffer.length >= HEADER_LENGTH) {
      const version = buffer.readUInt8(0);
      if (version !== FCGI_VERSION) {
        throw new RangeError(
          `not a FastCGI reply (first bytes ${JSON.stringify(buffer.subarray(0, 16).toString('latin1'))})`,
        );
      }
      const contentLength = buffer.readUInt16BE(4);
      const total = HEADER_LENGTH + contentLength + buffer.readUInt8(6);
      if (buffer.length < total) {
        this.wanted = total;
        break;
      }
      records.push({
        type: buffer.readUInt8(1),
        requestId: buffer.readUInt16BE(2),
        content: Buffer.from(buffer.subarray(HEADER_LENGTH, HEADER_LENGTH + contentLength)),
        size: total,
      });
      buffer = buffer.subarray(total);
    }
    this.chunks = buffer.length === 0 ? [] : [buffer];
    this.length = buffer.length;
    return records;
  }

  /** Bytes of an unfinished record. */
  pending(): number {
    return this.length;
  }
}
