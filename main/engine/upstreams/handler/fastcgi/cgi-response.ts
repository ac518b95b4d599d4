/**
 * A responder's stdout is CGI output (RFC 3875 §6): header lines, a blank line, the body.
 * `Status: 404 Not Found` sets the status; `Location` without one means 302; default 200.
 * Output that does not start with header lines is taken as a bare body (a handler that
 * printed JSON without headers still works).
 */

export interface CgiResponse {
  status: number;
  /**
   * Lower-case names; repeated headers joined with ", ". Without a prototype: a header named
   * `constructor` was joined to Object's own, and one named `__proto__` was lost.
   */
  headers: Record<string, string>;
  body: Buffer;
}

const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/;
/** A header line cut short: a name so far, or a name and its colon. */
const HEADER_LINE_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*(?::|\r?$)/;

/** The most the header block may take, as over HTTP (undici's maxHeaderSize in http-transport.ts). */
export const MAX_HEADER_BYTES = 16 * 1024;

export class CgiResponseError extends Error {}

function headerEnd(out: Buffer): { end: number; next: number } | undefined {
  const crlf = out.indexOf('\r\n\r\n');
  const lf = out.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { end: crlf, next: crlf + 4 };
  return { end: lf, next: lf + 2 };
}

function noHeaders(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/**
 * Why the start of a reply, once MAX_HEADER_BYTES of it came, cannot be read: header lines fill all
 * of it with no blank line to end them (a server writing headers without end, or more of them than
 * an HTTP handler may send). Undefined when the headers end in time, or the output is a bare body.
 */
export function oversizedHeaders(start: Buffer): string | undefined {
  const head = start.subarray(0, MAX_HEADER_BYTES);
  if (head.length < MAX_HEADER_BYTES || headerEnd(head)) return undefined;
  const lines = head.toString('latin1').split(/\r?\n/);
  const cut = lines.pop()!;
  const whole = lines.every((line) => HEADER_LINE.test(line));
  if (!whole || !(lines.length > 0 ? HEADER_LINE_START : HEADER_LINE).test(cut)) return undefined;
  const first = (lines[0] ?? cut).split(':', 1)[0]!.slice(0, 60);
  const count = lines.length + (cut === '' ? 0 : 1);
  return (
    `sent a CGI header block over ${MAX_HEADER_BYTES} bytes without its end, more than Switchboard reads: ` +
    `${count} header line${count === 1 ? '' : 's'} (the first "${first}") and no blank line in the first ` +
    `${MAX_HEADER_BYTES} bytes of its output`
  );
}

export function parseCgiResponse(out: Buffer): CgiResponse {
  const split = headerEnd(out);
  const firstLine = out.subarray(0, Math.min(out.length, 256)).toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  if (!split || !HEADER_LINE.test(firstLine)) return { status: 200, headers: noHeaders(), body: out };
  const headers = noHeaders();
  for (const line of out.subarray(0, split.end).toString('latin1').split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    // A line that is not a header inside the header block: treat the whole output as a body.
    if (colon <= 0 || !HEADER_LINE.test(line)) return { status: 200, headers: noHeaders(), body: out };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let status = headers.location !== undefined ? 302 : 200;
  if (headers.status !== undefined) {
    const m = /^(\d{3})(?:\s|$)/.exec(headers.status);
    if (!m)
      throw new CgiResponseError(
        `invalid CGI "Status: ${headers.status.slice(0, 60)}" header (expected a 3-digit code, e.g. "Status: ` +
          `404 Not Found")`,
      );
    status = Number(m[1]);
    if (status < 100)
      throw new CgiResponseError(
        `invalid CGI "Status: ${headers.status.slice(0, 60)}" header (expected a code from 100 to 999)`,
      );
  }
  return { status, headers, body: out.subarray(split.next) };
}
