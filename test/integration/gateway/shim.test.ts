import { signalProcessesWithEnv } from '../../helpers/processes.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  CLI,
  EVERYTHING,
  NODE,
  cliRun,
  fixtureServer,
  tempDir,
  textOf,
  waitFor,
  writeConfig,
} from '../../helpers/gateway.ts';
import { runtimePaths } from '../../../main/shared/paths.ts';
import { probeSocket, readGatewayLock } from '../../../main/engine/index.ts';
import { INITIALIZE, rawStdio, type RawStdio } from '../../helpers/raw-stdio.ts';

describe('the shim, as a client spawns it', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let env: Record<string, string>;
  let gateways: ChildProcess[] = [];
  let socket: string;

  /** `switchboard serve ARGS`, killed after the test. */
  function startGatewayProcess(args = ['--no-http']): ChildProcess {
    const child = spawn(NODE, [CLI, 'serve', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    gateways.push(child);
    return child;
  }

  /** The same, once its socket answers. */
  async function runningGatewayProcess(args?: string[], what = 'the gateway socket'): Promise<ChildProcess> {
    const child = startGatewayProcess(args);
    await waitFor(() => probeSocket(socket), 15_000, what);
    return child;
  }

  async function shimClient(profile = 'default'): Promise<{ client: Client; stderr: () => string }> {
    const transport = new StdioClientTransport({
      command: NODE,
      args: [CLI, 'shim', '--profile', profile],
      env: { ...process.env, ...env } as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const client = new Client({ name: 'shim-client', version: '1' });
    await client.connect(transport);
    return { client, stderr: () => stderr };
  }

  beforeAll(async () => {
    dir = await tempDir('sb-shim-');
    const config = await writeConfig(dir.dir, {
      mcpServers: { everything: { command: NODE, args: [EVERYTHING, 'stdio'] }, fx: fixtureServer('fx') },
      profiles: { just_fx: { servers: ['fx'] } },
    });
    env = {
      SWITCHBOARD_CONFIG: config,
      SWITCHBOARD_RUNTIME_DIR: path.join(dir.dir, 'run'),
      SWITCHBOARD_STATE_DIR: path.join(dir.dir, 'state'),
      // A gateway the shim starts itself must not grab the default port either.
      SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, CLI, 'serve', '--background', '--no-http']),
    };
    socket = runtimePaths(env).socket;
  });
  afterEach(async () => {
    for (const g of gateways) g.kill('SIGKILL');
    gateways = [];
    // A gateway the shim started is not our child: found by this test's runtime directory in its
    // environment (`pkill -f` on its command line also stopped other tests' gateways).
    await signalProcessesWithEnv(`SWITCHBOARD_RUNTIME_DIR=${env.SWITCHBOARD_RUNTIME_DIR}`);
    // Gone means its lock is free, not only its socket: it closes the socket first, then stops its
    // servers, and a gateway started meanwhile would find the lock still held.
    await waitFor(
      async () => !(await probeSocket(socket)) && !(await readGatewayLock(runtimePaths(env).lock))?.running,
      10_000,
      'the gateway to be gone',
    );
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it("exposes the running gateway's servers to a stdio client, per profile", async () => {
    await runningGatewayProcess();
    const { client } = await shimClient();
    const limited = await shimClient('just_fx');
    try {
      // Servers may still be starting: the list answers with those that are ready, the rest follow.
      const names = await waitFor(async () => {
        const listed = (await client.listTools()).tools.map((t) => t.name);
        return listed.includes('everything__echo') && listed.includes('fx__echo') ? listed : undefined;
      }, 20_000);
      expect(names).toEqual(expect.arrayContaining(['everything__echo', 'fx__echo']));
      expect(
        textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'through the shim' } })),
      ).toBe('Echo: through the shim');
      const progress: number[] = [];
      await client.callTool({ name: 'fx__slow', arguments: { steps: 3 } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(progress).toEqual([1, 2, 3]);
      expect((await limited.client.listTools()).tools.map((t) => t.name).every((n) => n.startsWith('fx__'))).toBe(true);
      // The web UI lives on the HTTP listener this gateway runs without: `ui` says what to do.
      const ui = await cliRun({ ...process.env, ...env }, 'ui');
      expect(ui.code).toBe(1);
      expect(ui.stderr).toMatch(/has no HTTP listener, which the web UI needs: stop it .* without --no-http/);
    } finally {
      await client.close();
      await limited.client.close();
    }
  });

  it('says why a gateway started in the background has no HTTP listener: its port was taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await runningGatewayProcess(['--background', '--port', String(port)]);
      const inUse = `HTTP port 127.0.0.1:${port} is already in use`;
      await waitFor(
        async () => (await cliRun({ ...process.env, ...env }, 'status')).stdout.includes(`off: ${inUse}`) || undefined,
        10_000,
        'status naming the taken port',
      );
      // Not "start it without --no-http, with listen.http on": the config already asks for it.
      const ui = await cliRun({ ...process.env, ...env }, 'ui');
      expect(ui.code).toBe(1);
      expect(ui.stderr).toContain(`has no HTTP listener, which the web UI needs: ${inUse}`);
      expect(ui.stderr).not.toContain('--no-http');
    } finally {
      taken.close();
    }
  });

  it('starts a gateway when none is running', async () => {
    expect(await probeSocket(socket)).toBe(false);
    const { client } = await shimClient();
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'auto-started' } }))).toBe(
        'auto-started',
      );
    } finally {
      await client.close();
    }
  });

  it('starts a gateway that serves it when the config turns the socket off for switchboard serve', async () => {
    const noSocket = await writeConfig(
      dir.dir,
      { mcpServers: { fx: fixtureServer('fx') }, listen: { http: false, socket: false } },
      'no-socket.json',
    );
    const client = new Client({ name: 'shim-client', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: NODE,
        args: [CLI, 'shim'],
        env: { ...process.env, ...env, SWITCHBOARD_CONFIG: noSocket } as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'socket kept' } }))).toBe(
        'socket kept',
      );
    } finally {
      await client.close();
    }
  });

  it('survives a gateway restart: the call in flight fails, the next works without a client restart', async () => {
    const first = await runningGatewayProcess();
    const { client } = await shimClient();
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'before' } }))).toBe('before');
      const inFlight = client.callTool({ name: 'fx__slow', arguments: { steps: 50, delayMs: 100 } });
      await new Promise((r) => setTimeout(r, 300));
      first.kill('SIGKILL');
      await expect(inFlight).rejects.toThrow(/gateway stopped or restarted\), so whether it ran is unknown/);
      // The shim starts a new gateway by itself and re-initialises on the client's behalf.
      await waitFor(
        async () => textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'after' } })) === 'after',
        30_000,
        'a call after the restart',
      );
    } finally {
      await client.close();
    }
  });

  it('keeps shim clients and their calls through a reload that changes only HTTP settings', async () => {
    await runningGatewayProcess();
    const { client } = await shimClient();
    try {
      const inFlight = client.callTool({ name: 'fx__slow', arguments: { steps: 20, delayMs: 100 } });
      await new Promise((r) => setTimeout(r, 300));
      // An HTTP-only setting, and a server added in the same save (to see that the reload happened).
      await writeConfig(dir.dir, {
        mcpServers: {
          everything: { command: NODE, args: [EVERYTHING, 'stdio'] },
          fx: fixtureServer('fx'),
          fx2: fixtureServer('fx2'),
        },
        profiles: { just_fx: { servers: ['fx'] } },
        listen: { http: { allowedOrigins: ['https://example.com'] } },
      });
      expect((await inFlight).isError).toBeFalsy();
      await waitFor(
        async () => (await client.listTools()).tools.some((t) => t.name === 'fx2__echo'),
        15_000,
        'fx2 added by the reload',
      );
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'same session' } }))).toBe(
        'same session',
      );
    } finally {
      await client.close();
    }
  });

  const baseConfig = {
    mcpServers: { everything: { command: NODE, args: [EVERYTHING, 'stdio'] }, fx: fixtureServer('fx') },
    profiles: { just_fx: { servers: ['fx'] } },
  };
  const stopGateway = async () => {
    expect((await cliRun({ ...process.env, ...env }, 'stop')).code).toBe(0);
    await waitFor(async () => !(await probeSocket(socket)), 15_000, 'the gateway to stop');
  };

  /** Resolves once `client`'s calls are refused, naming its profile just_fx, gone from the config. */
  const refusedForRemovedProfile = (client: Client) =>
    waitFor(
      () =>
        client.callTool({ name: 'fx__echo', arguments: { message: 'gone' } }).then(
          () => undefined,
          (err: Error) => /no profile "just_fx"/.test(err.message) || undefined,
        ),
      20_000,
      'the refusal naming the profile',
    );
  /** Resolves once `client`'s calls are answered again, its profile back. */
  const answeredAgain = (client: Client) =>
    waitFor(
      async () =>
        textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'back' } })) === 'back' || undefined,
      20_000,
      'a call once the profile is back',
    );

  type Answer = { id: unknown; result?: { tools?: { name: string }[] }; error?: { code: number; message: string } };
  /** No gateway comes back after a crash: what the client hears then comes from the shim alone. */
  const noGateway = { SWITCHBOARD_GATEWAY_COMMAND: JSON.stringify([NODE, '-e', '']) };

  /**
   * A raw client of the shim for just_fx (`args` added), initialized in `protocolVersion` and listing
   * until fx's tools are in (each list is answered: `lists` counts them).
   */
  async function rawShimListingFx(
    args: string[] = [],
    extraEnv: Record<string, string> = {},
    protocolVersion?: string,
  ): Promise<{ client: RawStdio; lists: number }> {
    const client = rawStdio(NODE, [CLI, 'shim', '--profile', 'just_fx', ...args], {
      ...process.env,
      ...env,
      ...extraEnv,
    });
    try {
      client.send(INITIALIZE(0, protocolVersion));
      await client.response(0);
      client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      let lists = 0;
      await waitFor(
        async () => {
          const id = `list-${++lists}`;
          client.send({ jsonrpc: '2.0', id, method: 'tools/list' });
          const tools = ((await client.response(id)) as Answer).result?.tools ?? [];
          return tools.some((t) => t.name === 'fx__slow');
        },
        20_000,
        'fx listed',
      );
      return { client, lists };
    } catch (err) {
      client.close();
      throw err;
    }
  }

  it("takes a question's late answer from before a gateway restart for nothing, not for the new question", async () => {
    await runningGatewayProcess();
    const transport = new StdioClientTransport({
      command: NODE,
      args: [CLI, 'shim', '--profile', 'just_fx'],
      env: { ...process.env, ...env } as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'asking-client', version: '1' }, { capabilities: { elicitation: {} } });
    // Each question waits for the test to answer it, as a form on the user's screen does.
    const asked: { id: unknown; answer: (name: string) => void }[] = [];
    client.setRequestHandler(ElicitRequestSchema, (_req, extra) => {
      return new Promise((resolve) => {
        asked.push({
          id: extra.requestId,
          answer: (name) => resolve({ action: 'accept', content: { name, pin: '1' } }),
        });
      });
    });
    await client.connect(transport);
    try {
      const survey = () => client.callTool({ name: 'fx__survey', arguments: {} }, undefined, { timeout: 30_000 });
      await waitFor(
        async () => (await client.listTools()).tools.some((t) => t.name === 'fx__survey') || undefined,
        20_000,
        'fx listed',
      );
      const first = survey().catch((err: unknown) => err);
      await waitFor(() => asked.length === 1, 15_000, 'the first question');
      await stopGateway();
      expect(String(await first)).toMatch(/lost while this request was in flight/);
      await runningGatewayProcess(undefined, 'the gateway socket again');
      const second = survey();
      await waitFor(() => asked.length === 2, 20_000, 'the second question');
      // The user answers the form still open from before the restart: it answers nothing now.
      asked[0]!.answer('stale');
      await new Promise((r) => setTimeout(r, 300));
      asked[1]!.answer('fresh');
      expect(textOf(await second)).toBe('surveyed fresh');
    } finally {
      await client.close();
    }
  });

  it('exits at once when a 2026-07-28 client closes stdin with only its subscriptions/listen open', async () => {
    await runningGatewayProcess();
    const shim = spawn(NODE, [CLI, 'shim'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    shim.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    shim.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => shim.on('exit', resolve));
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' },
    };
    const listen = { notifications: { toolsListChanged: true }, _meta: meta };
    shim.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: listen }) + '\n');
    await waitFor(() => stdout.includes('notifications/subscriptions/acknowledged'), 15_000, 'the acknowledgement');
    const closed = Date.now();
    shim.stdin.end();
    expect(await exited).toBe(0);
    // A stream is no answer owed: nothing to wait 5 s for, nor to give up on.
    expect(Date.now() - closed).toBeLessThan(3000);
    expect(stderr).not.toMatch(/giving up/);
  });

  it('an idle client hears of a gateway started again after a stop, and of what it serves now', async () => {
    await runningGatewayProcess();
    const { client } = await shimClient('just_fx');
    let listChanged = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
    try {
      // A list answers within about a second with the servers ready by then: on a busy machine, fx may not be.
      await waitFor(
        async () => (await client.listTools()).tools.some((t) => t.name === 'fx__echo') || undefined,
        20_000,
        'fx listed',
      );
      await stopGateway();
      await writeConfig(dir.dir, { ...baseConfig, profiles: { just_fx: { servers: ['fx', 'everything'] } } });
      startGatewayProcess();
      // The client sends nothing: its shim finds the new gateway and tells it to list again.
      await waitFor(() => listChanged > 0, 20_000, 'tools/list_changed');
      // Each server is listed as it becomes ready (either may be first), and clients told each time.
      const names = await waitFor(async () => {
        const listed = (await client.listTools()).tools.map((t) => t.name);
        return listed.includes('everything__echo') && listed.includes('fx__echo') ? listed : undefined;
      }, 20_000);
      expect(names).toEqual(expect.arrayContaining(['everything__echo', 'fx__echo']));
    } finally {
      await client.close();
      await writeConfig(dir.dir, baseConfig);
    }
  });

  it('a client whose profile was gone when its gateway came back works once the profile is back', async () => {
    await runningGatewayProcess();
    const { client } = await shimClient('just_fx');
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'before' } }))).toBe('before');
      await stopGateway();
      await writeConfig(dir.dir, { ...baseConfig, profiles: {} });
      await runningGatewayProcess();
      // What to do about it, not to check that Switchboard is up to date.
      const refused = await client.callTool({ name: 'fx__echo', arguments: { message: 'gone' } }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      expect(refused).toContain(
        'Switchboard has no profile "just_fx" (its config has: default): add it to the config, or install ' +
          'this client again with one of those (switchboard install CLIENT --profile NAME, or the Clients screen).',
      );
      await writeConfig(dir.dir, baseConfig);
      await answeredAgain(client);
    } finally {
      await client.close();
      await writeConfig(dir.dir, baseConfig);
    }
  });

  it('a profile removed while its clients are connected disconnects them, and they are told why', async () => {
    await runningGatewayProcess();
    const { client } = await shimClient('just_fx');
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'before' } }))).toBe('before');
      const inFlight = client
        .callTool({ name: 'fx__slow', arguments: { steps: 100, delayMs: 100 } }, undefined, { timeout: 30_000 })
        .catch((err: unknown) => err);
      await new Promise((r) => setTimeout(r, 500));
      await writeConfig(dir.dir, { ...baseConfig, profiles: {} });
      // The call in flight hears why it ended, not that the gateway stopped or restarted.
      expect(String(await inFlight)).toMatch(/its profile "just_fx" was removed from the config while this request/);
      await refusedForRemovedProfile(client);
      await writeConfig(dir.dir, baseConfig);
      await answeredAgain(client);
    } finally {
      await client.close();
      await writeConfig(dir.dir, baseConfig);
    }
  });

  it('a client of a profile being removed is not first told to list again, into a gateway that is gone', async () => {
    await runningGatewayProcess();
    const { client } = await shimClient('just_fx');
    // As clients do: each list_changed is answered with a list.
    const listings: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      listings.push(
        await client.listTools().then(
          (r) => `listed ${r.tools.length}`,
          (err: Error) => err.message,
        ),
      );
    });
    try {
      expect(textOf(await client.callTool({ name: 'fx__echo', arguments: { message: 'before' } }))).toBe('before');
      await writeConfig(dir.dir, { ...baseConfig, profiles: {} });
      await refusedForRemovedProfile(client);
      // Told its lists changed as the profile went, such a list was cut off with the connection and
      // answered "the gateway stopped or restarted ... whether it ran is unknown". (fx's tools coming
      // in after the client connected are news, and list.)
      expect(listings.filter((l) => !l.startsWith('listed '))).toEqual([]);
    } finally {
      await client.close();
      await writeConfig(dir.dir, baseConfig);
    }
  });

  it('answers each request once when its gateway dies, refusing at once ids it could not answer for', async () => {
    const gateway = await runningGatewayProcess();
    const { client, lists } = await rawShimListingFx(['--connect-timeout', '1000'], noGateway);
    const answers = () => client.messages.filter((m) => 'result' in m || 'error' in m) as Answer[];
    const answersTo = (id: unknown) => answers().filter((m) => JSON.stringify(m.id) === JSON.stringify(id));
    const slow = (id: unknown) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'fx__slow', arguments: { steps: 100, delayMs: 100 }, _meta: { progressToken: 'p' } },
    });
    const longId = 'x'.repeat(1025);
    const invalidId = { code: -32600, message: 'Invalid request: "id" must be a string or a number' };
    const tooLong = {
      code: -32600,
      message: 'request id of 1025 characters is longer than the 1024 Switchboard accepts: use a shorter id',
    };
    try {
      client.send(slow(7));
      await waitFor(() => client.messages.some((m) => m.method === 'notifications/progress'), 15_000, 'the call');
      const before = answers().length;
      client.send(slow(7));
      client.send(slow(longId));
      client.send(slow(null));
      client.send(slow({ n: 1 }));
      // Each answered at once, as the gateway would (7 itself is still running).
      await waitFor(() => answers().length === before + 4, 5000, 'four refusals');
      expect(answersTo(7).map((m) => m.error)).toEqual([
        { code: -32600, message: 'request id 7 is already in use by a request in flight' },
      ]);
      expect(answersTo(longId).map((m) => m.error)).toEqual([tooLong]);
      expect(answersTo(null).map((m) => m.error)).toEqual([invalidId, invalidId]);

      gateway.kill('SIGKILL');
      // The first 7 is still the shim's to answer, though a second 7 was refused meanwhile.
      await waitFor(() => answersTo(7).length === 2, 10_000, 'the call in flight answered');
      expect(answersTo(7)[1]!.error?.message).toMatch(/gateway stopped or restarted\), so whether it ran is unknown/);
      client.send(slow(8));
      await waitFor(() => answersTo(8).length === 1, 10_000, 'an answer with no gateway');
      expect(answersTo(8)[0]!.error?.message).toMatch(/^Switchboard is not running/);
      // With no gateway at all, such requests get the same answers, not silence.
      client.send(slow(longId));
      client.send(slow(null));
      client.send(slow(9));
      await waitFor(() => answersTo(9).length === 1, 10_000, 'an answer with no gateway');
      await waitFor(() => answersTo(null).length === 3, 5000, 'the refusal of id null');
      expect(answersTo(longId).map((m) => m.error)).toEqual([tooLong, tooLong]);
      expect(answersTo(null).map((m) => m.error)).toEqual([invalidId, invalidId, invalidId]);
      // Exactly one answer for each request: 7 was sent twice, the rest as counted above.
      await client.end();
      expect(answers().length).toBe(lists + 1 + 2 + 2 + 3 + 1 + 1);
    } finally {
      client.close();
    }
  }, 60_000);

  it('answers each request of a 2025-03-26 batch once when its gateway dies, refusing at once ids in use', async () => {
    const gateway = await runningGatewayProcess();
    const { client, lists } = await rawShimListingFx(['--connect-timeout', '1000'], noGateway, '2025-03-26');
    // A batch's answers come in one array line; the shim's own answers, one per line.
    const answers = () =>
      client.messages.flatMap((m) => (Array.isArray(m) ? (m as Answer[]) : [m as Answer])).filter((m) => 'id' in m);
    const answersTo = (id: unknown) => answers().filter((m) => m.id === id);
    const slow = (id: unknown) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'fx__slow', arguments: { steps: 100, delayMs: 100 }, _meta: { progressToken: `p${String(id)}` } },
    });
    const echo = (id: unknown) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'fx__echo', arguments: { message: 'b' } },
    });
    const inUse = (id: number) => ({
      code: -32600,
      message: `request id ${id} is already in use by a request in flight`,
    });
    try {
      client.send(slow(7));
      await waitFor(() => client.messages.some((m) => m.method === 'notifications/progress'), 15_000, 'the call');
      // 7 is still running: its second use in a batch is refused as it is alone; the rest goes on.
      client.send([slow(7), echo(8)]);
      await waitFor(() => answersTo(8).length === 1, 15_000, 'the rest of the batch answered');
      expect(answersTo(7).map((m) => m.error)).toEqual([inUse(7)]);
      // An id used twice in one batch: the second is refused at once, the first runs.
      client.send([slow(9), slow(9)]);
      await waitFor(
        () => client.messages.some((m) => m.method === 'notifications/progress' && JSON.stringify(m).includes('"p9"')),
        15_000,
        'the call 9',
      );

      gateway.kill('SIGKILL');
      // The calls in flight are the shim's to answer still, though their ids were reused meanwhile.
      await waitFor(() => answersTo(7).length === 2 && answersTo(9).length === 2, 10_000, 'the calls in flight');
      expect(answersTo(7)[1]!.error?.message).toMatch(/gateway stopped or restarted\), so whether it ran is unknown/);
      expect(answersTo(9)[0]!.error).toEqual(inUse(9));
      expect(answersTo(9)[1]!.error?.message).toMatch(/gateway stopped or restarted\), so whether it ran is unknown/);
      // Exactly one answer for each request.
      await client.end();
      expect(answers().length).toBe(1 + lists + 2 + 1 + 2);
    } finally {
      client.close();
    }
  }, 60_000);

  it("refuses a request id of the shim's own kind, which its requests to a restarted gateway use", async () => {
    const gateway = await runningGatewayProcess();
    const { client } = await rawShimListingFx();
    const answersTo = (id: unknown) => client.messages.filter((m) => m.id === id && ('result' in m || 'error' in m));
    const call = (id: unknown, name: string, args: Record<string, unknown>) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args, _meta: { progressToken: `p-${String(id)}` } },
    });
    try {
      // A log level: the shim sets it again, with a request of its own, on a restarted gateway.
      client.send({ jsonrpc: '2.0', id: 'level', method: 'logging/setLevel', params: { level: 'info' } });
      await client.response('level');
      client.send(call(1, 'fx__slow', { steps: 100, delayMs: 100 }));
      await waitFor(() => client.messages.some((m) => m.method === 'notifications/progress'), 15_000, 'the call');
      gateway.kill('SIGKILL');
      await client.response(1, 10_000);
      // Sent while the shim starts a gateway again, it would go beside the shim's own request of that
      // id: the gateway refused it as in use, and the client got the answer to the shim's request.
      const mine = 'switchboard-shim-replay-1';
      client.send(call(mine, 'fx__echo', { message: 'mine' }));
      await waitFor(() => answersTo(mine).length > 0, 5000, 'an answer');
      const refused = {
        code: -32600,
        message:
          'request id "switchboard-shim-replay-1" starts with "switchboard-shim-", kept for the Switchboard ' +
          "shim's own requests: use another id",
      };
      expect(answersTo(mine)).toEqual([{ jsonrpc: '2.0', id: mine, error: refused }]);
      // The shim's own requests went on: the restarted gateway serves the client, as before.
      let echoes = 0;
      await waitFor(
        async () => {
          const id = `echo-${++echoes}`;
          client.send(call(id, 'fx__echo', { message: 'after' }));
          return (await client.response(id)).result !== undefined;
        },
        30_000,
        'a call after the restart',
      );
      expect(answersTo(mine).length).toBe(1);
    } finally {
      client.close();
    }
  }, 60_000);

  it('keeps number ids past 2^53 apart, and answers them itself as written when its gateway dies', async () => {
    const gateway = await runningGatewayProcess();
    const { client } = await rawShimListingFx(['--connect-timeout', '1000'], noGateway);
    // Both read as 9007199254740992 by JSON.parse: two different requests all the same.
    const ids = ['9007199254740993', '9007199254740992'];
    const slow = (id: string) =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"fx__slow",` +
      `"arguments":{"steps":100,"delayMs":100},"_meta":{"progressToken":"p${id}"}}}`;
    /** The id text and error message of each answer line, as written. */
    const answers = () =>
      client.lines.flatMap((line) => {
        const m = /^\{"jsonrpc":"2\.0","id":([^,]+),"(?:result|error)"/.exec(line);
        return m ? [{ id: m[1], message: (JSON.parse(line) as Answer).error?.message ?? '' }] : [];
      });
    const answersTo = (id: string) => answers().filter((a) => a.id === id);
    try {
      for (const id of ids) client.sendText(slow(id));
      await waitFor(
        () => ids.every((id) => client.lines.some((l) => l.includes(`"progressToken":"p${id}"`))),
        15_000,
        'both calls running',
      );
      expect(answersTo(ids[0]!)).toEqual([]);
      expect(answersTo(ids[1]!)).toEqual([]);
      // The same id again is in use, and said so with the id as written.
      client.sendText(slow(ids[0]!));
      await waitFor(() => answersTo(ids[0]!).length === 1, 5000, 'the refusal');
      expect(answersTo(ids[0]!)[0]!.message).toBe(`request id ${ids[0]} is already in use by a request in flight`);

      gateway.kill('SIGKILL');
      await waitFor(() => ids.every((id) => answersTo(id).some((a) => /restarted/.test(a.message))), 10_000, 'both');
      for (const id of ids) expect(answersTo(id).at(-1)!.message).toMatch(/gateway stopped or restarted\)/);
      // With no gateway at all: the shim's answer carries the id as written too.
      client.sendText(slow('1.50'));
      await waitFor(() => answersTo('1.50').length === 1, 10_000, 'an answer with no gateway');
      expect(answersTo('1.50')[0]!.message).toMatch(/^Switchboard is not running/);
    } finally {
      client.close();
    }
  }, 60_000);
});
