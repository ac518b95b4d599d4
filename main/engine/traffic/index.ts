/** The traffic record: the recorder, the traced upstream, and what they record. */
export {
  TrafficRecorder,
  matches,
  type TrafficBegin,
  type TrafficRecorderOptions,
  type TrafficSessionSource,
} from './recorder.ts';
export { TracedUpstream, targetOf, unwrapUpstream } from './traced-upstream.ts';
