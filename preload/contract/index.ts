/**
 * The control API, declared once: the GatewayApi interface, its payloads, the events it pushes,
 * the method table every binding is generated from, and the client built on any binding.
 * Imported by engine/api, main/app, the preload and the renderer; imports nothing but zod.
 */
export type { GatewayApi } from './api.ts';
export * from './payloads.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './methods.ts';
export * from './bridge.ts';
export * from './desktop.ts';
export { STRING_FORMATS, linkAsSent, localDateTime, pickerDateTime } from './formats.ts';
export { foldCase } from './fold-case.ts';
export { SYNTAX_MESSAGES, syntaxMessage } from './json-syntax.ts';
export { AUTH_SCHEME, MAX_SECRET_VALUE_LENGTH, looksSecret } from './secret-values.ts';
export { holdsUnseenChar, showUnseen, showUnseenInLines } from './unseen.ts';
