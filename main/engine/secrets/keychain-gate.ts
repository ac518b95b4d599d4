/**
 * The OS keychain's calls, one at a time and each with a time limit.
 *
 * A keychain call can wait for a long time, or for good: on a locked keyring it shows an unlock
 * prompt and waits for the answer (a dialog nobody answers, a Secret Service restarted while its
 * prompt was open). So calls wait for their turn here, and a call past its time limit is given up:
 * its signal aborts (the keychain process then ends it, keychain-process.ts) and the next one goes.
 * The time limit counts from when the call is asked for, its wait for its turn included: no caller
 * waits longer, however many are in line; a call whose turn comes after half of it is not made.
 * One call at a time also means one unlock prompt at a time.
 */

/** Why a keychain call failed without an answer from the keychain. */
export class KeychainNoAnswer extends Error {}

export class KeychainGate {
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * `call` in its turn; it fails with KeychainNoAnswer when it has not answered `timeoutMs` after
   * `asked` (when it was asked for: its wait for its turn counts, also behind a call whose limit is
   * longer), and its signal aborts then.
   */
  run<T>(call: (signal: AbortSignal) => Promise<T>, timeoutMs: number, asked = Date.now()): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let inLine = true;
      const notMade = () =>
        new KeychainNoAnswer(
          `no answer within ${formatSeconds(timeoutMs)}: it waited ${formatSeconds(Date.now() - asked)} for an ` +
            'earlier keychain call, and was not made',
        );
      const limit = setTimeout(
        () => {
          inLine = false;
          reject(notMade());
        },
        Math.max(0, asked + timeoutMs - Date.now()),
      );
      const turn = this.queue.then(() => {
        clearTimeout(limit);
        if (!inLine) return undefined; // its time ran out in line: its turn passes at once
        inLine = false;
        const waited = Date.now() - asked;
        // Most of its time went by behind a call that did not answer (a prompt?): not made, as a call
        // made now would hardly have time to answer.
        if (waited > timeoutMs / 2) return reject(notMade());
        return attempt(call, timeoutMs - waited, timeoutMs).then(resolve, reject);
      });
      // The next call only waits for this one's end.
      this.queue = turn.then(
        () => undefined,
        () => undefined,
      );
    });
  }
}

/** `call` now, given up after `leftMs` (what is left of its `timeoutMs`). */
function attempt<T>(call: (signal: AbortSignal) => Promise<T>, leftMs: number, timeoutMs: number): Promise<T> {
  const giveUp = new AbortController();
  const answer = call(giveUp.signal);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new KeychainNoAnswer(`no answer within ${formatSeconds(timeoutMs)}`));
      giveUp.abort();
    }, leftMs);
    answer.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
