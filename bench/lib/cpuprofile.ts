/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per file, so the top
 * frames can be read without a profiler UI.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Frame {
  name: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not idle and not GC-idle: what the process actually spent. */
  busyMs: number;
  functions: Frame[];
  files: Frame[];
  /**
   * Busy time by kind: socket/pipe writes, start-up (module compile, type stripping), GC, JSON, our code, Node
   * internals, packages.
   */
  categories: Frame[];
  text: string;
}

const WRITES = new Set(['writeUtf8String', 'writev', 'writeBuffer', 'writeLatin1String', 'writeAsciiString']);
const STARTUP = new Set([
  'compileSourceTextModule',
  'wrapSafe',
  'compileForInternalLoader',
  'compileFunction',
  'internalModuleStat',
  'readFileUtf8',
  'passStringToWasm0',
]);

function category(functionName: string, where: string): string {
  if (WRITES.has(functionName)) return 'socket and pipe writes (syscalls)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return '(program): V8 and native work outside JS';
  if (STARTUP.has(functionName) || where.includes('amaro') || /^[0-9a-f]{8}$/.test(where) || where.includes('modules/'))
    return 'start-up: module loading, type stripping';
  if (functionName === 'parse' || functionName === 'stringify') return 'JSON.parse / JSON.stringify';
  if (where.startsWith('main/')) return 'main/** (Switchboard)';
  if (where.startsWith('node:')) return 'Node internals (http, streams, events)';
  if (where === '(native)') return 'other native';
  return 'packages and other JS';
}

function shortUrl(url: string, root: string): string {
  if (!url) return '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm !== -1) return clean.slice(nm + 'node_modules/'.length);
  if (clean.startsWith(root + '/')) return clean.slice(root.length + 1);
  return clean.startsWith('node:') ? clean : path.basename(clean);
}

export function summariseProfile(file: string, root: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // A sample's duration is the gap to the next one.
    const us = deltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + us);
  }
  const totalUs = profile.endTime - profile.startTime;
  const fnTime = new Map<string, number>();
  const fileTime = new Map<string, number>();
  const categoryTime = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = shortUrl(url, root);
    const key = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fnTime.set(key, (fnTime.get(key) ?? 0) + us);
    fileTime.set(where, (fileTime.get(where) ?? 0) + us);
    const cat = category(functionName, where);
    categoryTime.set(cat, (categoryTime.get(cat) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>): Frame[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, selfPct: (100 * us) / busyUs }));
  const functions = rank(fnTime);
  const files = rank(fileTime);
  const categories = rank(categoryTime);
  const row = (f: Frame) =>
    `    ${f.selfPct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}`;
  const lines = [
    `${path.basename(file)}: ${(totalUs / 1000).toFixed(0)} ms profiled, ${(busyUs / 1000).toFixed(0)} ms busy`,
    '  by kind (self time, % of busy):',
    ...categories.map(row),
    '  top functions:',
    ...functions.slice(0, 15).map(row),
    '  top files:',
    ...files.slice(0, 10).map(row),
  ];
  return {
    file: path.basename(file),
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions,
    files,
    categories,
    text: lines.join('\n'),
  };
}
