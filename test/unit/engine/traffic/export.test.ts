import { describe, expect, it } from 'vitest';
import { exportTraffic } from '../../../../main/engine/traffic/export.ts';
import type { TrafficEntry, TrafficOutcome } from '../../../../preload/contract/index.ts';

const NOW = Date.UTC(2026, 11, 4, 21, 5, 0, 123);

function entry(i: number, extra: Partial<TrafficEntry> = {}): TrafficEntry {
  const json = JSON.stringify({ name: 'echo', arguments: { text: `line\n${i}` } });
  return {
    id: `id-${i}`,
    edge: 'upstream',
    direction: 'out',
    kind: 'request',
    method: 'tools/call',
    target: 'echo',
    server: 'files',
    startedAt: NOW - 1000 + i,
    durationMs: 12.5,
    outcome: 'ok',
    request: { json, bytes: json.length },
    response: { json: '{"content":[]}', bytes: 14 },
    ...extra,
  };
}

interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: unknown[];
    headers: unknown[];
    queryString: unknown[];
    postData: { mimeType: string; text: string };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: unknown[];
    headers: unknown[];
    content: { size: number; mimeType: string; text?: string };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: object;
  timings: { send: number; wait: number; receive: number };
  _switchboard: Record<string, unknown>;
}

interface Har {
  log: { version: string; creator: { name: string; version: string }; entries: HarEntry[] };
}

const har = (entries: TrafficEntry[]) =>
  JSON.parse(exportTraffic({ format: 'har', entries, truncated: false, version: '1.4.0', now: NOW }).text) as Har;

describe('exportTraffic: JSON lines', () => {
  it('writes one entry per line, as it is, in the order given', () => {
    const entries = [entry(1), entry(2, { outcome: 'error', error: { code: -32603, message: 'a\nb' } }), entry(3)];
    const out = exportTraffic({ format: 'jsonl', entries, truncated: true, version: '1.4.0', now: NOW });
    expect(out).toMatchObject({
      format: 'jsonl',
      fileName: 'switchboard-traffic-2026-12-04T21-05-00Z.jsonl',
      contentType: 'application/x-ndjson',
      entries: 3,
      truncated: true,
    });
    expect(out.text.endsWith('\n')).toBe(true);
    const lines = out.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as TrafficEntry)).toEqual(entries);
  });

  it('writes an empty file for no entries', () => {
    const out = exportTraffic({ format: 'jsonl', entries: [], truncated: false, version: '1', now: NOW });
    expect(out.text).toBe('');
    expect(out.entries).toBe(0);
  });
});

