/**
 * The Channel for an HTTP server on the stateless 2026-07-28 revision: one POST per request, no
 * session. Each POST carries `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` (tools/call,
 * prompts/get, resources/read) and any `Mcp-Param-*` the tool declared; the answer is JSON or an
 * SSE stream whose notifications come out in order before the response. Cancelling a request
 * (notifications/cancelled from the request table) closes its response stream: that is
 * cancellation in this revision. A POST that cannot connect at all means the server is gone: the
 * channel reports itself lost and the upstream reconnects with backoff.
 */
import { GatewayError, RpcCode, errorMessage } from '../../protocol/errors.ts';
import { WiderScopeNeeded } from '../../oauth/session.ts';
import {
  failure,
  isNotification,
  isRequest,
  isResponse,
  toMessage,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type RequestId,
} from '../../protocol/jsonrpc.ts';
import { describeHttpFailure } from '../http-errors.ts';
import { parseRetryAfter } from '../retry-after.ts';
import { describeNetworkFailure, displayUrl, neverConnected } from '../../egress/network-errors.ts';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { DEFAULTS } from '../../config/schema.ts';
import { currentClientHeaders } from '../client-headers.ts';
import {
  SSE_FIELD_ALLOWANCE,
  SseEventSplitter,
  describeRefused,
  readBodyText,
  refusedError,
  refusedResponseId,
  type RefusedEvent,
} from '../http-body.ts';
import { checkedHttpConfig, serverFetch, type HttpUpstreamConfig } from '../mcp-http/http-upstream.ts';
import type { Channel, ChannelHandlers, Opener } from '../mcp-upstream.ts';
import {
  STATELESS_REVISION,
  encodeHeaderValue,
  invalidParamHeaders,
  mcpNameOf,
  paramHeaderValues,
  paramHeadersOf,
  type ParamHeader,
} from './protocol.ts';

/** Tool name → the `Mcp-Param-*` headers its calls need, learned from tools/list (kept across reconnects). */
export class ParamHeaderBook {
  private readonly byTool = new Map<string, ParamHeader[]>();

  /** Learns the headers of each tool; returns the result without tools whose annotations are invalid. */
  learn(result: Record<string, unknown>, log: (line: string) => void): Record<string, unknown> {
    if (!Array.isArray(result.tools)) return result;
    const kept: unknown[] = [];
    for (const tool of result.tools as unknown[]) {
      if (typeof tool !== 'object' || tool === null) continue;
      const { name, inputSchema } = tool as { name?: unknown; inputSchema?: unknown };
      if (typeof name !== 'string') continue;
      const invalid = invalidParamHeaders(inputSchema);
      if (invalid) {
        log(`tool "${name}" left out: ${invalid}`);
        this.byTool.delete(name);
        continue;
      }
      kept.push(tool);
      const declarations = paramHeadersOf(inputSchema);
      if (declarations.length > 0) this.byTool.set(name, declarations);
      else this.byTool.delete(name);
    }
    return kept.length === result.tools.length ? result : { ...result, tools: kept };
  }

  headersFor(params: Record<string, unknown> | undefined): Record<string, string> | undefined {
    const name = params?.name;
    const declarations = typeof name === 'string' ? this.byTool.get(name) : undefined;
    return declarations ? paramHeaderValues(declarations, params?.arguments) : undefined;
  }
}

/** Opens stateless HTTP channels to one server. Opening is free: nothing is sent until a request. */
export function statelessHttpOpener(config: HttpUpstreamConfig, log: (line: string) => void): Opener {
  const checked = checkedHttpConfig(config);
  const book = new ParamHeaderBook();
  const fetch = checked instanceof GatewayError ? undefined : serverFetch(config, checked.headers);
  return (handlers) => {
    if (checked instanceof GatewayError || !fetch) return Promise.reject(checked);
    const { url, headers } = checked;
    return Promise.resolve(new StatelessHttpChannel(config, url, headers, fetch, book, handlers, log));
  };
}

interface Flight {
  ac: AbortController;
}

class StatelessHttpChannel implements Channel {
  private readonly name: string;
  private readonly label: string;
  /** limits.maxResponseBytes: the largest message accepted in a response. */
  private readonly maxBytes: number;
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly fetch: FetchLike;
  private readonly book: ParamHeaderBook;
  private readonly handlers: ChannelHandlers;
  private readonly log: (line: string) => void;
  private readonly flights = new Map<RequestId, Flight>();
  private closed = false;
  /** The server's last Retry-After, as the time before which it asked not to be called (epoch ms). */
  notBefore?: number;
  readonly address: string;

