/**
 * Recorded exchanges as a file to keep or attach to a bug report: JSON lines (one entry per line,
 * exactly as the API lists them) or a HAR-like JSON that HAR viewers open (each exchange a
 * request/response pair; what HAR has no place for is under `_switchboard`). Both are made from
 * entries that were redacted when they were recorded.
 */
import type { TrafficEntry, TrafficExport, TrafficExportFormat } from '../../../preload/contract/index.ts';

export interface ExportInput {
  format: TrafficExportFormat;
  /** Oldest first. */
  entries: TrafficEntry[];
  truncated: boolean;
  version: string;
  now?: number;
}

export function exportTraffic(input: ExportInput): TrafficExport {
  const stamp = new Date(input.now ?? Date.now())
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const base = {
    format: input.format,
    entries: input.entries.length,
    truncated: input.truncated,
  };
  if (input.format === 'jsonl')
    return {
      ...base,
      fileName: `switchboard-traffic-${stamp}.jsonl`,
      contentType: 'application/x-ndjson',
      text: input.entries.map((e) => `${JSON.stringify(e)}\n`).join(''),
    };
  return {
    ...base,
    fileName: `switchboard-traffic-${stamp}.har`,
    contentType: 'application/json',
    text: `${JSON.stringify(harOf(input.entries, input.version), null, 2)}\n`,
  };
}

/** HAR 1.2's shape, with an `mcp://` URL naming the edge and who was on the other side. */
function harOf(entries: TrafficEntry[], version: string): unknown {
  return {
    log: {
      version: '1.2',
      creator: { name: 'Switchboard', version },
      comment: 'MCP traffic recorded by Switchboard; secrets were redacted when recorded.',
      entries: entries.map(harEntry),
    },
  };
}

function harEntry(entry: TrafficEntry): unknown {
  const status = statusOf(entry);
  return {
    startedDateTime: new Date(entry.startedAt).toISOString(),
    time: entry.durationMs ?? 0,
    request: {
      method: 'POST',
      url: urlOf(entry),
      httpVersion: 'JSON-RPC/2.0',
      cookies: [],
      headers: [],
      queryString: [],
      postData: { mimeType: 'application/json', text: entry.request.json ?? '' },
      headersSize: -1,
      bodySize: entry.request.bytes,
    },
    response: {
      status: status.code,
      statusText: status.text,
      httpVersion: 'JSON-RPC/2.0',
      cookies: [],
      headers: [],
      content: {
        size: entry.response?.bytes ?? 0,
        mimeType: 'application/json',
        ...(entry.response?.json === undefined ? {} : { text: entry.response.json }),
      },
      redirectURL: '',
      headersSize: -1,
      bodySize: entry.response?.bytes ?? 0,
    },
    cache: {},
    timings: { send: 0, wait: entry.durationMs ?? 0, receive: 0 },
    _switchboard: {
      id: entry.id,
      ...(entry.parentId ? { parentId: entry.parentId } : {}),
      edge: entry.edge,
      direction: entry.direction,
      kind: entry.kind,
      method: entry.method,
      ...(entry.target === undefined ? {} : { target: entry.target }),
      ...(entry.session ? { session: entry.session } : {}),
      ...(entry.server === undefined ? {} : { server: entry.server }),
      outcome: entry.outcome,
      ...(entry.error ? { error: entry.error } : {}),
      ...(entry.request.truncated ? { requestTruncated: true } : {}),
      ...(entry.response?.truncated ? { responseTruncated: true } : {}),
    },
  };
}

function urlOf(entry: TrafficEntry): string {
  const who =
    entry.edge === 'client'
      ? `client/${encodeURIComponent(entry.session?.client?.name ?? entry.session?.id ?? 'unknown')}`
      : entry.edge === 'upstream'
        ? `server/${encodeURIComponent(entry.server ?? 'unknown')}`
        : 'app';
  return `mcp://switchboard/${who}/${entry.method.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * HAR wants an HTTP status: 200 answered (a tool's own error too: the call was answered), 204 a
 * notification, 499 cancelled, 504 timed out, 500 an error.
 */
function statusOf(entry: TrafficEntry): { code: number; text: string } {
  switch (entry.outcome) {
    case 'ok':
      return { code: 200, text: 'ok' };
    case 'tool_error':
      return { code: 200, text: 'tool error' };
    case 'delivered':
      return { code: 204, text: 'notification' };
    case 'cancelled':
      return { code: 499, text: 'cancelled' };
    case 'timeout':
      return { code: 504, text: 'timeout' };
    case 'pending':
      return { code: 0, text: 'pending' };
    default:
      return { code: 500, text: entry.error?.message ?? 'error' };
  }
}
