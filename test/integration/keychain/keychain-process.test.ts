/**
 * The keychain's own process (keychain-process.ts), with stand-in workers speaking its protocol: one
 * that answers, one stuck in every call (as on an unlock prompt nobody answers), one that dies. The
 * real worker on a real keyring is exercised by the other tests of this folder.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeychainProcess } from '../../../main/engine/secrets/keychain-process.ts';
import { createKeychainSecretStore } from '../../../main/engine/secrets/keychain-store.ts';
import { NODE, ROOT, waitFor } from '../../helpers/gateway.ts';
import { isAlive } from '../../helpers/processes.ts';

const fixture = (name: string) => path.join(ROOT, 'test/fixtures/keychain', name);
const ANSWERS = fixture('answers.mjs');
const NEVER_ANSWERS = fixture('never-answers.mjs');

/** `caller.ts WORKER MODE` run to its end: what it printed, the worker's pid, and how long it took. */
async function runCaller(worker: string, mode: 'answer' | 'exit') {
  const started = Date.now();
  const child = spawn(NODE, [fixture('caller.ts'), worker, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, ms: Date.now() - started, workerPid: Number(/pid (\d+)/.exec(stdout)?.[1]) };
}

describe('the keychain process', () => {
  it('answers calls, and never holds up the end of the process that uses it', async () => {
    const run = await runCaller(ANSWERS, 'answer');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('answer get:account\n');
    // Ended with the answer, not after the worker's 10 s idle time.
    expect(run.ms).toBeLessThan(8_000);
    await waitFor(() => !isAlive(run.workerPid), 5_000, 'the worker to end with its caller');
  });

  it('is ended when the process using it exits while a call waits', async () => {
    const run = await runCaller(NEVER_ANSWERS, 'exit');
    expect(run.code).toBe(0);
    expect(run.workerPid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(run.workerPid), 5_000, 'the stuck worker to be ended');
  });

  it('ends the process a given-up call waits in, and the next call starts another', async () => {
    const keychain = new KeychainProcess(NEVER_ANSWERS);
    const giveUp = new AbortController();
    const call = keychain.get('service', 'account', giveUp.signal);
    const first = keychain.pid;
    giveUp.abort();
    await expect(call).rejects.toThrow('the keychain process was ended: the call was given up');
    await waitFor(() => !isAlive(first!), 5_000, 'the worker to be ended');

    const again = new AbortController();
    const next = keychain.get('service', 'account', again.signal);
    expect(keychain.pid).not.toBe(first);
    expect(isAlive(keychain.pid!)).toBe(true);
    again.abort();
    await expect(next).rejects.toThrow('given up');
  });

  it("ends nothing when a call's signal aborts after its answer; makes no call whose signal has aborted", async () => {
    const keychain = new KeychainProcess(ANSWERS);
    const signal = new AbortController();
    for (let k = 0; k < 20; k++) expect(await keychain.get('service', `n${k}`, signal.signal)).toBe(`get:n${k}`);
    const pid = keychain.pid;
    // Another call now in flight: the first calls' signal aborting leaves it and its process alone.
    const slow = keychain.get('service', 'slow');
    signal.abort();
    expect(await slow).toBe('get:slow');
    expect(keychain.pid).toBe(pid);
    await expect(keychain.get('service', 'late', signal.signal)).rejects.toThrow(
      'the keychain call was given up before it was made',
    );
    expect(keychain.pid).toBe(pid);
  });

  it('fails a call whose process ends before answering, saying how and what it wrote', async () => {
    const keychain = new KeychainProcess(fixture('dies.mjs'));
    await expect(keychain.get('service', 'account')).rejects.toThrow(
      'the keychain process ended (exit code 3) before answering: keychain library could not load: ' +
        'libsecret-1.so.0: cannot open shared object file',
    );
    // The next call starts another, which says the same.
    await expect(keychain.accounts('service')).rejects.toThrow('exit code 3');
  });

  it('fails a call it could not be sent, saying how the process ended rather than how the sending failed', async () => {
    const keychain = new KeychainProcess(fixture('closes-channel.mjs'));
    const first = keychain.get('service', 'first');
    await new Promise((resolve) => setTimeout(resolve, 250));
    // Its channel is closed now: this call cannot reach it.
    const second = keychain.get('service', 'second');
    const ended = 'the keychain process ended (exit code 5) before answering: keychain library crashed';
    await expect(second).rejects.toThrow(ended);
    await expect(first).rejects.toThrow(ended);
  });

  it('says which file is missing when the process cannot start, and to restart or reinstall', async () => {
    const missing = fixture('missing.mjs');
    const store = createKeychainSecretStore({ installId: 'test0001', backend: new KeychainProcess(missing) });
    expect(await store.list().catch((err: Error) => err.message)).toBe(
      'the OS keychain is not available (listing secrets: the keychain process ended (exit code 1) before ' +
        `answering: Error: Cannot find module '${missing}'). A file Switchboard needs is missing or cannot ` +
        'run: if Switchboard (or its Node.js) was updated while it ran, restart it; otherwise reinstall ' +
        'Switchboard. Switchboard does not store secrets in plain files.',
    );
  });

  it('fails a call answered with something that is not an answer, and ends that process', async () => {
    const keychain = new KeychainProcess(fixture('misreplies.mjs'));
    for (const [account, why] of [
      ['null', 'it sent null, which is not an answer to a call'],
      ['text', 'it sent a string, which is not an answer to a call'],
      ['no-id', 'it sent an object with ok, value, which is not an answer to a call'],
      ['number', 'it answered a call to get with a number'],
    ] as const) {
      const call = keychain.get('service', account);
      const pid = keychain.pid;
      // What it sent is not quoted: it could be a secret.
      expect(await call.catch((err: Error) => err.message)).toBe(`the keychain process was ended: ${why}`);
      await waitFor(() => !isAlive(pid!), 5_000, 'the process to be ended');
    }
  });

  it("runs as the app's own program in Electron, not as its Helper app (which the keychain tells apart)", async () => {
    const run = spawn(NODE, [fixture('electron-main.ts'), fixture('helper-app.sh'), ANSWERS], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    run.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    expect(await new Promise((resolve) => run.on('close', resolve))).toBe(0);
    expect(stdout).toBe('get:account\n');
  });

  it('goes once unused for its idle time', async () => {
    const keychain = new KeychainProcess(ANSWERS, 300);
    expect(await keychain.set('service', 'account', 'value')).toBeUndefined();
    expect(await keychain.delete('service', 'account')).toBe(true);
    const pid = keychain.pid;
    await waitFor(() => !isAlive(pid!), 5_000, 'the idle worker to go');
    expect(await keychain.get('service', 'account')).toBe('get:account');
    expect(keychain.pid).not.toBe(pid);
  });

  it('starts another for a call that comes while the idle one is closing', async () => {
    const keychain = new KeychainProcess(fixture('slow-to-go.mjs'), 100);
    expect(await keychain.get('service', 'first')).toBe('get:first');
    const closing = keychain.pid;
    // Closed after 100 ms unused, it takes 500 ms to end.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(isAlive(closing!)).toBe(true);
    expect(await keychain.get('service', 'second')).toBe('get:second');
    expect(keychain.pid).not.toBe(closing);
  });
});
