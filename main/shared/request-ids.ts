/**
 * What a client's request id may be, and what it hears when it is refused: the gateway (every
 * transport) and the shim say the same, the shim at once, without the gateway.
 */

import type { ExactNumber } from './exact-numbers.ts';

/**
 * A message's id in its first bytes, for the answer to a line too long to parse: a number (as JSON
 * writes one) or a string of up to 1024 characters. The shim and the gateway read it alike.
 */
export const ID_IN_HEAD = /"id"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"[^"\\]{0,1024}")/;

/** The longest string id a client's request may have, in characters. */
export const MAX_REQUEST_ID_LENGTH = 1024;

/** Why a request's id is not taken (the id is neither a string nor a finite number). */
export const ID_NOT_STRING_OR_NUMBER = '"id" must be a string or a number';

/** What a client hears for a request whose string id is over MAX_REQUEST_ID_LENGTH. */
export function idTooLong(id: string): string {
  return (
    `request id of ${id.length} characters is longer than the ${MAX_REQUEST_ID_LENGTH} ` +
    'Switchboard accepts: use a shorter id'
  );
}

/** What a client hears for a request whose id another of its requests in flight has. */
export function idInUse(id: string | number | ExactNumber): string {
  return `request id ${JSON.stringify(id)} is already in use by a request in flight`;
}
