/**
 * The blob tool's payload: `bytes` ASCII characters from a seeded rotation of 62 letters and
 * digits. Shared by the servers (which produce it) and the load client (which checks it byte for
 * byte). Nothing in it needs JSON escaping, so the JSON text of a blob is exactly `bytes` long.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

let cached: { bytes: number; seed: number; buffer: Buffer; text?: string } | undefined;

/** The payload as bytes (the servers write these without building a string). */
export function blobBuffer(bytes: number, seed: number): Buffer {
  if (cached && cached.bytes === bytes && cached.seed === seed) return cached.buffer;
  const shift = ((seed % ALPHABET.length) + ALPHABET.length) % ALPHABET.length;
  const unit = ALPHABET.slice(shift) + ALPHABET.slice(0, shift);
  const buffer = Buffer.allocUnsafe(bytes).fill(unit, 'latin1');
  cached = { bytes, seed, buffer };
  return buffer;
}

/** The payload as a string (what the client compares an answer with). */
export function blobText(bytes: number, seed: number): string {
  const buffer = blobBuffer(bytes, seed);
  if (cached!.text === undefined) cached!.text = buffer.toString('latin1');
  return cached!.text;
}
