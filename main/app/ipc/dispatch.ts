/**
 * IPC dispatch, free of Electron so it can be unit-tested: one handler per contract channel that
 * refuses calls from anything but our own app page and validates argument count and types
 * before the GatewayApi sees them. A renderer is treated as untrusted input.
 */
import type { ChannelMap, GatewayChannel, GatewayMethod } from '../../../preload/contract/channels.ts';
import type { GatewayApi, PromptAnswerDto } from '../../../preload/contract/gateway-api.ts';
import { GATEWAY_CHANNELS } from './channels.ts';

/** What main knows about who sent an IPC call. */
export interface IpcSender {
  /** `webContents.id` of the sender. */
  webContentsId: number;
  /** URL of the sending frame; null when the frame is gone. */
  frameUrl: string | null;
  /** Whether the sending frame is its page's main frame (not an iframe). */
  isMainFrame: boolean;
}

export type SenderCheck = (sender: IpcSender) => boolean;

export type IpcHandler = (sender: IpcSender, args: readonly unknown[]) => Promise<unknown>;

export type IpcErrorCode = 'unauthorized' | 'invalid_request';

/** Rejection of an IPC call before it reached the API. */
export class IpcCallError extends Error {
  readonly code: IpcErrorCode;
  constructor(code: IpcErrorCode, message: string) {
    super(message);
    this.name = 'IpcCallError';
    this.code = code;
  }
}

/** Longest string argument accepted (server names are config keys). */
export const MAX_STRING_ARG = 256;

interface CallContext {
  channel: GatewayChannel;
  args: readonly unknown[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function expectArgs(ctx: CallContext, names: readonly string[], required: number): void {
  const n = ctx.args.length;
  if (n >= required && n <= names.length) return;
  const wanted =
    names.length === 0
      ? 'no arguments'
      : required === names.length
        ? `${names.length} argument${names.length === 1 ? '' : 's'} (${names.join(', ')})`
        : `${required} to ${names.length} arguments (${names.join(', ')})`;
  throw new IpcCallError('invalid_request', `${ctx.channel} expects ${wanted}, got ${n}`);
}

function stringArg(ctx: CallContext, index: number, name: string): string {
  const value = ctx.args[index];
  if (typeof value !== 'string' || value.length === 0) {
    const got = typeof value === 'string' ? 'an empty string' : describe(value);
    throw new IpcCallError('invalid_request', `${ctx.channel}: argument "${name}" must be a non-empty string, got ${got}`);
  }
  if (value.length > MAX_STRING_ARG) {
    throw new IpcCallError('invalid_request', `${ctx.channel}: argument "${name}" is longer than ${MAX_STRING_ARG} characters`);
  }
  return value;
}

/** A plain object (the API checks its contents); arrays, null and class instances are refused. */
function objectArg(ctx: CallContext, index: number, name: string): Record<string, unknown> {
  const value = ctx.args[index];
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new IpcCallError('invalid_request', `${ctx.channel}: argument "${name}" must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function optionalStringArg(ctx: CallContext, index: number, name: string): string | undefined {
  return ctx.args[index] === undefined ? undefined : stringArg(ctx, index, name);
}

type Call<M extends GatewayMethod> = (api: GatewayApi, ctx: CallContext) => ReturnType<GatewayApi[M]>;

/** Argument rules per method. The mapped type makes a new API method a compile error until it has one. */
const CALLS: { readonly [M in GatewayMethod]: Call<M> } = {
  getStatus: (api, ctx) => {
    expectArgs(ctx, [], 0);
    return api.getStatus();
  },
  listServers: (api, ctx) => {
    expectArgs(ctx, [], 0);
    return api.listServers();
  },
  listTools: (api, ctx) => {
    expectArgs(ctx, ['server'], 0);
    const server = optionalStringArg(ctx, 0, 'server');
    return server === undefined ? api.listTools() : api.listTools(server);
  },
  restartServer: (api, ctx) => {
    expectArgs(ctx, ['name'], 1);
    return api.restartServer(stringArg(ctx, 0, 'name'));
  },
  getServerLog: (api, ctx) => {
    expectArgs(ctx, ['name'], 1);
    return api.getServerLog(stringArg(ctx, 0, 'name'));
  },
  listPrompts: (api, ctx) => {
    expectArgs(ctx, [], 0);
    return api.listPrompts();
  },
  answerPrompt: (api, ctx) => {
    expectArgs(ctx, ['id', 'answer'], 2);
    const id = stringArg(ctx, 0, 'id');
    // The shape of the answer is checked by the prompt broker, which knows the prompt.
    return api.answerPrompt(id, objectArg(ctx, 1, 'answer') as unknown as PromptAnswerDto);
  },
};

/**
 * Handlers keyed by channel. Each returns a promise that rejects with IpcCallError for an
 * untrusted sender or bad arguments (the API is not called), else settles like the API call.
 */
export function createIpcHandlers(
  api: GatewayApi,
  isTrustedSender: SenderCheck,
  channels: ChannelMap = GATEWAY_CHANNELS,
): ReadonlyMap<GatewayChannel, IpcHandler> {
  const handlers = new Map<GatewayChannel, IpcHandler>();
  for (const method of Object.keys(CALLS) as GatewayMethod[]) {
    const channel = channels[method];
    const call = CALLS[method] as (api: GatewayApi, ctx: CallContext) => Promise<unknown>;
    handlers.set(channel, async (sender, args) => {
      if (!isTrustedSender(sender)) {
        throw new IpcCallError('unauthorized', `${channel}: refused a call from an untrusted sender (${sender.frameUrl ?? 'unknown frame'})`);
      }
      return call(api, { channel, args });
    });
  }
  return handlers;
}

/**
 * Trusted = the main frame of a window we created, currently showing our own app page.
 * `isAppUrl` comes from windows/options.ts; `isAppWindow` from the window registry.
 */
export function createSenderCheck(isAppUrl: (url: string) => boolean, isAppWindow: (webContentsId: number) => boolean): SenderCheck {
  return (sender) => sender.isMainFrame && sender.frameUrl !== null && isAppUrl(sender.frameUrl) && isAppWindow(sender.webContentsId);
}
