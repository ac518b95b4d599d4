/** The traffic record: the recorder, the traced upstream, history, stats, exports and replay rules. */
export {
  TrafficRecorder,
  matches,
  resultOutcome,
  type TrafficBegin,
  type TrafficRecorderOptions,
  type TrafficSessionSource,
} from './recorder.ts';
export { TracedUpstream, targetOf, unwrapUpstream } from './traced-upstream.ts';
export { TrafficLog, withoutPayloads, MAX_EXPORT, type TrafficHistory, type TrafficLogOptions } from './traffic-log.ts';
export { planReplay, SAFE_TO_REPLAY, REPLAY_NEEDS_CONFIRM, type ReplayPlan } from './replay.ts';
export { SensitiveFields, SENSITIVE_FIELDS } from './sensitive.ts';
export { TrafficStore, deleteTrafficHistory, type TrafficStoreOptions } from './store.ts';
