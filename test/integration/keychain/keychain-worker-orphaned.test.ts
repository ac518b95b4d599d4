/**
 * The keychain process outlives no process using it, even one killed outright (SIGKILL, a crash:
 * no 'exit' handler runs): a call in it waiting on an unlock prompt nobody answers (a real
 * gnome-keyring whose prompter never answers) must not keep it, and the keyring, busy for good.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYCHAIN_WORKER, KeychainProcess } from '../../../main/engine/secrets/keychain-process.ts';
import { NODE, ROOT, waitFor } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, silentPrompterMissing } from './keyring-session.ts';
import { unansweredPromptFile } from './keyring-file.ts';
import { isAlive } from '../../helpers/processes.ts';

const missing = keyringMissingOutsideCi() ?? silentPrompterMissing();

describe.skipIf(missing !== undefined)('a keychain process whose user is killed', () => {
  const prompts = unansweredPromptFile('sb-keychain-orphan-', {
    // caller.ts reads `account` of `service`: an item there makes the locked keyring ask to be unlocked.
    beforeLock: () => new KeychainProcess().set('service', 'account', 'value'),
  });

  it('ends while its call waits on an unlock prompt', async () => {
    const caller = spawn(NODE, [path.join(ROOT, 'test/fixtures/keychain/caller.ts'), KEYCHAIN_WORKER, 'answer'], {
      env: { ...process.env, ...prompts.keyring.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    caller.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await prompts.promptOpened();
    const worker = Number(/pid (\d+)/.exec(stdout)?.[1]);
    expect(isAlive(worker)).toBe(true);

    caller.kill('SIGKILL');
    await waitFor(() => !isAlive(worker), 5_000, 'the keychain process to end with its user');
    expect(stdout).not.toContain('answer');
  }, 40_000);
});
