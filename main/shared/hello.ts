/**
 * The hello handshake on the shim socket. The shim's first line is a hello carrying the
 * per-install token and the profile; the gateway answers with one line, welcome or refused
 * (and then closes). Node built-ins only; parse functions validate and never throw.
 */

export const HELLO_VERSION = 1;
/** The hello line (without its newline) may not be longer than this. */
export const MAX_HELLO_BYTES = 4096;
export const MAX_TOKEN_LENGTH = 256;
export const MAX_PROFILE_LENGTH = 128;
export const MAX_CLIENT_LENGTH = 64;
export const MAX_REASON_LENGTH = 512;

export interface Hello {
  version: typeof HELLO_VERSION;
  token: string;
  profile: string;
  client: string;
}

export type HelloReply = { kind: 'welcome'; version: typeof HELLO_VERSION } | { kind: 'refused'; reason: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

// Printable ASCII except quote and backslash: keeps tokens and names plain.
const PLAIN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// Any text without control characters.
const NO_CONTROL = /^[^\x00-\x1f\x7f]*$/;

function checkField(value: unknown, name: string, max: number, pattern: RegExp): string | undefined {
  if (typeof value !== 'string') return `"${name}" must be a string`;
  if (value.length === 0) return `"${name}" must not be empty`;
  if (value.length > max) return `"${name}" is longer than ${max} characters`;
  if (!pattern.test(value)) return `"${name}" contains characters that are not allowed`;
  return undefined;
}

function parseObject(line: string): Record<string, unknown> | string {
  if (Buffer.byteLength(line) > MAX_HELLO_BYTES) return `line is longer than ${MAX_HELLO_BYTES} bytes`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  return value as Record<string, unknown>;
}

/** The hello line the shim sends, newline included. */
export function encodeHello(hello: { token: string; profile: string; client?: string }): string {
  return (
    JSON.stringify({
      switchboard: 'hello',
      version: HELLO_VERSION,
      token: hello.token,
      profile: hello.profile,
      client: hello.client ?? 'shim',
    }) + '\n'
  );
}

/** Validates a hello line (with or without its newline). Unknown extra fields are ignored. */
export function parseHello(line: string): Parsed<Hello> {
  const m = parseObject(line.trimEnd());
  if (typeof m === 'string') return { ok: false, reason: `bad hello: ${m}` };
  if (m.switchboard !== 'hello') return { ok: false, reason: 'bad hello: expected {"switchboard":"hello",...}' };
  if (m.version !== HELLO_VERSION)
    return {
      ok: false,
      reason: `unsupported hello version ${JSON.stringify(m.version)} (this gateway speaks ${HELLO_VERSION})`,
    };
  const problem =
    checkField(m.token, 'token', MAX_TOKEN_LENGTH, PLAIN) ??
    checkField(m.profile, 'profile', MAX_PROFILE_LENGTH, NO_CONTROL) ??
    checkField(m.client, 'client', MAX_CLIENT_LENGTH, PLAIN);
  if (problem !== undefined) return { ok: false, reason: `bad hello: ${problem}` };
  return {
    ok: true,
    value: {
      version: HELLO_VERSION,
      token: m.token as string,
      profile: m.profile as string,
      client: m.client as string,
    },
  };
}

/** The gateway's answer to a good hello, newline included. */
export function encodeWelcome(): string {
  return JSON.stringify({ switchboard: 'welcome', version: HELLO_VERSION }) + '\n';
}

/** The gateway's answer to a bad hello, newline included. */
export function encodeRefused(reason: string): string {
  const clean = reason.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, MAX_REASON_LENGTH);
  return JSON.stringify({ switchboard: 'refused', reason: clean }) + '\n';
}

/** Validates the gateway's answer line (with or without its newline). */
export function parseHelloReply(line: string): Parsed<HelloReply> {
  const m = parseObject(line.trimEnd());
  if (typeof m === 'string') return { ok: false, reason: `bad hello reply: ${m}` };
  if (m.switchboard === 'welcome') {
    if (m.version !== HELLO_VERSION)
      return {
        ok: false,
        reason: `gateway speaks hello version ${JSON.stringify(m.version)}, this shim speaks ${HELLO_VERSION}`,
      };
    return { ok: true, value: { kind: 'welcome', version: HELLO_VERSION } };
  }
  if (m.switchboard === 'refused') {
    const reason =
      typeof m.reason === 'string' && m.reason !== '' ? m.reason.slice(0, MAX_REASON_LENGTH) : 'no reason given';
    return { ok: true, value: { kind: 'refused', reason } };
  }
  return { ok: false, reason: 'bad hello reply: expected welcome or refused' };
}
