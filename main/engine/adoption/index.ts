/** Adoption: a client's existing servers moved into Switchboard, their secrets into the keychain. */
export {
  adoptClient,
  listAdoptable,
  planAdoption,
  type AdoptableServer,
  type AdoptionContext,
  type AdoptionPlan,
  type AdoptionResult,
  type AdoptOptions,
  type PlannedServer,
} from './adopt.ts';
export {
  convertServer,
  secretName,
  switchboardServerName,
  translateVariables,
  ConvertError,
  type ConvertedServer,
  type MovedSecret,
} from './convert.ts';
export {
  addServersToConfig,
  removeServerFromConfig,
  type ConfigAddition,
  type ConfigEdit,
} from './switchboard-config.ts';
