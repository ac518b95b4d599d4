/**
 * Runtime channel map of the control API on the main side. Its twin lives in preload/index.ts;
 * both are typed `ChannelMap` and compared by a unit test.
 */
import type { ChannelMap, GatewayMethod } from '../../../preload/contract/channels.ts';

export const GATEWAY_CHANNELS: ChannelMap = Object.freeze({
  getStatus: 'switchboard:get-status',
  listServers: 'switchboard:list-servers',
  listTools: 'switchboard:list-tools',
  restartServer: 'switchboard:restart-server',
  getServerLog: 'switchboard:get-server-log',
  listPrompts: 'switchboard:list-prompts',
  answerPrompt: 'switchboard:answer-prompt',
});

export const GATEWAY_METHODS = Object.freeze(Object.keys(GATEWAY_CHANNELS) as GatewayMethod[]);
