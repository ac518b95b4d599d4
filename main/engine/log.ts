/**
 * The gateway's own log lines (shown in the app, printed by the CLI): what happened in the
 * background, with the server it concerns. A failure nobody awaits goes through `logFailure`
 * instead of an empty catch, so it is seen rather than swallowed.
 */
import type { LogLine } from '../../preload/contract/index.ts';
import { errorMessage } from './protocol/errors.ts';

/** A line the engine writes; the gateway stamps it with the time and `source: 'gateway'`. */
export type LogNote = Pick<LogLine, 'level' | 'text'> & { server?: string };

export type LogFn = (note: LogNote) => void;

/**
 * A rejection handler for background work nobody awaits: `promise.catch(logFailure(log, 'could
 * not reopen listeners'))` writes "could not reopen listeners: <cause>" with `log`, which knows
 * the level and the server it is about.
 */
export function logFailure(log: (text: string) => void, what: string): (err: unknown) => void {
  return (err) => log(`${what}: ${errorMessage(err)}`);
}

/** `14:03:07 warn [github] text` for terminals. */
export function formatLogLine(line: LogLine): string {
  const time = new Date(line.at).toISOString().slice(11, 19);
  return `${time} ${line.level.padEnd(5)} ${line.server === undefined ? '' : `[${line.server}] `}${line.text}`;
}
