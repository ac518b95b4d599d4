/**
 * The secret store port. Config files hold only `${secret:NAME}` references; the values live
 * behind this interface (the OS keychain on desktops, memory in tests and headless runs).
 */
import { MAX_SECRET_VALUE_LENGTH } from '../../../preload/contract/index.ts';
import { GatewayError } from '../protocol/errors.ts';

export interface SecretStore {
  /** Undefined when no secret has that name. */
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  /** True when something was deleted. */
  delete(name: string): Promise<boolean>;
  /** Names only, sorted; values never leave the store in bulk. */
  list(): Promise<string[]>;
  /** What backs the store ('keychain', 'memory', ...), for messages like "not in the keychain". */
  readonly kind: string;
}

/**
 * Secret names are kept to a portable alphabet: they appear inside `${secret:NAME}`, on the
 * command line (`switchboard secrets set NAME`) and as keychain account names.
 */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isValidSecretName(name: string): boolean {
  return SECRET_NAME_PATTERN.test(name);
}

/** Throws invalid_request for a name the stores and references cannot represent. */
export function assertSecretName(name: string): void {
  if (!isValidSecretName(name)) {
    throw new GatewayError(
      'invalid_request',
      `invalid secret name ${JSON.stringify(name)}: use letters, digits, "_", "." and "-" (starting with a ` +
        `letter or digit, at most 128 characters)`,
    );
  }
}

/**
 * Why a value cannot be a secret, or undefined when it can; never quotes the value. A NUL cannot go
 * into an environment variable or a header: Node refused the server's start with the whole value in
 * its message.
 */
export function secretValueProblem(value: string): string | undefined {
  if (value === '') return 'the value is empty';
  // A paste that caught only the space around a token: no credential is spaces alone.
  if (value.trim() === '') return 'the value is only spaces (nothing of a token was pasted?)';
  if (value.length > MAX_SECRET_VALUE_LENGTH)
    return `the value is ${value.length} characters long, more than a secret may be (${MAX_SECRET_VALUE_LENGTH})`;
  if (value.includes('\u0000'))
    return (
      'the value has a NUL character, which no environment variable or header can carry (binary data? ' +
      'store its base64 instead)'
    );
  return undefined;
}

/** "the keychain" / "the memory secret store": where a message says a secret was looked for. */
export function describeSecretStore(store: Pick<SecretStore, 'kind'>): string {
  return store.kind === 'keychain' ? 'the keychain' : `the ${store.kind} secret store`;
}

/**
 * `store` with its reads given up once `signal` aborts (each then fails with `why`): a read waiting
 * on an unlock prompt nobody answers must not hold up the gateway's stop.
 */
export function readsUntil(store: SecretStore, signal: AbortSignal, why: string): SecretStore {
  const givenUp = () => new GatewayError('secret_store_unavailable', why);
  return {
    kind: store.kind,
    set: (name, value) => store.set(name, value),
    delete: (name) => store.delete(name),
    list: () => store.list(),
    get: (name) =>
      new Promise<string | undefined>((resolve, reject) => {
        if (signal.aborted) return reject(givenUp());
        const onAbort = () => reject(givenUp());
        signal.addEventListener('abort', onAbort, { once: true });
        store
          .get(name)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      }),
  };
}
