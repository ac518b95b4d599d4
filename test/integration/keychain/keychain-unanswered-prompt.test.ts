/**
 * A keychain that does not answer: the keyring is locked and its unlock prompt is left open, as a
 * dialog nobody answers on a desktop (a real gnome-keyring whose prompter never answers). The
 * gateway's stop does not wait for a read; the store makes one call at a time and gives a call up
 * after its time limit, ending the keychain process that waits on it, so no process is held by it.
 *
 * The keyring stays locked throughout: each test closes the prompt it opened, so the calls waiting
 * on it return and the next test's calls open a prompt of their own.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createKeychainSecretStore } from '../../../main/engine/index.ts';
import { CLI, fixtureServer, NODE, waitFor, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, silentPrompterMissing } from './keyring-session.ts';
import { unansweredPromptFile } from './keyring-file.ts';

const missing = keyringMissingOutsideCi() ?? silentPrompterMissing();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What `promise` came to within `ms`: its value, its error's message, or that it is still waiting. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | string> {
  const waited = sleep(ms).then(() => `still waiting after ${ms} ms`);
  return Promise.race([promise.catch((err: Error) => err.message), waited]);
}

/** `switchboard ARGS` started: what it wrote so far, and its exit. */
function startCli(args: string[], env: Record<string, string>, input = '') {
  const child = spawn(NODE, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  const run = { stdout: '', stderr: '', code: undefined as number | null | undefined };
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((run.code = code))));
  return { child, run, exited };
}

/** The keychain processes (keychain-worker) running on the session bus `address`. */
async function keychainProcessesOn(address: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const read = (file: string) => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
    const [cmdline, environ] = await Promise.all([read('cmdline'), read('environ')]);
    if (cmdline.includes('keychain-worker') && environ.split('\0').includes(`DBUS_SESSION_BUS_ADDRESS=${address}`))
      found.push(Number(pid));
  }
  return found;
}

describe.skipIf(missing !== undefined)('a keychain whose unlock prompt nobody answers', () => {
  const prompts = unansweredPromptFile('sb-keychain-prompt-', { secrets: { 'gh-token': 'ghp_never_read_0001' } });
  /** A gateway whose keychain calls may take longer than the test: its stop must not wait for them. */
  const patientGateway = (configPath: string) => prompts.patientGateway(configPath, 120_000);

  it('stops at once while starting waits for the keychain, and leaves nothing open or running', async () => {
    const config = await writeConfig(prompts.dir, {
      mcpServers: { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }) },
    });
    const gateway = patientGateway(config);
    const starting = gateway.start();
    await prompts.promptOpened();

    expect(
      await within(
        10_000,
        gateway.stop().then(() => 'stopped'),
      ),
    ).toBe('stopped');
    await starting;
    // The listener opened while the secret was read (servers needing none are served meanwhile): closed now.
    const url = gateway.httpUrl()!;
    expect(
      await fetch(url, { method: 'POST' }).then(
        () => 'answered',
        () => 'refused',
      ),
    ).toBe('refused');
    expect(gateway.servers().map((s) => s.state)).not.toContain('ready');
  }, 40_000);

  it('stops at once while a reload waits for the keychain, and starts nothing after', async () => {
    const config = await writeConfig(prompts.dir, { mcpServers: { fx: fixtureServer('fx') } });
    const gateway = patientGateway(config);
    await gateway.start();
    await waitFor(() => gateway.servers()[0]?.state === 'ready', 15_000, 'fx to start');
    // It now takes a secret: the reload reads it, and the keychain asks to be unlocked.
    await writeConfig(prompts.dir, {
      mcpServers: { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }) },
    });
    const reload = gateway.reload();
    await prompts.promptOpened();

    expect(
      await within(
        10_000,
        gateway.stop().then(() => 'stopped'),
      ),
    ).toBe('stopped');
    await reload;
    expect(gateway.servers().map((s) => s.state)).not.toContain('ready');
  }, 40_000);

  it('gives a call up after its time limit, ending the process it waits in, and makes none queued behind', async () => {
    const store = createKeychainSecretStore({ stateDir: prompts.stateDir, callTimeoutMs: 1_500 });
    // Eight reads at once: one at a time goes to the keychain; the first is given up, and the rest,
    // having waited most of their time behind it, are not made.
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => store.get('gh-token').catch((err: Error) => err.message)),
    );
    expect(answers[0]).toMatch(/^the OS keychain is not available \(reading "gh-token": no answer within 1\.5 s\)\. /);
    expect(answers[0]).toContain('An unlock prompt may be waiting for your answer in your desktop session');
    const notMade =
      /^the OS keychain is not available \(reading "gh-token": no answer within 1\.5 s: it waited [\d.]+ s /;
    for (const answer of answers.slice(1)) {
      expect(answer).toMatch(notMade);
      expect(answer).toContain('for an earlier keychain call, and was not made)');
    }
    // The keychain process the given-up call waited in is ended, prompt or not.
    await waitFor(async () => (await keychainProcessesOn(prompts.keyring.address)).length === 0, 5_000, 'it to end');

    // The next read goes to the keychain again (a process of its own), and waits on the prompt again.
    expect(await store.get('gh-token').catch((err: Error) => err.message)).toMatch(/no answer within 1\.5 s\)/);
    await waitFor(async () => (await keychainProcessesOn(prompts.keyring.address)).length === 0, 5_000, 'it to end');
  }, 40_000);

  it('switchboard secrets rm fails after 30 s naming the prompt, and ends then', async () => {
    const env = {
      HOME: prompts.dir,
      XDG_RUNTIME_DIR: prompts.dir,
      SWITCHBOARD_STATE_DIR: prompts.stateDir,
      ...prompts.keyring.env,
    };
    // It reads the secret first: the keychain opens an unlock prompt nobody answers.
    const started = Date.now();
    const { run, exited } = startCli(['secrets', 'rm', 'gh-token'], env);
    // It ends as soon as the call is given up: the prompt holds no process of it.
    expect(await exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'switchboard: the OS keychain is not available (reading "gh-token": no answer within 30 s). An unlock prompt ' +
        'may be waiting for your answer in your desktop session: answer it, then try again. Without one the Secret ' +
        'Service is stuck: restart gnome-keyring, KWallet or KeePassXC. Switchboard does not store secrets in plain ' +
        `files.\n`,
    );
    expect(await keychainProcessesOn(prompts.keyring.address)).toEqual([]);
    // Listing needs no unlock: the keyring says at once that it is locked.
    const ls = startCli(['secrets', 'ls'], env);
    expect(await ls.exited).toBe(1);
    expect(ls.run.stderr).toMatch(/^switchboard: the OS keychain is not available \(listing secrets: .*locked/);
  }, 60_000);
});
