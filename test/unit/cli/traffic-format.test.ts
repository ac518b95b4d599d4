import { afterEach, describe, expect, it } from 'vitest';
import { printable } from '../../../main/cli/format.ts';
import { formatTrafficLine, formatTrafficStats, formatTrafficTree } from '../../../main/cli/traffic-format.ts';
import type { TrafficEntry } from '../../../preload/contract/index.ts';

/** What a hostile server or client can put in the text the terminal prints. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';
const HIDDEN = '\u001b[8m';
const BACK_TO_START = '\r';
const RIGHT_TO_LEFT = '\u202e';

const entry: TrafficEntry = {
  id: '0000000000a',
  edge: 'upstream',
  direction: 'out',
  kind: 'request',
  method: `tools/call${CLEAR_SCREEN}`,
  target: `read${RIGHT_TO_LEFT}txt.exe`,
  server: `evil${HIDDEN}`,
  startedAt: Date.UTC(2026, 11, 5, 12),
  durationMs: 3,
  outcome: 'error',
  error: { code: -32000, message: `denied${BACK_TO_START}all good` },
  request: { bytes: 10 },
  response: { bytes: 20 },
};

const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('the traffic in a terminal', () => {
  it('prints what clients and servers chose with control characters escaped, colour or not', () => {
    for (const color of [false, true]) {
      const line = formatTrafficLine(entry, { color });
      // Only the colours Switchboard adds are escape sequences; none of the entry's text is.
      const ours = line.replace(/\u001b\[\d+m/g, '');
      expect(ours).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
      expect(ours).toContain('tools/call\\u001b[2J\\u001b[H');
      expect(ours).toContain('read\\u202etxt.exe');
      expect(ours).toContain('gateway → evil\\u001b[8m');
      expect(ours).toContain('-32000: denied\\u000dall good');
    }
    const stats = formatTrafficStats({
      since: 0,
      until: 1,
      servers: [
        {
          server: `s${CLEAR_SCREEN}`,
          calls: 1,
          errors: 0,
          timeouts: 0,
          toolErrors: 0,
          cancelled: 0,
          requestBytes: 1,
          responseBytes: 1,
        },
      ],
      tools: [],
      toolCalls: { calls: 1, failed: 0 },
    });
    expect(stats).not.toContain('\u001b');
  });

  it('gives the stats window in local time, as the lines and --since are, with its offset', () => {
    process.env.TZ = 'America/New_York';
    const stats = formatTrafficStats({
      since: Date.UTC(2026, 11, 4, 14, 5),
      until: Date.UTC(2026, 11, 4, 15, 5, 30, 250),
      servers: [],
      tools: [],
      toolCalls: { calls: 0, failed: 0 },
    });
    expect(stats).toBe(
      'From 2026-12-04 09:05:00 to 2026-12-04 10:05:30 (UTC-05:00): no calls to any server; ' +
        'clients made 0 tool calls, 0 failed.\n',
    );
    process.env.TZ = 'Asia/Kolkata';
    expect(
      formatTrafficStats({ since: 0, until: 0, servers: [], tools: [], toolCalls: { calls: 0, failed: 0 } }),
    ).toMatch(/^From 1970-01-01 05:30:00 to 1970-01-01 05:30:00 \(UTC\+05:30\)/);
  });

  it("gives the date of an exchange of another day than today's, and only the time of today's", () => {
    const at = new Date(2026, 11, 5, 23, 59, 58, 120).getTime();
    const plain: TrafficEntry = {
      ...entry,
      startedAt: at,
      method: 'tools/list',
      target: undefined,
      server: 'fx',
      error: undefined,
    };
    expect(formatTrafficLine(plain, { color: false }, new Date(2026, 11, 5, 23, 59, 59).getTime())).toMatch(
      /^23:59:58\.120 {2}/,
    );
    expect(formatTrafficLine(plain, { color: false }, new Date(2026, 11, 6, 0, 0, 1).getTime())).toMatch(
      /^2026-12-05 23:59:58\.120 {2}/,
    );
  });

  it('escapes what JSON leaves as it is in the payloads of a tree (C1 controls, bidi overrides)', () => {
    const json = JSON.stringify({ text: `a\u009b2Jb${RIGHT_TO_LEFT}c` });
    const tree = formatTrafficTree(
      { entry: { ...entry, request: { json, bytes: json.length } }, children: [] },
      { color: false },
    );
    expect(tree).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
    expect(tree).toContain('a\\u009b2Jb\\u202ec');
  });

  it('leaves ordinary text alone', () => {
    expect(printable('tools/call github__search — ünïcode ✓')).toBe('tools/call github__search — ünïcode ✓');
  });
});
