/**
 * `switchboard traffic` as a user runs it in a terminal: against a running `switchboard serve`
 * (its control API), following live traffic, and after the gateway stopped (the history it kept).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { TrafficEntry, TrafficTree } from '../../../preload/contract/index.ts';
import { MAX_EXPORT, TrafficStore } from '../../../main/engine/traffic/index.ts';
import { firstKeyAt, idOfKey } from '../../../main/engine/traffic/ids.ts';
import {
  CLI,
  NODE,
  fixtureServer,
  httpClient,
  tempDir,
  waitFor,
  writeConfig,
  cliRun,
  serveGateway,
} from '../../helpers/gateway.ts';
import { holdEveryEventStream } from '../../helpers/event-streams.ts';
import { lockDatabase } from '../../helpers/sqlite-lock.ts';

let dir: { dir: string; cleanup(): Promise<void> };
let env: NodeJS.ProcessEnv;
let gateway: ChildProcess | undefined;
let gatewayLog: () => string;
let gatewayUrl: string;
let client: Client;

const cli = (...args: string[]) => cliRun(env, ...args);

beforeAll(async () => {
  dir = await tempDir('sb-traffic-cli-');
  const config = await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
  env = {
    ...process.env,
    SWITCHBOARD_CONFIG: config,
    SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
    NO_COLOR: '1',
  };
  const served = await serveGateway(env);
  gateway = served.child;
  gatewayLog = served.stderr;
  const url = served.url;
  gatewayUrl = url;
  client = await httpClient(url);
  await client.callTool({ name: 'fx__echo', arguments: { message: 'first call' } });
  await client.callTool({ name: 'fx__nope', arguments: {} }).catch((err: unknown) => err);
  // A tool that cannot do a call answers with a result marked isError (here: arguments its schema refuses).
  await client.callTool({ name: 'fx__slow', arguments: { steps: 'many' } });
}, 40_000);

afterAll(async () => {
  await client?.close();
  gateway?.kill('SIGKILL');
  await dir?.cleanup();
});

describe('switchboard traffic', () => {
  it('prints the latest exchanges one line each, oldest first, and filters them', async () => {
    const all = await cli('traffic');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    const call = lines.findIndex((l) => /test-client → gateway {2}tools\/call fx__echo {2}ok {2}\S+ ms/.test(l));
    const upstream = lines.findIndex((l) => /↳ gateway → fx {2}tools\/call echo {2}ok/.test(l));
    expect(call).toBeGreaterThanOrEqual(0);
    expect(upstream).toBeGreaterThan(call);
    expect(all.stdout).toMatch(/tools\/call fx__nope {2}error .*-32602: Unknown tool: fx__nope/);

    const errors = await cli('traffic', '--errors');
    // A tool's own error (a result marked isError) is a failure too, at both edges.
    expect(errors.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/fx__nope {2}error/),
      expect.stringMatching(/test-client → gateway {2}tools\/call fx__slow {2}tool_error/),
      expect.stringMatching(/↳ gateway → fx {2}tools\/call slow {2}tool_error/),
    ]);
    const upstreamOnly = await cli('traffic', '--server', 'fx', '--method', 'tools/call', '--json');
    const entries = upstreamOnly.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrafficEntry);
    expect(entries.map((e) => [e.edge, e.server, e.target, e.outcome])).toEqual([
      ['client', 'fx', 'fx__echo', 'ok'],
      ['upstream', 'fx', 'echo', 'ok'],
      ['client', 'fx', 'fx__slow', 'tool_error'],
      ['upstream', 'fx', 'slow', 'tool_error'],
    ]);
    expect(entries[0]!.request.json).toContain('first call');
  });

  it('filters by what the API does: a target, text in the payloads, a least duration', async () => {
    const lines = async (...args: string[]) => {
      const run = await cli('traffic', ...args);
      expect([run.code, run.stderr]).toEqual([0, '']);
      return run.stdout.trim().split('\n');
    };
    // The text is only in the payloads; the search is the gateway's (any case, % and _ as themselves).
    expect(await lines('--text', 'FIRST CALL')).toEqual([
      expect.stringMatching(/test-client → gateway {2}tools\/call fx__echo {2}ok/),
      expect.stringMatching(/↳ gateway → fx {2}tools\/call echo {2}ok/),
    ]);
    expect(await lines('--text', 'first_call')).toEqual(['']);
    expect(await lines('--target', 'echo')).toEqual([
      expect.stringMatching(/↳ gateway → fx {2}tools\/call echo {2}ok/),
    ]);
    expect(await lines('--target', 'fx__slow', '--min-duration', '0')).toHaveLength(1);
    expect(await lines('--min-duration', '3600000')).toEqual(['']);
    const exported = await cli('traffic', 'export', '--text', 'first call', '--target', 'fx__echo');
    expect(
      exported.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as TrafficEntry).target),
    ).toEqual(['fx__echo']);

    const follow = await cli('traffic', '--follow', '--text', 'first call');
    expect([follow.code, follow.stderr]).toEqual([
      2,
      'switchboard: --text cannot be used with --follow: live exchanges come without their payloads\n',
    ]);
    const fraction = await cli('traffic', '--min-duration', '1.5');
    expect([fraction.code, fraction.stderr]).toEqual([
      2,
      'switchboard: --min-duration takes a whole number of milliseconds from 0 to 9007199254740991 (got "1.5")\n',
    ]);
    // One wording for every --limit out of range, a word or a number.
    for (const limit of ['abc', '0', '5000'])
      expect((await cli('traffic', '--limit', limit)).stderr).toBe(
        `switchboard: --limit takes a whole number from 1 to 1000 (got "${limit}")\n`,
      );
  });

  it('shows one exchange as a tree with its payloads, and the stats per server and tool', async () => {
    const listed = await cli('traffic', '--method', 'tools/call', '--json');
    const call = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrafficEntry)
      .find((e) => e.target === 'fx__echo')!;
    const shown = await cli('traffic', 'show', call.id);
    expect(shown.stdout).toContain(`id ${call.id}`);
    expect(shown.stdout).toMatch(/→ \{"name":"fx__echo","arguments":\{"message":"first call"\}/);
    expect(shown.stdout).toMatch(/^ {2}\S+ {2}gateway → fx {2}tools\/call echo/m);
    const json = JSON.parse((await cli('traffic', 'show', call.id, '--json')).stdout) as TrafficTree;
    expect(json.children[0]!.entry).toMatchObject({ edge: 'upstream', target: 'echo' });

    // The session id it prints is one --session takes (it printed 12 characters, which matched nothing).
    const session = /, session (\S+) \(streamable-http, profile default\)/.exec(shown.stdout)![1]!;
    const ofSession = await cli('traffic', '--session', session, '--method', 'tools/call');
    expect(ofSession.stdout).toMatch(/test-client → gateway {2}tools\/call fx__echo {2}ok/);
    const shortened = await cli('traffic', '--session', session.slice(0, 12));
    expect([shortened.code, shortened.stdout]).toEqual([0, '']);
    expect(shortened.stderr).toContain(
      `no exchange recorded is of session "${session.slice(0, 12)}" (--session takes a whole session id`,
    );

    const stats = await cli('traffic', 'stats');
    expect(stats.stdout).toMatch(/^fx echo +1 +0 /m);
    expect(stats.stdout).toMatch(/^fx slow +1 +1 /m);
    // fx__nope counts as a call that failed, though no server saw it; fx__slow's tool said it failed.
    expect(stats.stdout).toMatch(/: clients made 3 tool calls, 2 failed\.$/m);
    const missing = await cli('traffic', 'show', 'no-such-id');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no exchange "no-such-id" in the traffic record');
    // An option the command does not read is refused: the stats would have counted everything.
    const unused = await cli('traffic', 'stats', '--errors', '--method', 'tools/call');
    expect(unused.code).toBe(2);
    expect(unused.stderr).toContain(
      'traffic stats does not take --method, --errors ' +
        '(it takes --json, --server, --client, --profile, --since, --until)',
    );
    expect((await cli('traffic', 'export', '--limit', '5')).code).toBe(2);
  });

  // Fifteen runs of the command line: on a loaded machine, each takes seconds to start.
  it('--until shows what began until then (a local time to its whole minute), refusing what cannot be', async () => {
    const first = (await cli('traffic', '--method', 'tools/call', '--client', 'test-client', '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrafficEntry)
      .find((e) => e.target === 'fx__echo')!;
    const at = new Date(first.startedAt);
    const pad = (n: number) => String(n).padStart(2, '0');
    const day = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
    const minute = `${day}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
    // The call began within that minute (after :00): "until 10:05" holds what began at 10:05:30.
    const until = await cli(
      'traffic',
      '--method',
      'tools/call',
      '--client',
      'test-client',
      '--until',
      minute,
      '--json',
    );
    expect(until.code).toBe(0);
    expect(until.stdout).toContain(`"id":"${first.id}"`);
    // The gateway started seconds ago: nothing began until an hour ago, in a list, the stats or an export.
    expect(await cli('traffic', '--until', '1h')).toMatchObject({ code: 0, stdout: '' });
    expect((await cli('traffic', 'stats', '--until', '1h')).stdout).toMatch(/clients made 0 tool calls, 0 failed/);
    expect(await cli('traffic', 'export', '--until', '1h')).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'switchboard: no exchange matched: the export holds none\n',
    });
    const emptyHar = await cli('traffic', 'export', '--format', 'har', '--server', 'no-such-server');
    expect((JSON.parse(emptyHar.stdout) as { log: { entries: unknown[] } }).log.entries).toEqual([]);
    expect(emptyHar.stderr).toBe('switchboard: no exchange matched: the export holds none\n');
    expect((await cli('traffic', 'export', '--until', '0s')).stdout).toContain(`"id":"${first.id}"`);

    const refusals: [string[], string][] = [
      [
        ['--until', 'soon'],
        '--until takes a duration (15m, 2h, 3d), a time of day (10:00) or a date (2026-12-04T10:00), got "soon"',
      ],
      [['--until', '2026-02-30'], '--until: there is no date 2026-02-30'],
      [['--since', '1m', '--until', '2m'], '--since 1m is after --until 2m: nothing could match'],
      [['--follow', '--until', '1m'], '--until cannot be used with --follow, which prints what happens from now on'],
      [['show', first.id, '--until', '1m'], 'traffic show does not take --until'],
    ];
    for (const [args, message] of refusals) {
      const refused = await cli('traffic', ...args);
      expect([refused.code, refused.stderr], args.join(' ')).toEqual([2, expect.stringContaining(message)]);
    }
  }, 90_000);

  it('says on stderr while the running gateway cannot write its history, and why', async () => {
    const lock = await lockDatabase(path.join(dir.dir, 'state', 'traffic.db'));
    try {
      await client.callTool({ name: 'fx__echo', arguments: { message: 'while locked' } });
      const listed = await waitFor(
        async () => {
          const out = await cli('traffic', '--limit', '5');
          return out.stderr.includes('not being written') ? out : undefined;
        },
        10_000,
        'the gateway to find it cannot write',
      );
      expect(listed.stderr).toContain(
        "switchboard: the running gateway's traffic history is not being written: cannot write ",
      );
      expect(listed.stderr).toMatch(/traffic\.db: another program holds it locked.*newer ones are not saved\n/);
      // What was recorded meanwhile is listed all the same.
      expect(listed.stdout).toMatch(/tools\/call fx__echo {2}ok/);
    } finally {
      await lock.release();
    }
    await waitFor(
      async () => !(await cli('traffic', 'stats')).stderr.includes('not being written'),
      10_000,
      'the history written again',
    );
  });

  it('exports the record as HAR to a file', async () => {
    const file = path.join(dir.dir, 'bug-report.har');
    const result = await cli('traffic', 'export', '--format', 'har', '--output', file);
    expect(result.stderr).toMatch(/wrote \d+ exchanges to .*bug-report\.har/);
    const har = JSON.parse(await readFile(file, 'utf8')) as { log: { version: string; entries: unknown[] } };
    expect(har.log.version).toBe('1.2');
    expect(JSON.stringify(har)).toContain('mcp://switchboard/server/fx/tools/call');
  });

  it('says in words why an export could not be written: a folder that is not there, a folder for a file', async () => {
    const missing = path.join(dir.dir, 'no-such-folder', 'report.har');
    const first = await cli('traffic', 'export', '--output', missing);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(
      `cannot write the export to ${missing}: the folder ${path.dirname(missing)} does not exist`,
    );
    const second = await cli('traffic', 'export', '--output', dir.dir);
    expect(second.stderr).toContain(`cannot write the export to ${dir.dir}: that is a folder; give a file name`);
  });

  it('follows new exchanges as they end, until interrupted', async () => {
    const follower = spawn(NODE, [CLI, 'traffic', '--follow', '--method', 'tools/call'], { env });
    let out = '';
    follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => out.includes('fx__echo'), 10_000, 'the listing before the live part');
      await client.callTool({ name: 'fx__echo', arguments: { message: 'live call' } });
      await waitFor(() => out.split('\n').filter((l) => /fx__echo {2}ok/.test(l)).length === 2, 10_000, 'live');
      follower.kill('SIGINT');
      const code = await new Promise((r) => follower.once('exit', r));
      expect(code).toBe(0);
    } finally {
      follower.kill('SIGKILL');
    }
  });

  it('says while the gateway refuses it the live stream (16 open already), and goes on once it takes it', async () => {
    const token = (await readFile(path.join(dir.dir, 'run', 'api-token'), 'utf8')).trim();
    const events = `${new URL(gatewayUrl).origin}/api/events`;
    const held = await holdEveryEventStream(events, token);
    const follower = spawn(NODE, [CLI, 'traffic', '--follow', '--method', 'tools/call'], { env });
    let out = '';
    let err = '';
    follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
    follower.stderr.on('data', (c: Buffer) => (err += c.toString()));
    try {
      // It printed the listing, then nothing new, without a word.
      await waitFor(() => err.includes('refuses the live connection'), 10_000, 'the follower to say why');
      expect(err).toContain(
        'the gateway refuses the live connection: too many event streams open (16); close one and retry; ' +
          'nothing new shows until it takes it (trying again)',
      );
      held.releaseOne();
      await waitFor(() => err.includes('live again'), 20_000, 'the stream taken');
      const before = out.split('\n').filter((l) => /fx__echo {2}ok/.test(l)).length;
      await client.callTool({ name: 'fx__echo', arguments: { message: 'live after the wait' } });
      await waitFor(
        () => out.split('\n').filter((l) => /fx__echo {2}ok/.test(l)).length === before + 1,
        10_000,
        'the new call followed',
      );
    } finally {
      follower.kill('SIGKILL');
      held.releaseAll();
    }
  }, 40_000);

  it('prints --json with the control characters JSON.stringify leaves raw escaped, as the same JSON', async () => {
    const message = 'clear \u009b2J reversed \u202eexe.txt';
    await client.callTool({ name: 'fx__echo', arguments: { message } });
    const listed = await waitFor(
      async () => {
        const out = (await cli('traffic', '--method', 'tools/call', '--json', '--since', '1m')).stdout;
        return out.includes('reversed') ? out : undefined;
      },
      10_000,
      'the call in the record',
    );
    expect(listed).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    expect(listed).toContain(String.raw`clear \u009b2J reversed \u202eexe.txt`);
    const entries = listed
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrafficEntry);
    expect(entries.some((e) => e.request.json?.includes(message))).toBe(true);
  });

  it('finds what a message says with --text, though its payload is JSON (where a quote reads \\")', async () => {
    await client.callTool({ name: 'fx__echo', arguments: { message: 'say "cheese" in C:\\Photos\nnow' } });
    const found = await cli('traffic', '--text', 'say "cheese" in C:\\Photos', '--target', 'fx__echo');
    expect([found.code, found.stderr]).toEqual([0, '']);
    expect(found.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/test-client → gateway {2}tools\/call fx__echo {2}ok/),
    ]);
    const twoLines = await cli('traffic', '--text', 'Photos\nNOW', '--target', 'fx__echo');
    expect(twoLines.stdout).toMatch(/test-client → gateway {2}tools\/call fx__echo {2}ok/);
  });

  it('says that the running gateway records nothing when traffic.enabled is false, listing and following', async () => {
    const reloads = () => gatewayLog().split('config reloaded').length - 1;
    const reloaded = reloads();
    await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') }, traffic: { enabled: false } });
    try {
      await waitFor(() => reloads() > reloaded, 10_000, 'the config to be reloaded');
      const listed = await cli('traffic', '--method', 'tools/call');
      expect(listed.stdout).toMatch(/fx__echo {2}ok/);
      expect(listed.stderr).toContain(
        'the running gateway records no traffic (traffic.enabled is false in its config): ' +
          'what shows was recorded before it was turned off',
      );
      // Following what is new printed nothing at all, and said nothing either.
      const follower = spawn(NODE, [CLI, 'traffic', '--follow', '--since', '1s'], { env });
      let err = '';
      follower.stderr.on('data', (c: Buffer) => (err += c.toString()));
      try {
        await waitFor(() => err.includes('records no traffic'), 10_000, 'the follower to say so');
        expect(err).toContain('nothing will show until it is turned on');
      } finally {
        follower.kill('SIGKILL');
      }
    } finally {
      await writeConfig(dir.dir, { mcpServers: { fx: fixtureServer('fx') } });
      await waitFor(() => reloads() > reloaded + 1, 10_000, 'the config to be reloaded again');
    }
    expect((await cli('traffic')).stderr).not.toContain('records no traffic');
  });

  it('refuses a filter text over 1024 characters as a usage error naming the option', async () => {
    const long = 'x'.repeat(1025);
    for (const option of ['--text', '--server', '--method', '--target', '--client', '--session', '--profile']) {
      const refused = await cli('traffic', option, long);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`switchboard: ${option} takes at most 1024 characters (this one has 1025)\n`);
    }
    expect((await cli('traffic', 'export', '--text', long)).code).toBe(2);
    expect((await cli('traffic', 'stats', '--server', long)).code).toBe(2);
    expect((await cli('traffic', '--text', 'x'.repeat(1024))).code).toBe(0);
  });

  it('reads the history once the gateway stopped, and says that following needs a gateway', async () => {
    // A follower of the gateway that stops says so and ends, rather than wait for ever.
    const follower = spawn(NODE, [CLI, 'traffic', '--follow'], { env });
    let out = '';
    let err = '';
    follower.stdout.on('data', (c: Buffer) => (out += c.toString()));
    follower.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => follower.once('exit', r));
    try {
      await waitFor(() => out.includes('fx__echo'), 10_000, 'the follower listing');
      expect((await cli('stop')).code).toBe(0);
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(1);
      expect(err).toMatch(/the gateway \(pid \d+\) stopped: no more live traffic/);
    } finally {
      follower.kill('SIGKILL');
    }
    const offline = await cli('traffic', '--method', 'tools/call');
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/no gateway is running; reading the history in .*traffic\.db/);
    expect(offline.stdout).toMatch(/fx__echo {2}ok/);
    const follow = await cli('traffic', '--follow');
    expect(follow.code).toBe(1);
    expect(follow.stderr).toContain('no Switchboard gateway is running: there is no live traffic');
    // Refused the same way without a gateway: the history accepted any length.
    const long = await cli('traffic', '--text', 'x'.repeat(1025));
    expect(long.code).toBe(2);
    expect(long.stderr).toBe('switchboard: --text takes at most 1024 characters (this one has 1025)\n');
    const bad = await cli('traffic', '--since', 'yesterday-ish');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a duration (15m, 2h, 3d), a time of day (10:00) or a date');
    // Only the usage: it said first where it was reading the history from, for a command it then refused.
    const noId = await cli('traffic', 'show');
    expect(noId.code).toBe(2);
    expect(noId.stderr).toBe('switchboard: usage: switchboard traffic show ID [--json]\n');
  });
});

describe('switchboard traffic export with more than one export holds', () => {
  it('says on stderr that it holds only the newest, also when it writes to stdout', async () => {
    const state = path.join(dir.dir, 'big-state');
    const store = TrafficStore.open({ file: path.join(state, 'traffic.db'), maxAgeMs: 86_400_000, maxBytes: 1 << 30 });
    const start = Date.now() - 60_000;
    for (let i = 0; i <= MAX_EXPORT; i++) {
      // Written as it goes: the store holds at most 10 000 waiting to be written.
      if (i % 1000 === 0) store.flush();
      store.add({
        id: idOfKey(firstKeyAt(start) + i),
        edge: 'client',
        direction: 'in',
        kind: 'notification',
        method: 'notifications/initialized',
        startedAt: start + Math.floor(i / 1000),
        outcome: 'delivered',
        request: { json: '{}', bytes: 2 },
      });
    }
    store.close();
    // No gateway in this runtime directory: the CLI reads the history, through the same export.
    const offline = { ...env, SWITCHBOARD_STATE_DIR: state, SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'big-run') };
    const toStdout = await cliRun(offline, 'traffic', 'export');
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout.trim().split('\n')).toHaveLength(MAX_EXPORT);
    expect(toStdout.stderr).toContain(`exported the newest ${MAX_EXPORT} exchanges; more matched`);
    const toFile = await cliRun(offline, 'traffic', 'export', '--output', path.join(dir.dir, 'big.jsonl'));
    expect(toFile.stderr).toContain(`wrote ${MAX_EXPORT} exchanges to ${path.join(dir.dir, 'big.jsonl')} (the newest`);
  }, 30_000);
});
