/**
 * The OS keychain's calls, one at a time and each with a time limit.
 *
 * A keychain call can wait for a long time, or for good: on a locked keyring it shows an unlock
 * prompt and waits for the answer (a dialog nobody answers, a Secret Service restarted while its
 * prompt was open). Each waiting call holds one of the four threads of libuv's pool, which file
 * access and DNS lookups share, and the call cannot be cancelled. So calls wait for their turn here,
 * not in that pool; a call past its time limit is given up (it keeps its thread until it returns,
 * and its answer is then dropped) and the next one goes; and while MAX_GIVEN_UP calls have not
 * returned, no new one starts: each fails at once, saying so. The time limit counts from when the
 * call is asked for, its wait for its turn included: no caller waits longer, however many are in
 * line; a call whose turn comes after half of it is not made. One call at a time also means one
 * unlock prompt at a time.
 */

/** Calls given up that may still hold a thread of the pool: two of its four. */
export const MAX_GIVEN_UP = 2;

/** Why a keychain call failed without an answer from the keychain. */
export class KeychainNoAnswer extends Error {}

export class KeychainGate {
  private queue: Promise<unknown> = Promise.resolve();
  /** When each call given up and not yet returned was started. */
  private readonly givenUp = new Map<symbol, number>();
  /** Calls made that have not returned, given up or not. */
  private made = 0;

  /**
   * Calls made that have not returned. Each holds a thread of the pool, and Node's exit waits for
   * that thread: the process ends only once they return (an unlock prompt answered or cancelled).
   */
  get unreturned(): number {
    return this.made;
  }

  /**
   * `call` in its turn; it fails with KeychainNoAnswer when it has not answered `timeoutMs` after
   * this, the wait for its turn included.
   */
  run<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
    const asked = Date.now();
    const turn = this.queue.then(() => {
      const waited = Date.now() - asked;
      // Most of its time went by behind a call that did not answer (a prompt?): not made, as a call
      // made now would hardly have time to answer, and would hold a thread as long as that one.
      if (waited > timeoutMs / 2)
        return Promise.reject(
          new KeychainNoAnswer(
            `no answer within ${formatSeconds(timeoutMs)}: it waited ${formatSeconds(waited)} for an earlier ` +
              'keychain call, and was not made',
          ),
        );
      const left = timeoutMs - waited;
      return this.attempt(call, left, timeoutMs);
    });
    // The caller has the error; the next call only waits for this one's end.
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** `call` now, given up after `leftMs` (what is left of its `timeoutMs`). */
  private attempt<T>(call: () => Promise<T>, leftMs: number, timeoutMs: number): Promise<T> {
    if (this.givenUp.size >= MAX_GIVEN_UP) {
      const oldest = Math.round((Date.now() - Math.min(...this.givenUp.values())) / 1000);
      return Promise.reject(
        new KeychainNoAnswer(
          `no answer to ${this.givenUp.size} earlier keychain calls, the oldest made ${oldest} s ago; ` +
            'no new call is made until one of them returns',
        ),
      );
    }
    const started = Date.now();
    const id = Symbol('keychain call');
    const answer = call();
    this.made++;
    const returned = () => void this.made--;
    answer.then(returned, returned);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.givenUp.set(id, started);
        const returned = () => this.givenUp.delete(id);
        answer.then(returned, returned);
        reject(new KeychainNoAnswer(`no answer within ${formatSeconds(timeoutMs)}`));
      }, leftMs);
      answer.then(
        (value) => (clearTimeout(timer), resolve(value)),
        (err: unknown) => (clearTimeout(timer), reject(err)),
      );
    });
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
