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
