/**
 * A remote MCP server over WebSocket (`ws://`, `wss://`; subprotocol "mcp", one JSON-RPC message
 * per text frame), as a channel for ManagedUpstream: connects, reconnects and era detection are
 * the upstream's, as for every other kind. Through the `ws` library, for what WebSocket in the
 * runtime cannot do: a size limit checked as frames arrive (a message over
 * limits.maxResponseBytes closes the connection before it is buffered: WebSocket cannot skip
 * one), and the egress check on the address actually dialled (egress/connector.ts).
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { checkedLookup } from '../../egress/connector.ts';
import { hostRefusal, type EgressRule } from '../../egress/policy.ts';
import { errorMessage, GatewayError } from '../../protocol/errors.ts';
import type { JsonRpcMessage } from '../../protocol/jsonrpc.ts';
import { parseMessageBytes } from '../../protocol/refusals.ts';
import { asksForToken } from '../../oauth/fetch.ts';
import type { OAuthSession } from '../../oauth/session.ts';
import { describeHttpFailure } from '../http-errors.ts';
import { describeNetworkFailure, displayUrl } from '../../egress/network-errors.ts';
import type { Channel, Opener } from '../mcp-upstream.ts';

export interface WsChannelConfig {
  name: string;
  url: URL;
  /** Sent with the opening handshake. Resolved secrets: never logged. */
  headers: Record<string, string>;
  startupTimeoutMs: number;
  maxMessageBytes: number;
  allowPrivateNetwork: boolean;
  lookup?: LookupFunction;
  /** OAuth: its token goes with the handshake; a 401 there is answered by it. */
  auth?: OAuthSession;
  /** How often the connection is checked (a ping; no pong by the next one ends it). Default 30 s. */
  heartbeatMs?: number;
}

/** Close codes that say why (RFC 6455 §7.4.1). */
const TOO_BIG = 1009;
const NORMAL = 1000;
const HEARTBEAT_MS = 30_000;
/** What may wait unwritten for a server that does not read (the same as for a stdio server). */
const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

