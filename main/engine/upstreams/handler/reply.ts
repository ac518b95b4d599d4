/**
 * Judges a handler's raw reply: a 2xx status with a JSON object body is a reply; anything else
 * (an error status, an HTML page, text, malformed JSON, an empty body) is a HandlerError that names
 * the server and the cause and keeps the raw bytes for the traffic log.
 */
import { isUtf8 } from 'node:buffer';
import { excerpt, protocolError, transportError } from './errors.ts';
import { htmlGist } from '../../egress/html-gist.ts';
import { describeRetryAfter } from '../retry-after.ts';
import type { HandlerReply } from './transport.ts';

/**
 * Markup, by the body: PHP labels everything text/html unless told otherwise, so its plain text
 * (`die('database down')`) is HTML only by the header.
 */
function looksLikeHtml(reply: HandlerReply, text: string): boolean {
  return /^\s*</.test(text) || (/\bhtml\b/i.test(reply.contentType ?? '') && /<\/?[a-z][^>]*>/i.test(text));
}

/** PHP's own error, printed into the output (display_errors on), as plain text or in HTML. */
const PHP_DISPLAYED_ERROR = new RegExp(
  String.raw`(?:^|\n|<br />)\s*(?:<b>)?(?:PHP )?(?:Warning|Notice|Deprecated|Fatal error|Parse error)(?:</b>)?` +
    String.raw`\s*:.* on line (?:<b>)?\d+`,
);
/** php-fpm's words for a SCRIPT_FILENAME it finds no file at (answered 404 "File not found."). */
const SCRIPT_UNKNOWN_HINT =
  ' (php-fpm found no script at that path: "entrypoint" must be its absolute path as php-fpm sees it, ' +
  'inside its container or chroot if it runs in one)';
const PHP_HINT =
  ' (PHP printed its error into the reply: set display_errors off for the pool, and with log_errors on it ' +
  'comes on FastCGI stderr instead)';

/**
 * Why a PHP script printed nothing, most often: json_encode returns false (and echo prints nothing)
 * for text that is not UTF-8, such as a Latin-1 column read from a database.
 */
const PHP_EMPTY_HINT =
  ' (a PHP script prints nothing when it has no echo, or when json_encode fails: it returns false for ' +
  'text that is not UTF-8 and for NAN or INF; json_encode($reply, JSON_THROW_ON_ERROR) makes that an error ' +
  'that says why)';

/** The message of a JSON error body ({"error": {"message"}} or {"error": "..."}), if any. */
function jsonGist(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message =
      typeof parsed.error === 'object' && parsed.error !== null
        ? parsed.error.message
        : (parsed.error ?? parsed.message);
    return typeof message === 'string' && message !== '' ? excerpt(message, 160) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the script wrote to stderr, as a message quotes it: the errors that ended it first (PHP
 * writes its warnings before them, and they filled the excerpt), then the other lines.
 */
function stderrGist(stderr: string): string {
  // php-fpm joins a request's messages on one line: "PHP message: …; PHP message: …".
  const lines = stderr
    .split(/\r?\n|;\s+(?=PHP message:)/)
    .map((line) => line.trim())
    .filter(Boolean);
  const fatal = lines.filter((line) => /\b(?:fatal error|parse error|uncaught)\b/i.test(line));
  return excerpt([...fatal, ...lines.filter((line) => !fatal.includes(line))].join('; '), 600);
}

/**
 * The offset of the first byte that is not UTF-8: the decoder puts U+FFFD where the bytes stop being
 * UTF-8, and the text before it is valid, so its length in bytes is the offset. A U+FFFD the reply
 * itself holds (EF BF BD) is skipped.
 */
function firstBadByte(body: Buffer): number {
  const text = body.toString('utf8');
  let offset = 0;
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) {
    offset = Buffer.byteLength(text.slice(0, at), 'utf8');
    if (!(body[offset] === 0xef && body[offset + 1] === 0xbf && body[offset + 2] === 0xbd)) return offset;
  }
  return offset;
}

/**
 * Where a reply stops being UTF-8: the byte, its offset and the text just before it. A Latin-1 or
 * Windows-1252 "é" from a database or a file is the usual cause, somewhere in a long reply.
 */
