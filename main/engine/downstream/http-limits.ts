/** What the HTTP listener holds to besides the configured limits (config/http-limits.ts). */
export { HTTP_LIMIT_DEFAULTS, type HttpLimits } from '../config/http-limits.ts';

/** Largest header block accepted (431 beyond it). */
export const MAX_HEADER_BYTES = 16 * 1024;
