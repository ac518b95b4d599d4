/**
 * The mutual hello on the shim socket. Both ends prove they hold the per-install token without
 * ever sending it, so a process squatting on the socket path learns nothing and gets nothing:
 *
 *   shim    -> {"switchboard":"hello","version":2,"profile":P,"client":C,"nonce":Ns}
 *   gateway -> {"switchboard":"challenge","version":2,"nonce":Ng,"proof":HMAC(token, gateway|Ns|Ng)}
 *   shim    -> {"switchboard":"proof","proof":HMAC(token, shim|Ns|Ng)}   (only if the gateway's proof is right)
 *   gateway -> {"switchboard":"welcome","version":2}                     (or refused, then close)
 *
 * The shim sends the client's messages only after the welcome. Either side may answer
 * {"switchboard":"refused","reason":...} instead and close. Node built-ins only; parse functions
 * validate and never throw.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const HELLO_VERSION = 2;
/** A hello line (without its newline) may not be longer than this. */
export const MAX_HELLO_BYTES = 4096;
export const MAX_PROFILE_LENGTH = 128;
export const MAX_CLIENT_LENGTH = 64;
export const MAX_REASON_LENGTH = 512;

export interface Hello {
  version: typeof HELLO_VERSION;
  profile: string;
  client: string;
  /** The shim's nonce (64 hex characters). */
  nonce: string;
}

export type HelloReply =
  | { kind: 'challenge'; nonce: string; proof: string }
  | { kind: 'welcome'; version: typeof HELLO_VERSION }
  | { kind: 'refused'; reason: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

// Printable ASCII except quote and backslash: keeps tokens and names plain.
const PLAIN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// Nonces and proofs: 32 bytes as lowercase hex.
const HEX64 = /^[0-9a-f]{64}$/;
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

/** A fresh nonce for one handshake. */
export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

function hmac(token: string, role: 'gateway' | 'shim', shimNonce: string, gatewayNonce: string): string {
  return createHmac('sha256', token).update(`switchboard-${role}\0${shimNonce}\0${gatewayNonce}`).digest('hex');
}

/** What the gateway sends to show it holds the token. */
export function gatewayProof(token: string, shimNonce: string, gatewayNonce: string): string {
  return hmac(token, 'gateway', shimNonce, gatewayNonce);
}

/** What the shim sends to show it holds the token. */
export function shimProof(token: string, shimNonce: string, gatewayNonce: string): string {
  return hmac(token, 'shim', shimNonce, gatewayNonce);
}

/** Constant-time comparison of a received proof with the expected one. */
export function proofMatches(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The hello line the shim sends, newline included. */
export function encodeHello(hello: { profile: string; nonce: string; client?: string }): string {
  return (
    JSON.stringify({
      switchboard: 'hello',
      version: HELLO_VERSION,
      profile: hello.profile,
      client: hello.client ?? 'shim',
      nonce: hello.nonce,
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
      reason:
        `unsupported hello version ${JSON.stringify(m.version)} (this gateway speaks ${HELLO_VERSION}; ` +
        `restart the client so it runs the shim of the installed Switchboard)`,
    };
  const problem =
    checkField(m.profile, 'profile', MAX_PROFILE_LENGTH, NO_CONTROL) ??
    checkField(m.client, 'client', MAX_CLIENT_LENGTH, PLAIN) ??
    checkField(m.nonce, 'nonce', 64, HEX64);
  if (problem !== undefined) return { ok: false, reason: `bad hello: ${problem}` };
  return {
    ok: true,
    value: {
      version: HELLO_VERSION,
      profile: m.profile as string,
      client: m.client as string,
      nonce: m.nonce as string,
    },
  };
}

/** The gateway's answer to a good hello: its nonce and its proof, newline included. */
export function encodeChallenge(nonce: string, proof: string): string {
  return JSON.stringify({ switchboard: 'challenge', version: HELLO_VERSION, nonce, proof }) + '\n';
}

/** The shim's answer to a challenge whose proof was right, newline included. */
export function encodeProof(proof: string): string {
  return JSON.stringify({ switchboard: 'proof', proof }) + '\n';
}

/** Validates the shim's proof line (with or without its newline). */
export function parseProof(line: string): Parsed<string> {
  const m = parseObject(line.trimEnd());
  if (typeof m === 'string') return { ok: false, reason: `bad proof: ${m}` };
  if (m.switchboard !== 'proof') return { ok: false, reason: 'bad proof: expected {"switchboard":"proof",...}' };
  const problem = checkField(m.proof, 'proof', 64, HEX64);
  if (problem !== undefined) return { ok: false, reason: `bad proof: ${problem}` };
  return { ok: true, value: m.proof as string };
}

/** The gateway's answer to a good proof, newline included. */
export function encodeWelcome(): string {
  return JSON.stringify({ switchboard: 'welcome', version: HELLO_VERSION }) + '\n';
}

/** The gateway's answer to a bad hello or proof, newline included. */
export function encodeRefused(reason: string): string {
  const clean = reason.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, MAX_REASON_LENGTH);
  return JSON.stringify({ switchboard: 'refused', reason: clean }) + '\n';
}

/** Validates a line the gateway sends during the hello (with or without its newline). */
export function parseHelloReply(line: string): Parsed<HelloReply> {
  const m = parseObject(line.trimEnd());
  if (typeof m === 'string') return { ok: false, reason: `bad hello reply: ${m}` };
  if (m.switchboard === 'challenge') {
    if (m.version !== HELLO_VERSION)
      return {
        ok: false,
        reason: `gateway speaks hello version ${JSON.stringify(m.version)}, this shim speaks ${HELLO_VERSION}`,
      };
    const problem = checkField(m.nonce, 'nonce', 64, HEX64) ?? checkField(m.proof, 'proof', 64, HEX64);
    if (problem !== undefined) return { ok: false, reason: `bad challenge: ${problem}` };
    return { ok: true, value: { kind: 'challenge', nonce: m.nonce as string, proof: m.proof as string } };
  }
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
  return { ok: false, reason: 'bad hello reply: expected challenge, welcome or refused' };
}
