/**
 * The time limit of a keychain call counts from when it is asked for: one that waits for its turn
 * behind a call stuck on an unlock prompt nobody answers (a real gnome-keyring whose prompter never
 * answers) fails within its own limit, not after the stuck call's limit and then its own.
 */
import { describe, expect, it } from 'vitest';
import { fixtureServer, writeConfig } from '../../helpers/gateway.ts';
import { keyringMissingOutsideCi, silentPrompterMissing } from './keyring-session.ts';
import { unansweredPromptFile } from './keyring-file.ts';

const missing = keyringMissingOutsideCi() ?? silentPrompterMissing();

describe.skipIf(missing !== undefined)('a keychain call waiting behind one stuck on an unlock prompt', () => {
  const prompts = unansweredPromptFile('sb-keychain-wait-', { secrets: { 'gh-token': 'ghp_never_read_0001' } });

  it('a secret saved on the Secrets screen while a read waits on the prompt fails within its limit', async () => {
    const config = await writeConfig(prompts.dir, {
      mcpServers: { fx: fixtureServer('fx', { FIXTURE_TOKEN: '${secret:gh-token}' }) },
    });
    const gateway = prompts.patientGateway(config, 3_000, { http: false });
    // Starting reads fx's secret: the keychain opens an unlock prompt, which nobody answers.
    const starting = gateway.start();
    await prompts.promptOpened();
    const asked = Date.now();
    const saved = await gateway.setSecret('other-token', 'ghp_typed_0003').then(
      () => 'stored',
      (err: Error) => err.message,
    );
    // Not the read's 3 s and then 3 s of its own: its wait for its turn is part of its limit.
    expect(Date.now() - asked).toBeLessThan(4_500);
    expect(saved).toMatch(
      new RegExp(
        '^the OS keychain is not available \\(storing "other-token": no answer within 3 s: it waited \\d(\\.\\d)? s ' +
          'for an earlier keychain call, and was not made\\)\\. An unlock prompt may be waiting for your answer',
      ),
    );
    await starting;
  }, 40_000);
});
