/**
 * undici, loaded when the first remote server or HTTP handler needs it rather than when the
 * gateway starts: it adds ~30 MB of RSS that a gateway without remote servers never uses. Every
 * runtime use of undici in the engine goes through loadUndici(); types come from `import type`.
 */
import type * as UndiciModule from 'undici';

export type Undici = typeof UndiciModule;

let loading: Promise<Undici> | undefined;

export function loadUndici(): Promise<Undici> {
  return (loading ??= import('undici'));
}