describe('exportTraffic: HAR', () => {
  it('names the file and says what it holds', () => {
    const out = exportTraffic({ format: 'har', entries: [entry(1)], truncated: false, version: '1.4.0', now: NOW });
    expect(out).toMatchObject({
      format: 'har',
      fileName: 'switchboard-traffic-2026-12-04T21-05-00Z.har',
      contentType: 'application/json',
      entries: 1,
      truncated: false,
    });
    // A name every file system takes.
    expect(out.fileName).not.toMatch(/[:\\/*?"<>|]/);
  });

  it('has the shape HAR 1.2 requires, for every entry', () => {
    const entries = [
      entry(1),
      entry(2, {
        edge: 'client',
        direction: 'in',
        server: undefined,
        session: { id: 's', transport: 'http', profile: 'p' },
      }),
      entry(3, { kind: 'notification', method: 'notifications/progress', outcome: 'delivered', durationMs: undefined }),
      entry(4, { outcome: 'pending', durationMs: undefined, response: undefined }),
    ];
    const doc = har(entries);
    expect(doc.log.version).toBe('1.2');
    expect(doc.log.creator).toEqual({ name: 'Switchboard', version: '1.4.0' });
    expect(doc.log.entries).toHaveLength(4);
    doc.log.entries.forEach((e, i) => {
      const source = entries[i]!;
      expect(e.startedDateTime).toBe(new Date(source.startedAt).toISOString());
      expect(e.startedDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof e.time).toBe('number');
      expect(e.time).toBeGreaterThanOrEqual(0);
      // HAR: time is the sum of the timings.
      expect(e.timings.send + e.timings.wait + e.timings.receive).toBe(e.time);
      for (const part of [e.request, e.response]) {
        expect(typeof part.httpVersion).toBe('string');
        expect(part.cookies).toEqual([]);
        expect(part.headers).toEqual([]);
        expect(part.headersSize).toBe(-1);
        expect(typeof part.bodySize).toBe('number');
      }
      expect(e.request.method).toBe('POST');
      expect(() => new URL(e.request.url)).not.toThrow();
      expect(e.request.queryString).toEqual([]);
      expect(e.request.postData).toEqual({ mimeType: 'application/json', text: source.request.json });
      expect(e.request.bodySize).toBe(source.request.bytes);
      expect(typeof e.response.status).toBe('number');
      expect(typeof e.response.statusText).toBe('string');
      expect(e.response.content.mimeType).toBe('application/json');
      expect(e.response.content.size).toBe(source.response?.bytes ?? 0);
      expect(e.response.content.text).toBe(source.response?.json);
      expect(e.response.redirectURL).toBe('');
      expect(e.cache).toEqual({});
    });
    expect(doc.log.entries[0]!.time).toBe(12.5);
    expect(doc.log.entries[0]!.request.url).toBe('mcp://switchboard/server/files/tools/call');
    expect(doc.log.entries[1]!.request.url).toBe('mcp://switchboard/client/s/tools/call');
    expect(doc.log.entries[2]!.request.url).toBe('mcp://switchboard/server/files/notifications/progress');
  });

  it('gives each outcome its HTTP status', () => {
    const outcomes: [TrafficOutcome, number, string][] = [
      ['ok', 200, 'ok'],
      ['delivered', 204, 'notification'],
      ['cancelled', 499, 'cancelled'],
      ['timeout', 504, 'timeout'],
      ['pending', 0, 'pending'],
      ['error', 500, 'tool failed'],
    ];
    const doc = har(
      outcomes.map(([outcome], i) =>
        entry(i, { outcome, ...(outcome === 'error' ? { error: { code: -32603, message: 'tool failed' } } : {}) }),
      ),
    );
    expect(doc.log.entries.map((e) => [e.response.status, e.response.statusText])).toEqual(
      outcomes.map(([, status, text]) => [status, text]),
    );
    expect(har([entry(1, { outcome: 'error' })]).log.entries[0]!.response.statusText).toBe('error');
  });

  it('keeps what HAR has no place for under _switchboard', () => {
    const session = { id: 's1', transport: 'stdio', profile: 'work', client: { name: 'Claude Code' } };
    const doc = har([
      entry(1, {
        parentId: 'p0',
        edge: 'client',
        direction: 'in',
        session,
        outcome: 'error',
        error: { code: -32602, message: 'bad' },
        request: { json: '{"a":"…[truncated: 99999 bytes in all]', bytes: 99999, truncated: true },
        response: { json: '{}…', bytes: 88888, truncated: true },
      }),
      entry(2),
    ]);
    expect(doc.log.entries[0]!._switchboard).toEqual({
      id: 'id-1',
      parentId: 'p0',
      edge: 'client',
      direction: 'in',
      kind: 'request',
      method: 'tools/call',
      target: 'echo',
      session,
      server: 'files',
      outcome: 'error',
      error: { code: -32602, message: 'bad' },
      requestTruncated: true,
      responseTruncated: true,
    });
    expect(doc.log.entries[0]!.request.url).toBe('mcp://switchboard/client/Claude%20Code/tools/call');
    expect(doc.log.entries[1]!._switchboard).toEqual({
      id: 'id-2',
      edge: 'upstream',
      direction: 'out',
      kind: 'request',
      method: 'tools/call',
      target: 'echo',
      server: 'files',
      outcome: 'ok',
    });
  });

  it('keeps entries in the order given', () => {
    const doc = har([entry(3), entry(1), entry(2)]);
    expect(doc.log.entries.map((e) => e._switchboard.id)).toEqual(['id-3', 'id-1', 'id-2']);
  });
});