  constructor(
    config: Pick<HttpUpstreamConfig, 'name' | 'maxMessageBytes'>,
    url: URL,
    configured: Record<string, string>,
    fetch: FetchLike,
    book: ParamHeaderBook,
    handlers: ChannelHandlers,
    log: (line: string) => void,
  ) {
    this.name = config.name;
    this.label = `server "${config.name}"`;
    this.maxBytes = config.maxMessageBytes ?? DEFAULTS.maxResponseBytes;
    this.url = url;
    this.address = displayUrl(url);
    this.fetch = fetch;
    this.book = book;
    this.handlers = handlers;
    this.log = log;
    const headers: Record<string, string> = {};
    // Lower-cased so ours replace a configured one instead of being sent next to it.
    for (const [key, value] of Object.entries(configured)) headers[key.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json, text/event-stream';
    headers['mcp-protocol-version'] = STATELESS_REVISION;
    this.headers = headers;
  }

  send(message: JsonRpcMessage): void {
    if (this.closed)
      throw new GatewayError('upstream_closed', `${this.label}: the connection is closed`, { notSent: true });
    if (isRequest(message)) {
      // Read here: the calling client's headers ride in the async context of this send.
      void this.post(message, currentClientHeaders());
      return;
    }
    if (isNotification(message) && message.method === 'notifications/cancelled') {
      const id = message.params?.requestId;
      if (typeof id === 'string' || typeof id === 'number') this.flights.get(id)?.ac.abort(new Error('cancelled'));
    }
    // Nothing else travels client → server in this revision (no server requests to answer).
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const flight of this.flights.values()) flight.ac.abort(new Error('closed'));
    this.flights.clear();
  }

  /** Never rejects: every outcome becomes a message for the request table, or a lost channel. */
  private async post(request: JsonRpcRequest, forwarded: Record<string, string> | undefined): Promise<void> {
    if (!/^[\x21-\x7e]+$/.test(request.method)) {
      // fetch would refuse the header, and that must not look like a lost server.
      this.answer(
        request.id,
        `the method name ${JSON.stringify(request.method)} cannot be sent in an Mcp-Method header`,
      );
      return;
    }
    const flight: Flight = { ac: new AbortController() };
    this.flights.set(request.id, flight);
    const signal = flight.ac.signal;
    // Forwarded client headers (lower-cased) replace only configured ones the entry lets them override.
    const headers: Record<string, string> = { ...this.headers, ...forwarded, 'mcp-method': request.method };
    const name = mcpNameOf(request.method, request.params);
    if (name !== undefined) headers['mcp-name'] = encodeHeaderValue(name);
    if (request.method === 'tools/call') Object.assign(headers, this.book.headersFor(request.params));
    let response: Response;
    try {
      response = await this.fetch(this.url, { method: 'POST', headers, body: JSON.stringify(request), signal });
    } catch (err) {
      this.flights.delete(request.id);
      if (signal.aborted || this.closed) return;
      // Not the network: the server wants a login only the user can give (oauth/fetch.ts). The upstream is
      // failed until then, saying so, as a stateful one is; it stayed ready, listing its tools, and every call
      // failed with "got no HTTP response: lost the connection to URL (… needs you to log in …)".
      // One for a wider scope than the token has fails this request alone: the token still serves the rest.
      if (err instanceof WiderScopeNeeded) return this.answer(request.id, err.message, false);
      if (err instanceof GatewayError && err.code === 'unauthorized') return this.lose(err.message);
      // Unreachable: the server is down, and the upstream goes to backoff until it is back.
      // Anything else (a reset, a timeout) may have reached it: only this request fails.
      if (neverConnected(err)) this.lose(describeNetworkFailure(err, this.url));
      else this.answer(request.id, `${request.method} got no HTTP response: ${describeNetworkFailure(err, this.url)}`);
      return;
    }
    try {
      const answered = await this.read(request, response);
      if (!answered && !signal.aborted)
        this.answer(
          request.id,
          `the HTTP ${response.status} response to ${request.method} ended without a JSON-RPC answer`,
        );
    } catch (err) {
      if (!signal.aborted && !this.closed)
        this.answer(
          request.id,
          `the response to ${request.method} broke off: ${describeNetworkFailure(err, this.url)}`,
        );
    } finally {
      this.flights.delete(request.id);
      // Ends the response stream if the server left it open after answering.
      if (!signal.aborted) flight.ac.abort(new Error('done'));
    }
  }

