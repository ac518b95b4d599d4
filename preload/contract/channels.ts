/**
 * IPC channel names of the control API, as types. This folder holds no values, so the runtime
 * maps live where they are used — preload/index.ts and main/app/ipc/channels.ts — each typed
 * `ChannelMap`: the compiler rejects a missing, extra or misspelt channel, and a unit test
 * (test/unit/app/ipc/channels.test.ts) checks that both maps and the API agree at runtime.
 *
 * Channel of a method: `switchboard:` + the method name in kebab-case
 * (`getServerLog` -> `switchboard:get-server-log`).
 */
import type { GatewayApi } from './gateway-api.ts';

export type GatewayMethod = keyof GatewayApi;

/** `getServerLog` -> `get-server-log`. */
export type KebabCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `-${Lowercase<Head>}`}${KebabCase<Tail>}`
  : S;

export type ChannelPrefix = 'switchboard:';

export type ChannelOf<M extends GatewayMethod> = `${ChannelPrefix}${KebabCase<M>}`;

/** Method -> channel, for every method of the API and nothing else. */
export type ChannelMap = { readonly [M in GatewayMethod]: ChannelOf<M> };

export type GatewayChannel = ChannelMap[GatewayMethod];

/** Name of the global the preload exposes: `window.switchboard` is a GatewayApi. */
export type ExposedApiKey = 'switchboard';
