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
import { describeHttpFailure, describeNetworkFailure, neverConnected } from '../http-errors.ts';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { currentClientHeaders } from '../client-headers.ts';
import { checkHttpConfig, serverFetch, type HttpUpstreamConfig } from '../mcp-http/http-upstream.ts';
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
  let checked: { url: URL; headers: Record<string, string> } | GatewayError;
  try {
    checked = checkHttpConfig(config);
  } catch (err) {
    checked =
      err instanceof GatewayError
        ? err
        : new GatewayError('config_invalid', `server "${config.name}": invalid configuration`, { cause: err });
  }
  const book = new ParamHeaderBook();
  const fetch = checked instanceof GatewayError ? undefined : serverFetch(config, checked.headers);
  return (handlers) => {
    if (checked instanceof GatewayError || !fetch) return Promise.reject(checked);
    const { url, headers } = checked;
    return Promise.resolve(new StatelessHttpChannel(config.name, url, headers, fetch, book, handlers, log));
  };
}

interface Flight {
  ac: AbortController;
}

class StatelessHttpChannel implements Channel {
  private readonly label: string;
  private readonly url: URL;
  private readonly headers: Record<string, string>;
  private readonly fetch: FetchLike;
  private readonly book: ParamHeaderBook;
  private readonly handlers: ChannelHandlers;
  private readonly log: (line: string) => void;
  private readonly flights = new Map<RequestId, Flight>();
  private closed = false;

  constructor(
    name: string,
    url: URL,
    configured: Record<string, string>,
    fetch: FetchLike,
    book: ParamHeaderBook,
    handlers: ChannelHandlers,
    log: (line: string) => void,
  ) {
    this.label = `server "${name}"`;
    this.url = url;
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
      for await (const data of sseData(response.body)) {
        if (this.deliver(request, data)) return true;
      }
      return false;
    }
    const body = await response.text();
    if (response.ok) return body.trim() !== '' && this.deliver(request, body);
    // An error status: a JSON-RPC error body is the server's answer (e.g. -32022 with the
    // versions it supports); anything else is described from the status.
    if (this.deliver(request, body, true)) return true;
    this.answer(request.id, describeHttpFailure(response.status, this.url, body));
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
    this.handlers.onMessage(message);
    return false;
  }

  /** Answers a request with an error of ours (the request table adds nothing but the label). */
  private answer(id: RequestId, detail: string): void {
    if (this.closed) return;
    this.handlers.onMessage(failure(id, { code: RpcCode.UpstreamUnavailable, message: `${this.label}: ${detail}` }));
  }

  private lose(reason: string): void {
    if (this.closed) return;
    void this.close();
    this.handlers.onClose(new Error(reason));
  }
}

/**
 * The `data` of each event of an SSE body (fields other than data, comments and keep-alives
 * ignored). Lines are found by scanning only new text, so a long event costs linear time.
 */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let partial: string[] = [];
  let data: string[] = [];
  let skipLf = false;
  for await (const chunk of body) {
    const text = decoder.decode(chunk, { stream: true });
    let from = 0;
    if (skipLf && text.startsWith('\n')) from = 1;
    skipLf = false;
    let nextCr = text.indexOf('\r', from);
    let nextLf = text.indexOf('\n', from);
    while (from < text.length) {
      if (nextCr !== -1 && nextCr < from) nextCr = text.indexOf('\r', from);
      if (nextLf !== -1 && nextLf < from) nextLf = text.indexOf('\n', from);
      const end = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
      if (end === -1) {
        partial.push(text.slice(from));
        break;
      }
      const piece = text.slice(from, end);
      const line = partial.length > 0 ? partial.join('') + piece : piece;
      partial = [];
      from = end + 1;
      if (text[end] === '\r') {
        if (end + 1 < text.length) {
          if (text[end + 1] === '\n') from++;
        } else {
          skipLf = true;
        }
      }
      if (line === '') {
        if (data.length > 0) yield data.join('\n');
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      if (field !== 'data') continue;
      const value = colon === -1 ? '' : line.slice(colon + 1);
      data.push(value.startsWith(' ') ? value.slice(1) : value);
    }
  }
  // An event cut off by the end of the stream is discarded, as the SSE rules say.
}
