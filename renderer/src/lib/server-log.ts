/**
 * A server's log on its screen: the lines fetched, then those that came live since. A line may come
 * live while the log is read and be in it too (a server just added opens at once, its first lines
 * coming as its log is read): it shows once. A note of the gateway's about the server is in the
 * fetched log as "[switchboard] …", stamped a millisecond or so from when it was said live.
 */
import type { LogLine } from '../../../preload/contract/index.ts';
import { clock } from './format.ts';

/** How far apart a note's two stamps may be (the same note, written to the server's log after). */
const NOTE_SLACK_MS = 50;

/** "HH:MM:SS.mmm text", as the fetched log and the live lines are shown. */
const STAMPED = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) ([\s\S]*)$/;

function msOfDay(at: number): number {
  const d = new Date(at);
  return ((d.getHours() * 60 + d.getMinutes()) * 60 + d.getSeconds()) * 1000 + d.getMilliseconds();
}

/** The live lines (of one server, after the fetch began) that the fetched log does not hold, as shown. */
export function liveLogLines(fetched: readonly string[], live: readonly LogLine[]): string[] {
  // Each fetched line's text, with when in the day it was stamped; a live line takes one at most.
  const held = new Map<string, number[]>();
  for (const line of fetched) {
    const m = STAMPED.exec(line);
    if (!m) continue;
    const ms = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
    const stamps = held.get(m[5]!);
    if (stamps) stamps.push(ms);
    else held.set(m[5]!, [ms]);
  }
  const take = (text: string, ms: number, slack: number): boolean => {
    const stamps = held.get(text);
    const i = stamps?.findIndex((s) => Math.abs(s - ms) <= slack) ?? -1;
    if (i < 0) return false;
    stamps!.splice(i, 1);
    return true;
  };
  const out: string[] = [];
  for (const l of live) {
    const ms = msOfDay(l.at);
    if (take(l.text, ms, 0)) continue;
    if (l.source === 'gateway' && take(`[switchboard] ${l.text}`, ms, NOTE_SLACK_MS)) continue;
    out.push(`${clock(l.at)} ${l.text}`);
  }
  return out;
}