  /** Delivers what the response carries; true once the request has its answer. */
  private async read(request: JsonRpcRequest, response: Response): Promise<boolean> {
    const type = response.headers.get('content-type') ?? '';
    if (response.ok && /^\s*text\/event-stream/i.test(type) && response.body) {
      for await (const item of sseEvents(response.body, this.maxBytes + SSE_FIELD_ALLOWANCE)) {
        if ('refused' in item ? this.refused(request, item.refused) : this.deliver(request, item.data)) return true;
      }
      return false;
    }
    const read = await readBodyText(response, this.name, this.maxBytes);
    if ('refused' in read) {
      this.handlers.onMessage(failure(request.id, read.refused));
      return true;
    }
    const body = read.text;
    if (response.ok) return body.trim() !== '' && this.deliver(request, body);
    // An error status: a JSON-RPC error body is the server's answer (e.g. -32022 with the
    // versions it supports); anything else is described from the status.
    if (this.deliver(request, body, true)) return true;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (retryAfterMs !== undefined) this.notBefore = Date.now() + retryAfterMs;
    this.answer(request.id, describeHttpFailure(response.status, this.url, body, retryAfterMs));
    return true;
  }

  /** An event refused for its size or bytes: the request's answer when it was a response. */
  private refused(request: JsonRpcRequest, refused: RefusedEvent): boolean {
    const info = describeRefused(refused);
    const id = refusedResponseId(refused, info, {
      server: this.name,
      maxBytes: this.maxBytes,
      requestId: request.id,
      log: (line) => this.log(`${this.label}: ${line} (in the response to ${request.method})`),
    });
    // One POST carries one request: a response on its stream answers it, whatever id it names.
    if (id === undefined) return false;
    this.handlers.onMessage(failure(request.id, refusedError(refused, this.name, this.maxBytes)));
    return true;
  }

  /** One JSON-RPC message from the response. True when it answered the request. */
  private deliver(request: JsonRpcRequest, text: string, errorsOnly = false): boolean {
    let message: JsonRpcMessage;
    try {
      message = toMessage(JSON.parse(text));
    } catch (err) {
      if (!errorsOnly)
        this.log(
          `${this.label}: dropped an invalid message in the response to ${request.method}: ${errorMessage(err)}`,
        );
      return false;
    }
    if (isResponse(message)) {
      // Errors the server could not address (id null) still belong to this POST.
      if (message.id !== request.id && message.id !== null) return false;
      if (errorsOnly && !('error' in message)) return false;
      if (request.method === 'tools/list' && 'result' in message)
        message = { ...message, result: this.book.learn(message.result, (line) => this.log(`${this.label}: ${line}`)) };
      this.handlers.onMessage(message.id === request.id ? message : { ...message, id: request.id });
      return true;
    }
    if (errorsOnly) return false;
    // Whatever else the response carries (log lines, progress) belongs to this request.
    this.handlers.onMessage(message, request.id);
    return false;
  }

  /** Answers a request with an error of ours (the request table adds nothing but the label). */
  private answer(id: RequestId, detail: string, labelled = true): void {
    if (this.closed) return;
    const message = labelled ? `${this.label}: ${detail}` : detail;
    this.handlers.onMessage(failure(id, { code: RpcCode.UpstreamUnavailable, message }));
  }

  private lose(reason: string): void {
    if (this.closed) return;
    void this.close();
    this.handlers.onClose(new Error(reason));
  }
}

/** One event of an SSE body: its data, or the edges of an event refused for its size or bytes. */
export type SseItem = { data: string } | { refused: RefusedEvent };

/**
 * The events of an SSE body (fields other than data, comments and keep-alives ignored), each
 * held to `maxEventBytes` and checked for UTF-8 before it is decoded (see http-body.ts).
 */
export async function* sseEvents(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<SseItem> {
  const ready: SseItem[] = [];
  const splitter = new SseEventSplitter(
    maxEventBytes,
    (event) => {
      const data = eventData(event.toString('utf8'));
      if (data !== undefined) ready.push({ data });
    },
    (refused) => ready.push({ refused }),
  );
  for await (const chunk of body) {
    splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    yield* ready.splice(0);
  }
  // An event cut off by the end of the stream is discarded, as the SSE rules say.
  splitter.end();
  yield* ready.splice(0);
}

/** The data lines of one whole event, joined; undefined when it has none. */
function eventData(event: string): string | undefined {
  let data: string[] | undefined;
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') continue;
    const value = colon === -1 ? '' : line.slice(colon + 1);
    (data ??= []).push(value.startsWith(' ') ? value.slice(1) : value);
  }
  return data?.join('\n');
}
