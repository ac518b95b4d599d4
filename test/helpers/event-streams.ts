/** Holds every event stream a gateway's control API allows, as other tabs or followers would. */
export interface HeldStreams {
  /** How many are held. */
  readonly count: number;
  /** Closes one, so the next reader gets its place. */
  releaseOne(): void;
  releaseAll(): void;
}

/**
 * Opens `/api/events` streams until the gateway answers 503. Each response is kept referenced: fetch
 * cancels the body of a response that was garbage collected, which would close its stream and free a
 * place without a word (it did, in a busy CI run).
 */
export async function holdEveryEventStream(eventsUrl: string, token: string): Promise<HeldStreams> {
  const held: { reader: AbortController; res: Response }[] = [];
  for (;;) {
    const reader = new AbortController();
    const res = await fetch(eventsUrl, { headers: { authorization: `Bearer ${token}` }, signal: reader.signal });
    if (res.status === 503) {
      await res.body?.cancel();
      break;
    }
    if (res.status !== 200) throw new Error(`${eventsUrl} answered ${res.status}: ${await res.text()}`);
    held.push({ reader, res });
  }
  return {
    get count() {
      return held.length;
    },
    releaseOne: () => held.pop()?.reader.abort(),
    releaseAll: () => {
      for (const { reader } of held.splice(0)) reader.abort();
    },
  };
}
