/**
 * Names every client accepts. The strictest clients take tool names matching
 * ^[a-zA-Z0-9_-]{1,64}$, so a namespaced name is sanitised, and shortened with a short
 * hash of the original when too long: the same input always gives the same name.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 64;
const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

export function isValidExposedName(name: string): boolean {
  return VALID.test(name);
}

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function sanitize(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/** Fits `candidate` into the limits, keyed on `original` so distinct originals stay distinct. */
export function fitName(candidate: string, original: string = candidate): string {
  const clean = sanitize(candidate);
  if (clean === original && clean.length <= MAX_NAME_LENGTH) return clean;
  if (clean.length <= MAX_NAME_LENGTH) return clean;
  const hash = shortHash(original);
  return `${clean.slice(0, MAX_NAME_LENGTH - hash.length - 1)}_${hash}`;
}

/** `server__tool` (separator configurable), made valid. */
export function namespacedName(server: string, name: string, separator: string): string {
  return fitName(`${server}${separator}${name}`, `${server}\u0000${name}`);
}

/** The fallback when two originals end up with the same exposed name: never shadow, disambiguate. */
export function disambiguatedName(exposed: string, server: string, name: string): string {
  const hash = shortHash(`${server}\u0000${name}`, 6);
  return `${exposed.slice(0, MAX_NAME_LENGTH - hash.length - 1)}_${hash}`;
}
