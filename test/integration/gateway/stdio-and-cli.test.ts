import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { processesWithEnv } from '../../helpers/processes.ts';
import { freePort } from '../../fixtures/servers/http-everything.ts';
import net from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CLI,
  EVERYTHING,
  MEMORY,
  NODE,
  ROOT,
  fixtureServer,
  serveGateway,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';

const run = promisify(execFile);
const HOSTILE = path.join(ROOT, 'test/fixtures/servers/hostile-server.ts');
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(NODE, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('switchboard serve --stdio and the one-shot commands', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let config: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await tempDir();
    // A home of its own: doctor and install read the clients' configs there, never the machine's.
    env = {
      HOME: dir.dir,
      XDG_CONFIG_HOME: path.join(dir.dir, '.config'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
    };
    config = await writeConfig(dir.dir, {
      mcpServers: {
        everything: { command: NODE, args: [EVERYTHING, 'stdio'] },
        memory: { command: NODE, args: [MEMORY], env: { MEMORY_FILE_PATH: path.join(dir.dir, 'memory.jsonl') } },
        fx: fixtureServer('fx'),
      },
      listen: { http: { port: 0 } },
    });
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it('serves an MCP client that spawned the gateway itself over stdio', async () => {
    const client = new Client({ name: 'stdio-client', version: '1' });
    const transport = new StdioClientTransport({
      command: NODE,
      args: [CLI, 'serve', '--stdio', '--config', config],
      env: { ...process.env, ...env } as Record<string, string>,
      stderr: 'pipe',
    });
    await client.connect(transport);
    try {
      // The gateway starts with the client: a list answers after about a second with the servers
      // that are ready, and the others follow (list_changed), so a client may have to list again.
      const wanted = ['everything__echo', 'memory__read_graph', 'fx__echo'];
      const names = await waitFor(async () => {
        const listed = (await client.listTools()).tools.map((t) => t.name);
        return wanted.every((n) => listed.includes(n)) ? listed : undefined;
      }, 20_000);
      expect(names).toEqual(expect.arrayContaining(wanted));
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'over stdio' } }))).toBe(
        'over stdio',
      );
      const progress: number[] = [];
      await client.callTool({ name: 'fx__slow', arguments: { steps: 3 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(progress).toEqual([1, 2, 3]);
      expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain('fx__greet');
      expect((await client.readResource({ uri: 'fixture://fx/about' })).contents[0]).toMatchObject({
        text: 'about fx',
      });
    } finally {
      await client.close();
    }
  });

  it('answers a malformed line on stdio with a parse error and keeps going', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(NODE, [CLI, 'serve', '--stdio', '--config', config], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
    });
    child.stdin.write('this is not json\n');
    child.stdin.write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }) + '\n',
    );
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }) + '\n');
    const deadline = Date.now() + 20_000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill();
    expect(lines[0]).toMatchObject({ id: null, error: { code: -32700 } });
    // initialize may wait a moment for servers still starting (capabilities): ping can overtake it.
    expect(lines.find((l) => l.id === 1)).toMatchObject({
      result: { protocolVersion: '2024-11-05', serverInfo: { name: 'switchboard' } },
    });
    expect(lines.find((l) => l.id === 2)).toMatchObject({ result: {} });
  });

  it('answers what a client sent before it closed stdin, then exits (it answered nothing)', async () => {
    // `printf '...' | switchboard serve --stdio`: the requests are read, the input ends at once.
    const input = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'fx__slow', arguments: { steps: 5, delayMs: 100 }, _meta: { progressToken: 'p' } },
      },
    ];
    const started = Date.now();
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(NODE, [CLI, 'serve', '--stdio', '--config', config], {
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
      child.stdin.end(input.map((m) => JSON.stringify(m) + '\n').join(''));
    });
    const lines = out.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.id === 1)).toMatchObject({ result: { protocolVersion: '2025-06-18' } });
    expect(lines.filter((l) => l.method === 'notifications/progress')).toHaveLength(5);
    expect(textOf(lines.find((l) => l.id === 2)?.result)).toBe('done after 5 steps');
    expect(out.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('refuses bad numbers and an unknown profile, stops what it started, and takes a closed pipe', async () => {
    const nothing = await cli([], env);
    expect(nothing.code).toBe(2);
    expect(nothing.stdout).toMatch(/^Usage: switchboard <command>/m);
    const timeout = await cli(['list', '--config', config, '--timeout', '5s'], env);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout takes a whole number of milliseconds from 0 to 2147483647 (got "5s")');
    // Longer than a timer waits: it gave up on every server at once, "not ready after 9999999999 ms".
    const overflow = await cli(['call', 'fx', 'echo', '--config', config, '--timeout', '9999999999'], env);
    expect(overflow.code).toBe(2);
    expect(overflow.stderr).toBe(
      'switchboard: --timeout takes a whole number of milliseconds from 0 to 2147483647 (got "9999999999")\n',
    );
    const port = await cli(['serve', '--config', config, '--port', '99999'], env);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port takes a whole number from 0 to 65535/);
    // serve --stdio with a profile the config does not have: says which it has, and exits.
    const profile = await cli(['serve', '--stdio', '--profile', 'nope', '--config', config], env);
    expect(profile.code).toBe(1);
    expect(profile.stderr).toMatch(/unknown profile "nope" \(the config has: default\)/);
    // Output into a program that stops reading: no stack trace.
    const piped = await run('sh', ['-c', `"${NODE}" "${CLI}" doctor --config "${config}" | head -n 1`], {
      env: { ...process.env, ...env },
    });
    expect(piped.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.ts:/);
    // A config path given relative to where the command runs is understood as such everywhere.
    const relative = await run(NODE, [CLI, 'doctor', '--config', path.basename(config)], {
      cwd: path.dirname(config),
      env: { ...process.env, ...env },
    }).then(
      (r) => r.stdout,
      (err: { stdout: string }) => err.stdout,
    );
    expect(relative).toContain(config);
  });

  it('list shows each server with its state and tools', async () => {
    const { code, stdout } = await cli(['list', '--config', config], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^SERVER\s+KIND\s+STATE\s+TOOLS/m);
    expect(stdout).toMatch(/^everything\s+stdio\s+ready\s+\d+/m);
    expect(stdout).toMatch(/^fx\s+stdio\s+ready\s+10/m);
    expect(stdout).toMatch(/^\s+read_graph\s+memory__read_graph\s+Read the entire knowledge graph/m);
  });

  it('list shows the name clients call each tool by, and which tools the config hides from them', async () => {
    const filtered = await writeConfig(
      dir.dir,
      {
        mcpServers: {
          fx: { ...fixtureServer('fx'), tools: { deny: ['crash'], aliases: { echo: 'say' } } },
          'fx.two': fixtureServer('fx'),
        },
      },
      'filtered.json',
    );
    const { code, stdout } = await cli(['list', '--config', filtered], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ +echo +say +Echo a message$/m);
    expect(stdout).toMatch(/^ +crash +\(hidden\) +Exit the process/m);
    expect(stdout).toMatch(/^ +slow +fx__slow +Report progress/m);
    // A server name clients would refuse in a tool name: its tools' names are made valid.
    expect(stdout).toMatch(/^ +echo +fx_two__echo_[0-9a-f]{8} +Echo a message$/m);
    const json = JSON.parse((await cli(['list', '--json', '--config', filtered], env)).stdout) as {
      name: string;
      tools: { name: string; clientName?: string; hidden?: boolean }[];
    }[];
    const fx = json.find((s) => s.name === 'fx')!.tools;
    expect(fx.find((t) => t.name === 'echo')).toMatchObject({ clientName: 'say' });
    expect(fx.find((t) => t.name === 'crash')).toMatchObject({ hidden: true });
    expect(fx.find((t) => t.name === 'crash')).not.toHaveProperty('clientName');
  });

  it('call runs one tool and prints its result', async () => {
    const ok = await cli(
      ['call', 'everything', 'echo', '--args', '{"message":"from the terminal"}', '--config', config],
      env,
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe('Echo: from the terminal');
    const structured = await cli(['call', 'fx', 'echo', '--args', '{"message":"s"}', '--config', config], env);
    expect(structured.stdout).toContain('structuredContent:');
    const badTool = await cli(['call', 'fx', 'nope', '--config', config], env);
    expect(badTool.code).toBe(1);
    expect(badTool.stderr).toMatch(/server "fx" has no tool "nope" \(it has: echo, crash, slow/);
    // Bad usage (2), as the help says, like every other malformed option.
    const badArgs = await cli(['call', 'fx', 'echo', '--args', '{oops', '--config', config], env);
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toMatch(/--args is not valid JSON/);
    expect((await cli(['call', 'fx', 'echo', '--args', '[1]', '--config', config], env)).code).toBe(2);
    const badServer = await cli(['call', 'ghost', 'echo', '--config', config], env);
    expect(badServer.stderr).toMatch(/no server named "ghost"/);
    // A tool that asks the user something: nobody is there to answer a one-shot command, and the
    // server is told so at once (the call used to wait out its whole time limit).
    const started = Date.now();
    const asks = await cli(['call', 'fx', 'ask', '--config', config, '--timeout', '20000'], env);
    expect(asks.code).toBe(1);
    expect(asks.stdout + asks.stderr).toMatch(
      /cannot answer elicitation\/create from server "fx": nobody is there to answer it: a one-shot command/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('list, call, doctor and serve print what a hostile server wrote with its control characters escaped', async () => {
    // As test/fixtures/servers/hostile-server.ts writes it: window title, erase line and cursor up,
    // clipboard write (OSC 52), a C1 CSI and a bidi override.
    const attack = '\u001b]0;PWNED\u0007\u001b[2K\u001b[1Ainjected\u001b]52;c;cm0gLXJmIH4=\u0007\u009b2J\u202eesrever';
    const shown =
      String.raw`\u001b]0;PWNED\u0007\u001b[2K\u001b[1Ainjected` +
      String.raw`\u001b]52;c;cm0gLXJmIH4=\u0007\u009b2J\u202eesrever`;
    /** What a terminal acts on; a line break (and a tab) only moves on. */
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const hostile = await writeConfig(
      dir.dir,
      {
        mcpServers: {
          hostile: { command: NODE, args: [HOSTILE] },
          broken: { command: NODE, args: [HOSTILE], env: { HOSTILE_FAIL_START: '1' } },
        },
      },
      'hostile.json',
    );
    const listed = await cli(['list', '--config', hostile], env);
    // The tools MCP clients would refuse are left out of what they see, and list says which and why.
    expect(listed.stdout).toMatch(/^hostile +stdio +ready +\d+ +6 left out \(clients would refuse them\)$/m);
    expect(listed.stdout).toMatch(/^ +left out: tool "props_string" \(inputSchema\.properties: /m);
    expect(listed.stdout).toMatch(/^ +left out: tool "poke" \(listed twice\)$/m);
    expect(listed.stdout).toMatch(new RegExp(`^ +shout +hostile__shout +Shouts ${escapeRegExp(shown)}$`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^broken +stdio +failed .*cannot start ${escapeRegExp(shown)}`, 'm'));
    expect(listed.stdout + listed.stderr).not.toMatch(raw);
    // JSON stays JSON, and means what the server wrote.
    const json = await cli(['list', '--json', '--config', hostile], env);
    expect(json.stdout).not.toMatch(raw);
    const servers = JSON.parse(json.stdout) as { name: string; tools: { name: string; description: string }[] }[];
    const tools = servers.find((s) => s.name === 'hostile')!.tools;
    expect((servers.find((s) => s.name === 'hostile') as { leftOut?: string[] }).leftOut).toHaveLength(6);
    // Once, under its documented name (it came twice, as leftOutTools too).
    expect(servers.find((s) => s.name === 'hostile')).not.toHaveProperty('leftOutTools');
    expect(tools.find((t) => t.name === 'shout')!.description).toBe(`Shouts ${attack}`);

    const called = await cli(['call', 'hostile', 'shout', '--config', hostile], env);
    expect(called.code).toBe(0);
    expect(called.stdout).toBe(`first line ${shown}\nsecond line\n`);
    const calledJson = await cli(['call', 'hostile', 'shout', '--json', '--config', hostile], env);
    expect(calledJson.stdout).not.toMatch(raw);
    expect((JSON.parse(calledJson.stdout) as { content: { text: string }[] }).content[0]!.text).toBe(
      `first line ${attack}\nsecond line`,
    );
    const failed = await cli(['call', 'hostile', 'fail_loudly', '--config', hostile], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`failed ${shown}`);
    expect(failed.stderr).not.toMatch(raw);

    const doctor = await cli(['doctor', '--config', hostile], env);
    expect(doctor.stdout).toContain(`broken: failed: `);
    expect(doctor.stdout).toContain(`cannot start ${shown}`);
    expect(doctor.stdout + doctor.stderr).not.toMatch(raw);

    // The log serve prints in the terminal says why a server is restarted, quoting its error line.
    const served = await serveGateway({ ...process.env, ...env, SWITCHBOARD_CONFIG: hostile });
    try {
      // In words, not the engine's state name ("backoff"): what happened, and when it is started again.
      await waitFor(() => /server "broken" exited .*; restarting in /.test(served.stderr()), 20_000, 'the restart');
      const why = `exited with code 1: cannot start ${escapeRegExp(shown)} \\(full log: [^)]+\\)`;
      expect(served.stderr()).toMatch(new RegExp(`server "broken" ${why}; restarting in \\d+ m?s\n`));
      expect(served.stderr()).not.toMatch(/backoff/);
      expect(served.stderr()).not.toMatch(raw);
    } finally {
      served.child.kill('SIGTERM');
      await new Promise((r) => served.child.once('exit', r));
    }
  }, 60_000);

  it('call and list give up on a handler or remote server that is down, not waiting out the timeout', async () => {
    // A port nothing listens on: every attempt is refused at once.
    const port = await freePort();
    const down = await writeConfig(
      dir.dir,
      {
        mcpServers: {
          backend: { handler: `http://127.0.0.1:${port}/mcp-handler` },
          remote: { url: `http://127.0.0.1:${port}/mcp`, allowPrivateNetwork: true },
        },
      },
      'down.json',
    );
    for (const args of [['call', 'backend', 'anything'], ['call', 'remote', 'anything'], ['list']]) {
      const started = Date.now();
      const result = await cli([...args, '--config', down, '--timeout', '30000'], env);
      // list too: a server that should run is not up (a script checking a config sees it).
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/connection refused/);
      if (args[0] === 'list') expect(result.stderr).toContain('2 of 2 servers are not ready');
      expect(Date.now() - started, args.join(' ')).toBeLessThan(15_000);
    }
  });

  it('list says a server between tries is not ready, not the engine\'s word for the wait ("backoff")', async () => {
    const crashy = await writeConfig(
      dir.dir,
      { mcpServers: { crashy: { command: process.execPath, args: ['-e', 'process.exit(1)'] } } },
      'crashy.json',
    );
    // Listed while it waits to be started again (its first start has failed; a one-shot list tries no more). On a
    // busy machine it may be starting again, or have given up, by then: any of those, but never "backoff".
    const result = await cli(['list', '--config', crashy, '--timeout', '700'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^crashy\s+stdio\s+(not ready|failed|starting)\s+-\s+(gave up after \d+ tries: )?exited with code 1/m,
    );
    expect(result.stdout).not.toContain('backoff');
  });

  it('refuses an option the command does not read, naming it and what it takes (they were ignored)', async () => {
    const cases: [string[], string][] = [
      [['secrets', 'ls', '--json'], 'secrets does not take --json (it takes --config)'],
      [['ui', '--json'], 'ui does not take --json (it takes no options)'],
      [['status', '--config', config], 'status does not take --config (it takes --json)'],
      [
        ['list', '--dry-run', '--config', config],
        'list does not take --dry-run (it takes --config, --timeout, --json)',
      ],
      // An operator's `serve --profile team` served every profile, clients of the default one included.
      [
        ['serve', '--profile', 'work', '--no-socket', '--config', config],
        'serve --profile is for --stdio (its one client): the listeners serve every profile, an HTTP client ' +
          'choosing one by its URL (/mcp/PROFILE)',
      ],
      [
        ['serve', '--stdio', '--port', '9000', '--config', config],
        'serve --stdio serves one client on stdin/stdout and opens no listener: it does not take --port',
      ],
      [['serve', '--no-http', '--host', '0.0.0.0', '--config', config], 'serve --no-http opens no HTTP listener'],
    ];
    for (const [words, says] of cases) {
      const refused = await cli(words, env);
      expect([words.join(' '), refused.code]).toEqual([words.join(' '), 2]);
      expect(refused.stderr).toContain(says);
      expect(refused.stdout).toBe('');
    }
  });

  it("an unknown option gets the command's options, a missing value its name (not Node's words)", async () => {
    const cases: [string[], string][] = [
      // Node said "To specify a positional argument starting with a '-', place it at the end ... after '--'".
      [
        ['list', '--jsn'],
        'switchboard: list does not take --jsn (it takes --config, --timeout, --json). Run switchboard --help ' +
          'for the options.\n',
      ],
      [['frobnicate', '--fast'], 'switchboard: unknown command "frobnicate". Run switchboard --help for the list.\n'],
      // Node's three lines ending in "'--limit=-XYZ'.." (two full stops).
      [
        ['traffic', '--limit', '-1'],
        'switchboard: --limit is followed by "-1", which reads as an option; if it is the value, write --limit=-1\n',
      ],
      [['list', '--timeout'], 'switchboard: --timeout needs a value. Run switchboard --help for the options.\n'],
    ];
    for (const [words, says] of cases) {
      const refused = await cli(words, env);
      expect({ words, code: refused.code, stderr: refused.stderr }).toEqual({ words, code: 2, stderr: says });
      expect(refused.stdout).toBe('');
    }
  });

  it("switchboard --help lists every option of the shim's own help (--connect-timeout was missing)", async () => {
    const help = await cli(['--help'], env);
    const shimHelp = await cli(['shim', '--help'], env);
    const options = [...shimHelp.stderr.matchAll(/^ +(--[a-z-]+ [A-Z]+)/gm)].map((m) => m[1]);
    expect(options).toEqual(['--profile NAME', '--connect-timeout MS']);
    for (const option of options) expect(help.stdout).toContain(`    ${option}`);
  });

  it('an option before the command is told to go after, with the command reordered (was: unknown)', async () => {
    const cases: [string[], string][] = [
      [
        ['--config', 'my config.json', 'list', '--json'],
        "switchboard: options go after the command: switchboard list --config 'my config.json' --json\n",
      ],
      [
        ['--json'],
        'switchboard: "--json" is an option, and options go after a command: switchboard <command> [options]. ' +
          'Run switchboard --help for the commands.\n',
      ],
      // A secret's value typed on the command line is not repeated.
      [
        ['--config', config, 'secrets', 'set', 'token', 'the-value-itself'],
        'switchboard: options go after the command: switchboard secrets ls --config PATH, for example\n',
      ],
    ];
    for (const [words, says] of cases) {
      const refused = await cli(words, env);
      expect({ words, code: refused.code, stderr: refused.stderr }).toEqual({ words, code: 2, stderr: says });
      expect(refused.stdout).toBe('');
    }
  });

  it("says what is wrong with an address to listen on (no token for it, not this machine's)", async () => {
    // TEST-NET-3 and the reserved .invalid: never an address of this machine, never a name that resolves.
    const withToken = await writeConfig(
      dir.dir,
      { mcpServers: {}, listen: { http: { host: '203.0.113.9', port: 0, token: 'a-long-enough-test-token' } } },
      'elsewhere.json',
    );
    const fromConfig = await cli(['serve', '--no-socket', '--config', withToken], env);
    expect(fromConfig.code).toBe(1);
    expect(fromConfig.stderr).toContain(
      `cannot listen on 203.0.113.9 (listen.http.host in ${withToken}): it is not an address of this machine; ` +
        'use one of its own (127.0.0.1',
    );
    expect(fromConfig.stderr).toContain('or 0.0.0.0 for all of them');
    // Without a token, any other address is refused first, saying how to add one.
    const open = await cli(['serve', '--no-socket', '--host', '0.0.0.0', '--config', config], env);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain(
      'refusing to listen on 0.0.0.0: an address other than loopback needs listen.http.token in the config, ' +
        'the bearer token every MCP client must then send (e.g. "token": "${secret:switchboard-token}"',
    );
    const fromFlag = await cli(['serve', '--no-socket', '--host', 'gateway.invalid', '--config', withToken], env);
    expect(fromFlag.code).toBe(1);
    expect(fromFlag.stderr).toContain('cannot listen on gateway.invalid (--host): no address is known for that name');
  });

  it('serve opens no shim socket when the config says "socket": false (it opened one all the same)', async () => {
    const noSocket = await writeConfig(
      dir.dir,
      { mcpServers: {}, listen: { http: { port: 0 }, socket: false } },
      'no-socket.json',
    );
    const runtimeDir = path.join(dir.dir, 'run-no-socket');
    const child = spawn(NODE, [CLI, 'serve', '--config', noSocket], {
      env: { ...process.env, ...env, SWITCHBOARD_RUNTIME_DIR: runtimeDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const ready = await waitFor(
        () => /^switchboard: ready .*$/m.exec(stderr)?.[0],
        20_000,
        'the gateway to be ready',
      );
      expect(ready).toMatch(/HTTP http:\/\/127\.0\.0\.1:\d+\/mcp\)$/);
      expect(ready).not.toContain('shim socket');
      const status = await cli(['status'], { ...env, SWITCHBOARD_RUNTIME_DIR: runtimeDir });
      expect(status.stdout).toMatch(/^ {2}socket {2}off$/m);
      // In local time, as the traffic lines are: it was "since 2026-12-06T22:35:13.548Z".
      expect(status.stdout).toMatch(/, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n/);
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect(path.join(runtimeDir, 'gateway.sock'));
        socket.on('connect', () => (socket.destroy(), resolve('connected')));
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).toBe('ENOENT');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('serve refuses to run with no listener, and stops what it started (it said ready and exited 0)', async () => {
    const marker = `FIXTURE_NAME=unreachable-${process.pid}-${Date.now()}`;
    const off = await writeConfig(
      dir.dir,
      { mcpServers: { fx: fixtureServer(marker.split('=')[1]!) }, listen: { http: false, socket: false } },
      'no-listener.json',
    );
    const byConfig = await cli(['serve', '--config', off], env);
    expect(byConfig.code).toBe(1);
    expect(byConfig.stderr).toContain(
      'switchboard: nothing to serve: the HTTP listener and the shim socket are both off (listen.http is false in ' +
        'the config; listen.socket is false in the config), so no client could reach this gateway; turn one on, or ' +
        'serve one client on stdin/stdout with --stdio',
    );
    expect(byConfig.stderr).not.toMatch(/^switchboard: ready/m);
    expect(await processesWithEnv(marker)).toEqual([]);
    const empty = await writeConfig(dir.dir, { mcpServers: {}, listen: { http: { port: 0 } } }, 'no-servers.json');
    const byFlags = await cli(['serve', '--config', empty, '--no-http', '--no-socket'], env);
    expect(byFlags.code).toBe(1);
    expect(byFlags.stderr).toContain('both off (--no-http; --no-socket)');
  });

  it('refuses words a command does not take, before doing anything (`stop fx` stopped the whole gateway)', async () => {
    const stop = await cli(['stop', 'fx'], env);
    expect(stop.code).toBe(2);
    expect(stop.stderr).toContain('"stop" takes no argument (got "fx"); usage: switchboard stop [--timeout MS]');
    expect(stop.stdout).toBe('');
    for (const words of [
      ['list', 'extra', '--config', config],
      ['status', 'x'],
      ['clients', 'x'],
      ['call', 'fx', 'echo', 'more', '--config', config],
    ]) {
      const refused = await cli(words, env);
      expect(refused.code, words.join(' ')).toBe(2);
      expect(refused.stderr, words.join(' ')).toMatch(/takes no argument|usage:/);
    }
    expect((await cli(['secrets', 'ls', 'extra'], env)).code).toBe(2);
    // A client no installer knows is bad usage too (it failed with 1), naming the ones there are.
    for (const words of [
      ['install', 'nosuch'],
      ['uninstall', 'nosuch'],
      ['adopt', 'nosuch'],
      ['restore', 'cursor', 'nosuch'],
    ]) {
      const refused = await cli(words, env);
      expect(refused.code, words.join(' ')).toBe(2);
      expect(refused.stderr, words.join(' ')).toMatch(
        /^switchboard: unknown client "nosuch" \(known: claude-desktop, /,
      );
    }
    // `serve my-config.json` served the default config, the file's name ignored.
    const serve = await cli(['serve', config, '--no-socket'], env);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain(
      `"serve" takes no argument (got "${config}"); usage: switchboard serve [--config PATH]`,
    );
    // `npm start --port 8788` gives npm the flag and serve only "8788": refused, where the gateway took the
    // default port without a word; under npm start the message says how to pass it on.
    const viaNpm = await cli(['serve', '8788', '--config', config, '--no-socket'], {
      ...env,
      npm_lifecycle_event: 'start',
    });
    expect(viaNpm.code).toBe(2);
    expect(viaNpm.stderr).toContain('"serve" takes no argument (got "8788")');
    expect(viaNpm.stderr).toContain('(through npm start, options go after "--": npm start -- --port 8788)');
    // A taken port, under npm start: the way to another port is one npm passes on.
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const inUse = await cli(['serve', '--port', String(port), '--config', config, '--no-socket'], {
        ...env,
        npm_lifecycle_event: 'start',
      });
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toContain(
        `HTTP port 127.0.0.1:${port} is already in use (another Switchboard or another program); set ` +
          'listen.http.port in the config file, or run npm start -- --port N',
      );
    } finally {
      taken.close();
    }
    // A bad secret name is refused before its value is asked for (stdin stays open here).
    const badName = await cli(['secrets', 'set', 'bad name'], env);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/invalid secret name "bad name"/);
    const badRemoval = await cli(['secrets', 'rm', 'bad name!'], env);
    expect(badRemoval.code).toBe(2);
    expect(badRemoval.stderr).toMatch(/invalid secret name "bad name!"/);
    // Eleven commands one after another: on a busy machine each start of the CLI takes seconds.
  }, 90_000);

  it('Ctrl-C in a one-shot command stops its servers (each runs in a process group of its own)', async () => {
    const marker = `FIXTURE_NAME=sigint-${process.pid}-${Date.now()}`;
    const own = await writeConfig(
      dir.dir,
      {
        mcpServers: { stubborn: fixtureServer(marker.split('=')[1]!, { FIXTURE_IGNORE_EOF: '1' }) },
      },
      'sigint.json',
    );
    const { spawn } = await import('node:child_process');
    const child = spawn(
      NODE,
      [CLI, 'call', 'stubborn', 'slow', '--args', '{"steps":100,"delayMs":200}', '--config', own],
      {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(async () => (await processesWithEnv(marker)).length > 0, 20_000, 'the server started');
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    await waitFor(async () => (await processesWithEnv(marker)).length === 0, 5_000, 'the server stopped');
  });

  it('a closed terminal during a one-shot command stops its servers too', async () => {
    const marker = `FIXTURE_NAME=sighup-${process.pid}-${Date.now()}`;
    const own = await writeConfig(
      dir.dir,
      { mcpServers: { stubborn: fixtureServer(marker.split('=')[1]!, { FIXTURE_IGNORE_EOF: '1' }) } },
      'sighup.json',
    );
    const { spawn } = await import('node:child_process');
    // A real pseudo-terminal (Python's pty module), closed by ending the process that holds it.
    const pty = 'import pty, sys; pty.spawn(sys.argv[1:])';
    const call = [CLI, 'call', 'stubborn', 'slow', '--args', '{"steps":100,"delayMs":200}', '--config', own];
    const terminal = spawn('python3', ['-c', pty, NODE, ...call], { env: { ...process.env, ...env }, stdio: 'ignore' });
    try {
      await waitFor(async () => (await processesWithEnv(marker)).length > 0, 20_000, 'the server started');
      await new Promise((r) => setTimeout(r, 500));
      terminal.kill('SIGKILL');
      await waitFor(async () => (await processesWithEnv(marker)).length === 0, 5_000, 'the server stopped');
    } finally {
      terminal.kill('SIGKILL');
      for (const pid of await processesWithEnv(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('doctor checks config, commands, servers, port and socket', async () => {
    const { code, stdout } = await cli(['doctor', '--config', config], env);
    expect(stdout).toMatch(/✓ .*config\.json is valid \(3 servers/);
    expect(stdout).toMatch(/✓ everything: command ".*node" found at \//);
    expect(stdout).toMatch(/✓ fx: started, 10 tools/);
    expect(stdout).toMatch(/✓ socket directory .* is private/);
    expect(stdout).toMatch(/All checks passed/);
    expect(code).toBe(0);
  });

  it('doctor knows the port of a running gateway with listen.http.token as its own, not another program', async () => {
    const port = await freePort();
    const guarded = await writeConfig(
      dir.dir,
      { mcpServers: {}, listen: { http: { port, token: 'a-long-enough-test-token' } } },
      'guarded.json',
    );
    const child = spawn(NODE, [CLI, 'serve', '--no-socket', '--config', guarded], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await waitFor(() => stderr.includes('ready ('), 20_000, 'the gateway to listen');
      const { code, stdout } = await cli(['doctor', '--config', guarded], env);
      expect(stdout).toContain(`✓ HTTP 127.0.0.1:${port} is in use by a running Switchboard`);
      expect(stdout).not.toContain('another program');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);

  it("doctor says a gateway started with --port listens there, not at the config's port it finds free", async () => {
    const [configured, given] = [await freePort(), await freePort()];
    const ported = await writeConfig(
      dir.dir,
      { mcpServers: {}, listen: { http: { port: configured } } },
      'ported.json',
    );
    const child = spawn(NODE, [CLI, 'serve', '--no-socket', '--config', ported, '--port', String(given)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await waitFor(() => stderr.includes('ready ('), 20_000, 'the gateway to listen');
      const { code, stdout } = await cli(['doctor', '--config', ported], env);
      expect(stdout).toContain(
        `✓ HTTP 127.0.0.1:${configured} (the config's port) is free: the running gateway listens at ` +
          `http://127.0.0.1:${given}/mcp instead (started with --port), so clients given this port reach nothing`,
      );
      expect(code).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);

  it('serve counts its servers in words that fit the number: "1 server", "2 servers"', async () => {
    for (const [names, said] of [
      [['fx'], 'ready (1 server;'],
      [['fx', 'fy'], 'ready (2 servers;'],
    ] as const) {
      const config = await writeConfig(
        dir.dir,
        { mcpServers: Object.fromEntries(names.map((n) => [n, fixtureServer(n)])) },
        `count-${names.length}.json`,
      );
      const child = spawn(NODE, [CLI, 'serve', '--no-socket', '--port', '0', '--config', config], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      try {
        await waitFor(() => stderr.includes('ready ('), 20_000, 'the gateway to listen');
        expect(stderr).toContain(said);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  }, 60_000);

  it('doctor reports a missing command and a server that fails, with a non-zero exit', async () => {
    const broken = await writeConfig(
      dir.dir,
      { mcpServers: { ghost: { command: 'no-such-binary-here' }, fx: fixtureServer('fx') }, listen: { http: false } },
      'broken.json',
    );
    const { code, stdout } = await cli(['doctor', '--config', broken], env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ ghost: command "no-such-binary-here" not found in PATH/);
    expect(stdout).toMatch(
      /✗ ghost: failed: gave up after \d tries: failed to start: command "no-such-binary-here" not found/,
    );
    expect(stdout).toMatch(/2 problems found/);
  });

  it('doctor says a relative command without cwd is one, wherever doctor itself runs', async () => {
    const rel = await writeConfig(dir.dir, { mcpServers: { rel: { command: './bin/server' } } }, 'rel.json');
    const { code, stdout } = await cli(['doctor', '--config', rel], env);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ rel: command "./bin/server" is a relative path: give the absolute path, or "cwd"');
    expect(stdout).not.toMatch(/✓ rel: command/);
  });

  it('doctor lists each problem of an invalid config under its mark', async () => {
    const file = path.join(dir.dir, 'two-problems.json');
    await writeFile(file, '{\n  "mcpServers": { "a": { "comand": "x" } },\n  "lisen": {}\n}\n');
    const { code, stdout } = await cli(['doctor', '--config', file], env);
    expect(code).toBe(1);
    expect(stdout).toContain(`  ✗ ${file}:2:`);
    expect(stdout).toContain(`\n    ${file}:3:3: lisen: unknown key "lisen" (did you mean "listen"?)`);
  });

  it('list names SWITCHBOARD_CONFIG as where an empty config came from only if --config did not name it', async () => {
    const empty = path.join(dir.dir, 'empty.json');
    await writeFile(empty, '// nothing yet\n');
    const elsewhere = path.join(dir.dir, 'elsewhere.json');
    const fromFlag = await cli(['list', '--config', empty], { ...env, SWITCHBOARD_CONFIG: elsewhere });
    expect(fromFlag.code).toBe(0);
    expect(fromFlag.stdout).toBe(`No servers configured in ${empty}.\n`);
    const fromEnv = await cli(['list'], { ...env, SWITCHBOARD_CONFIG: empty });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toBe(`No servers configured in ${empty} (named by SWITCHBOARD_CONFIG).\n`);
    // A path with a typo in it: it said "No servers configured in" a file that is not there.
    const missing = path.join(dir.dir, 'cofnig.json');
    const absent = await cli(['list'], { ...env, SWITCHBOARD_CONFIG: missing });
    expect(absent.code).toBe(0);
    expect(absent.stdout).toBe(
      `No config file at ${missing} (named by SWITCHBOARD_CONFIG) yet: Switchboard starts with no servers (add ` +
        'them there, or with Add server in the app; docs/configuration.md).\n',
    );
  });

  it('a one-shot command refuses an invalid config file with the file, line, column and JSON path', async () => {
    const file = path.join(dir.dir, 'invalid.json');
    await writeFile(
      file,
      '{\n  "mcpServers": {\n    "a": { "command": "x", "url": "https://y" }\n  },\n  "lisen": {}\n}\n',
    );
    const { code, stderr } = await cli(['list', '--config', file], env);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:3:`);
    expect(stderr).toMatch(/mcpServers\.a/);
    expect(stderr).toMatch(/lisen/);
  });
});
