/**
 * What a handler upstream needs from a transport (HTTP or FastCGI): send one envelope, get the
 * raw reply back. Transports throw HandlerError naming the server for anything that is not a
 * reply (unreachable, closed mid-reply, timeout, too large); judging the reply is handler-reply.ts.
 */
import type { HeaderList } from './headers.ts';

export interface HandlerExchange {
  /** The envelope, already JSON. */
  body: Buffer;
  /** The calling client's HTTP headers (forwarding rules are applied by the transport). */
  clientHeaders?: HeaderList;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Resending is harmless (discover, reads): a stale keep-alive connection may be retried. */
  idempotent: boolean;
}

export interface HandlerReply {
  /** HTTP status, or the CGI `Status:` of a FastCGI reply (200 without one). */
  status: number;
  contentType?: string;
  /** Where a redirect points (`Location`): without query or fragment, which can carry tokens. */
  location?: string;
  /** The wait an error reply asked for (its Retry-After), in ms. */
  retryAfterMs?: number;
  body: Buffer;
  /** FastCGI stderr, when the script wrote any. */
  stderr?: string;
}

export interface HandlerTransport {
  /** Where it sends, for messages (no credentials). */
  readonly where: string;
  send(exchange: HandlerExchange): Promise<HandlerReply>;
  close(): Promise<void>;
}