function whereNotUtf8(body: Buffer): string {
  if ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff))
    return `it is UTF-16 (it starts with the byte order mark 0x${body.subarray(0, 2).toString('hex').toUpperCase()})`;
  const i = firstBadByte(body);
  const before = body
    .subarray(Math.max(0, i - 40), i)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
  const hex = `0x${body[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
  return (
    `byte ${hex} at offset ${i} (text in Latin-1 or Windows-1252, such as from a database connection or a ` +
    `file not read as UTF-8?)${before ? `, right after: ${before}` : ''}`
  );
}

export function decodeReply(server: string, where: string, reply: HandlerReply): Record<string, unknown> {
  const text = reply.body.toString('utf8');
  const details = { raw: reply.body, status: reply.status, ...(reply.stderr ? { stderr: reply.stderr } : {}) };
  const stderrHint =
    (reply.stderr?.trim() ? `; stderr: ${stderrGist(reply.stderr)}` : '') +
    (/\bPrimary script unknown\b/.test(reply.stderr ?? '') ? SCRIPT_UNKNOWN_HINT : '');
  if (reply.status >= 300 && reply.status <= 399 && reply.location) {
    // Never followed (a POST with side effects, and the egress rules): said, with where it points.
    const moved = /^https?:\/\//i.test(reply.location)
      ? ' (if the handler is there, make that its "handler" address)'
      : '';
    throw transportError(
      server,
      'upstream_error',
      `handler at ${where} answered HTTP ${reply.status}, a redirect to ${reply.location}, which is not ` +
        `followed${moved}${stderrHint}`,
      details,
    );
  }
  if (reply.status < 200 || reply.status > 299) {
    const gist =
      text.trim() === ''
        ? 'an empty body'
        : looksLikeHtml(reply, text)
          ? `an HTML page: ${htmlGist(text)}`
          : (jsonGist(text) ?? excerpt(text, 160));
    const wait = reply.retryAfterMs === undefined ? '' : `; ${describeRetryAfter(reply.retryAfterMs)}`;
    throw transportError(
      server,
      'upstream_error',
      `handler at ${where} answered HTTP ${reply.status} (${gist})${wait}${stderrHint}`,
      {
        ...details,
        ...(reply.retryAfterMs === undefined ? {} : { retryAfterMs: reply.retryAfterMs }),
      },
    );
  }
  // A 2xx body is the reply itself: bytes that are not UTF-8 are refused, never decoded with
  // replacement characters (an error page above is only quoted in a message).
  // gzip's magic number: a server compressing though nobody asked it to (no Accept-Encoding).
  if (reply.body[0] === 0x1f && reply.body[1] === 0x8b)
    throw protocolError(
      server,
      `handler at ${where} answered gzip-compressed bytes, which it was not asked for (no Accept-Encoding): ` +
        `JSON must come uncompressed${stderrHint}`,
      details,
    );
  if (!isUtf8(reply.body))
    throw protocolError(
      server,
      `handler at ${where} answered with bytes that are not valid UTF-8 (JSON must be UTF-8): ` +
        `${whereNotUtf8(reply.body)}${stderrHint}`,
      details,
    );
  if (text.trim() === '')
    throw protocolError(
      server,
      `handler at ${where} answered with an empty body instead of JSON` +
        `${/\.php\b/i.test(where) ? PHP_EMPTY_HINT : ''}${stderrHint}`,
      details,
    );
  let value: unknown;
  try {
    // A byte order mark (a PHP file saved by a Windows editor echoes it first) is not JSON; RFC 8259 lets it go.
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const php = PHP_DISPLAYED_ERROR.test(text) ? PHP_HINT : '';
    if (looksLikeHtml(reply, text))
      throw protocolError(
        server,
        `handler at ${where} answered HTML instead of JSON: ${htmlGist(text)}${php}${stderrHint}`,
        details,
      );
    // Words, not JSON gone wrong: quoted as they are, without the parser's complaint about them.
    if (!/^\s*[[{"]/.test(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text))
      throw protocolError(
        server,
        `handler at ${where} answered text instead of JSON: ${excerpt(text, 160)}${php}${stderrHint}`,
        details,
      );
    throw protocolError(
      server,
      `handler at ${where} answered malformed JSON (${(err as Error).message}): ${excerpt(text)}${stderrHint}`,
      details,
    );
  }
  // PHP's json_encode writes an empty array as `[]`: a reply built up in an array that got no key
  // (a discover with nothing to offer yet) is the empty object it stands for.
  if (Array.isArray(value) && value.length === 0) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolError(server, `handler at ${where} answered JSON that is not an object: ${excerpt(text)}`, details);
  }
  return value as Record<string, unknown>;
}