export function wsChannelOpener(config: WsChannelConfig, log: (line: string) => void): Opener {
  /** The token the last refused handshake was answered with: refused too, renewing cannot help. */
  const renewal: { token?: string } = {};
  return async (handlers) => {
    const { default: WebSocket } = await import('ws');
    const shown = displayUrl(config.url);
    const rule: EgressRule = { allowPrivateNetwork: config.allowPrivateNetwork };
    // ws:// is plain like http://, wss:// encrypted like https://, for the egress rules.
    const protocol = config.url.protocol === 'wss:' ? 'https:' : 'http:';
    const early = hostRefusal(config.url.hostname, protocol, rule);
    if (early) throw new GatewayError('upstream_closed', `refused to connect to ${shown}: ${early}`);

    const token = await config.auth?.accessToken();
    const headers: Record<string, string> = { ...config.headers };
    if (token) {
      // One Authorization header: the token replaces a configured one, whatever its spelling.
      for (const key of Object.keys(headers)) if (key.toLowerCase() === 'authorization') delete headers[key];
      headers.authorization = `Bearer ${token}`;
    }
    const socket = new WebSocket(config.url, ['mcp'], {
      headers,
      maxPayload: config.maxMessageBytes,
      perMessageDeflate: false,
      followRedirects: false,
      lookup: checkedLookup(config.lookup ?? (dnsLookup as LookupFunction), protocol, rule),
    });
    let closing = false;
    // Messages are heard from the start (a server may send one with the handshake's answer) and
    // handed on once the channel is returned.
    let beforeOpen: Buffer[] | undefined = [];
    const take = (bytes: Buffer, isBinary: boolean): void => {
      const parsed = parseMessageBytes(bytes);
      if ('message' in parsed) handlers.onMessage(parsed.message);
      else log(`server "${config.name}" sent a ${isBinary ? 'binary' : 'text'} frame that is not a JSON-RPC message`);
    };
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      // A Buffer as is (the library's default): a copy of every message would cost on the hot path.
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (beforeOpen) beforeOpen.push(bytes);
      else take(bytes, isBinary);
    });
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string, cause?: unknown) => {
        clearTimeout(deadline);
        if (settled) return;
        settled = true;
        socket.removeAllListeners('open');
        socket.terminate();
        reject(new GatewayError('upstream_closed', message, cause === undefined ? undefined : { cause }));
      };
      // The whole opening, not a pause in it (the library's handshakeTimeout): a server that sends its
      // answer a byte at a time would hold the start for good.
      const deadline = setTimeout(
        () =>
          fail(
            `server "${config.name}" at ${shown} did not complete the WebSocket handshake within ` +
              `${config.startupTimeoutMs} ms (startupTimeoutMs)`,
          ),
        config.startupTimeoutMs,
      );
      socket.once('open', () => {
        clearTimeout(deadline);
        if (settled) return;
        settled = true;
        config.auth?.accepted(token);
        // Taken: a later refusal of it (revoked, expired) is a first one, which a renewal may answer.
        renewal.token = undefined;
        resolve();
      });
      socket.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
        void answerRefusal(config, res, token, renewal).then(
          (why) => fail(why),
          (err: unknown) => fail(errorMessage(err), err),
        );
        req.destroy();
      });
      socket.once('error', (err) => {
        if (socket.readyState === WebSocket.OPEN) return;
        fail(describeNetworkFailure(err, config.url), err);
      });
    });

    const waiting = beforeOpen;
    beforeOpen = undefined;
    if (waiting.length) setImmediate(() => waiting.forEach((bytes) => take(bytes, false)));
    /** The library refused a message over maxPayload (and closes with 1009, or 1006 if the peer is gone first). */
    let tooBig = false;
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooBig = true;
      else log(`server "${config.name}": WebSocket error: ${err.message}`);
    });
    // A connection that silently stopped carrying anything (a NAT or load balancer dropped it) is
    // only noticed by TCP after minutes: a ping each beat, and no pong by the next one ends it,
    // which reconnects as any lost connection does.
    let answered = true;
    const heartbeat = setInterval(() => {
      if (!answered) {
        log(`server "${config.name}": no answer to a WebSocket ping; reconnecting`);
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, config.heartbeatMs ?? HEARTBEAT_MS);
    heartbeat.unref();
    socket.on('pong', () => {
      answered = true;
    });
    socket.on('close', (code: number, reason: Buffer) => {
      clearInterval(heartbeat);
      if (closing) return;
      const why =
        code === TOO_BIG || tooBig
          ? `sent a message over the ${config.maxMessageBytes}-byte limit (limits.maxResponseBytes), which ` +
            'closes a WebSocket'
          : `closed the WebSocket (${code}${reason.length ? ` ${reason.toString('utf8').slice(0, 200)}` : ''})`;
      handlers.onClose(new Error(why));
    });

    const channel: Channel = {
      address: shown,
      send(message: JsonRpcMessage) {
        if (socket.readyState !== WebSocket.OPEN)
          throw new GatewayError('upstream_closed', `server "${config.name}": the WebSocket is not open`, {
            notSent: true,
          });
        const text = JSON.stringify(message);
        // A server that stopped reading: what is sent to it waits in our memory, so past a bound
        // new messages are refused (as to a stdio server) instead of piling up until the heartbeat.
        const waiting = socket.bufferedAmount;
        if (waiting > 0 && waiting + Buffer.byteLength(text) > MAX_UNSENT_BYTES)
          throw new GatewayError(
            'upstream_unavailable',
            `server "${config.name}" is not reading its input: ${(waiting / 1048576).toFixed(1)} MiB sent to it ` +
              'earlier are still waiting to be written, so this message was not sent',
          );
        socket.send(text);
      },
      close: () =>
        new Promise<void>((resolve) => {
          closing = true;
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => socket.terminate(), 2000);
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          socket.close(NORMAL);
        }),
    };
    return channel;
  };
}

/**
 * Why the server refused the WebSocket, with OAuth given its chance on a 401. As over HTTP
 * (oauth/fetch.ts), a 401 to the token the last refusal was answered with means no renewal helps
 * (the server moved to another authorization server): the server needs a login.
 */
async function answerRefusal(
  config: WsChannelConfig,
  res: IncomingMessage,
  sent: string | undefined,
  renewal: { token?: string },
): Promise<string> {
  res.resume();
  const status = res.statusCode ?? 0;
  if (config.auth) {
    const headers = new Headers();
    for (const [key, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(key, value);
    const response = new Response(null, { status, headers });
    if (asksForToken(response) && config.auth.answers(response)) {
      if (status === 401 && sent !== undefined && sent === renewal.token) {
        renewal.token = undefined;
        // Throws "needs login" (resolves for client credentials, whose next token comes on the next 401).
        await config.auth.refusedAgain(response, sent);
        return `the WebSocket handshake was refused with HTTP ${status} again, with a renewed token`;
      }
      // A new token (or "needs login"): the upstream's next attempt uses it.
      renewal.token = await config.auth.recover(response, sent);
      return `the WebSocket handshake was refused with HTTP ${status}; retrying with a new token`;
    }
  }
  return `${describeHttpFailure(status, config.url)} (the WebSocket handshake)`;
}
