/** MCP protocol revisions Switchboard speaks, oldest first, and how they are negotiated. */
export const REVISIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
export type Revision = (typeof REVISIONS)[number];

/** Revisions negotiated with `initialize` (the stateful era). */
export const STATEFUL_REVISIONS: readonly Revision[] = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
export const LATEST_STATEFUL: Revision = '2025-11-25';
/** The stateless revision: no initialize, everything per request in `_meta`. */
export const STATELESS_REVISION: Revision = '2026-07-28';
/** Assumed by Streamable HTTP when a client sends no MCP-Protocol-Version header. */
export const DEFAULT_HTTP_REVISION: Revision = '2025-03-26';

export function isRevision(v: unknown): v is Revision {
  return typeof v === 'string' && (REVISIONS as readonly string[]).includes(v);
}

/** Server side of initialize: echo the client's revision when we speak it, else offer our latest. */
export function negotiateRevision(requested: unknown): Revision {
  if (isRevision(requested) && STATEFUL_REVISIONS.includes(requested)) return requested;
  return LATEST_STATEFUL;
}

export function atLeast(version: string, minimum: Revision): boolean {
  return version >= minimum;
}
