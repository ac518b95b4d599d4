/**
 * The SecretStore on the OS keychain (macOS Keychain, Windows Credential Manager, the Secret
 * Service — gnome-keyring, KWallet, KeePassXC — on Linux) through @napi-rs/keyring: prebuilt
 * native binaries, maintained (keytar is archived and needs node-gyp builds), called in a process
 * of its own (keychain-process.ts).
 *
 * Names are namespaced per install: service `switchboard:<install id>`, account = secret name.
 * The install id is a random id kept in `<state dir>/install-id`. On Linux the Secret Service is
 * required: the library would otherwise fall back to the kernel keyring, which forgets
 * everything at reboot. When no keychain can be reached the store throws
 * 'secret_store_unavailable' saying why and how to fix it; it never falls back to a file.
 *
 * Windows Credential Manager keeps at most 2560 bytes per entry, and the library stores text
 * there as UTF-16: about 1280 characters, less than an OAuth login's record or a PEM key. There a
 * longer value is kept in parts (see parts.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../protocol/errors.ts';
import { stateDir as defaultStateDir } from '../state-paths.ts';
import { assertSecretName, isValidSecretName, type SecretStore } from './store.ts';
import { joinParts, layoutOf, partAccount, splitParts, type Layout } from './parts.ts';
import { KeychainGate } from './keychain-gate.ts';
import { KeychainProcess } from './keychain-process.ts';

/**
 * The few keyring calls the store needs; the default is @napi-rs/keyring in a process of its own
 * (keychain-process.ts), tests may pass another. `signal` aborts when a call is given up.
 */
export interface KeyringBackend {
  get(service: string, account: string, signal?: AbortSignal): Promise<string | null>;
  set(service: string, account: string, value: string, signal?: AbortSignal): Promise<void>;
  delete(service: string, account: string, signal?: AbortSignal): Promise<boolean>;
  /** Accounts stored under `service`. */
  accounts(service: string, signal?: AbortSignal): Promise<string[]>;
}

export interface KeychainStoreOptions {
  /** Default: read from (or created in) `<stateDir>/install-id`. */
  installId?: string;
  /** Default: the engine's state dir (SWITCHBOARD_STATE_DIR overrides). */
  stateDir?: string;
  backend?: KeyringBackend;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /**
   * A keychain service of its own beside the user's secrets (`switchboard-<namespace>:<install id>`):
   * "oauth" keeps login tokens out of the secrets list, where a user could mistake or delete them.
   */
  namespace?: 'oauth';
  /**
   * The longest text one keychain entry takes; a longer value is kept in parts. Default: 1200 on
   * Windows (2560 bytes as UTF-16, with room for the parts header), no limit elsewhere.
   */
  maxEntryLength?: number;
  /**
   * How long one keychain call may take before it is given up (keychain-gate.ts). Default:
   * KEYCHAIN_CALL_TIMEOUT_MS.
   */
  callTimeoutMs?: number;
}

/**
 * Long enough to type a password into an unlock prompt; a prompt still open then stays open, and
 * the unlock it brings is seen by the next try.
 */
export const KEYCHAIN_CALL_TIMEOUT_MS = 30_000;

/** What fits one Windows Credential Manager entry, as UTF-16 (CRED_MAX_CREDENTIAL_BLOB_SIZE 2560 bytes). */
export const WINDOWS_MAX_ENTRY_LENGTH = 1200;

export const KEYCHAIN_SERVICE_PREFIX = 'switchboard';

/** Every store in the process shares one keychain process, and its calls take turns. */
let nativeKeychain: { backend: KeychainProcess; gate: KeychainGate } | undefined;
const backendGates = new WeakMap<KeyringBackend, KeychainGate>();

function gateFor(backend: KeyringBackend): KeychainGate {
  let gate = backendGates.get(backend);
  if (!gate) backendGates.set(backend, (gate = new KeychainGate()));
  return gate;
}

/**
 * `backend` for one read or write of the store: each call made in the gate's turn within
 * `timeoutMs`, the first counted from `asked` (when the store was asked: its wait behind another
 * read or write of the name counts), each later one from the end of the one before.
 */
function gated(backend: KeyringBackend, gate: KeychainGate, timeoutMs: number, asked: number): KeyringBackend {
  let since = asked;
  const made = <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> =>
    gate.run(call, timeoutMs, since).finally(() => (since = Date.now()));
  return {
    get: (service, account) => made((signal) => backend.get(service, account, signal)),
    set: (service, account, value) => made((signal) => backend.set(service, account, value, signal)),
    delete: (service, account) => made((signal) => backend.delete(service, account, signal)),
    accounts: (service) => made((signal) => backend.accounts(service, signal)),
  };
}

/** The install id: created once, random, in `<stateDir>/install-id` (mode 0600). */
export async function installId(stateDir: string): Promise<string> {
  const file = path.join(stateDir, 'install-id');
  const read = async () => (await readFile(file, 'utf8')).trim();
  try {
    const id = await read();
    if (/^[a-z0-9]{8,64}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const id = randomBytes(8).toString('hex');
  try {
    await writeFile(file, `${id}\n`, { mode: 0o600, flag: 'wx' });
    return id;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw err;
  }
}

/**
 * A keyring of its own for a session without a desktop (a server, SSH): its password typed at a
 * prompt, never in the command (where shell history and the process list keep it).
 */
export const HEADLESS_KEYRING_COMMAND =
  'dbus-run-session -- bash -c \'IFS= read -rsp "Keyring password: " PW && echo && printf %s "$PW" | ' +
  "gnome-keyring-daemon --unlock --components=secrets >/dev/null && unset PW && exec switchboard serve'";

/** A sentence on how to make the keychain reachable, for the platform and the failure seen. */
export function keychainHint(reason: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  // Given up by keychain-gate.ts: most often an unlock prompt waiting for its answer.
  if (reason.startsWith('no answer')) {
    if (platform === 'darwin') return 'A keychain dialog may be waiting for your password: answer it, then try again.';
    if (platform === 'win32') return 'Windows Credential Manager may be waiting for you: answer it, then try again.';
    return (
      'An unlock prompt may be waiting for your answer in your desktop session: answer it, then try again. ' +
      'Without one the Secret Service is stuck: restart gnome-keyring, KWallet or KeePassXC.'
    );
  }
  // The keychain process could not start, or not load the keychain library: no keychain is at fault.
  // It starts anew after 10 s unused, so files replaced or removed by an update since start show here.
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND|^the keychain process could not run/.test(reason))
    return (
      'A file Switchboard needs is missing or cannot run: if Switchboard (or its Node.js) was updated ' +
      'while it ran, restart it; otherwise reinstall Switchboard.'
    );
  if (platform === 'darwin') {
    return /interaction|locked|-25308/i.test(reason)
      ? 'The login keychain is locked or cannot ask for your password here (for example over SSH): unlock it ' +
          'with `security unlock-keychain`, or run Switchboard in your desktop session.'
      : 'Open Keychain Access and check that your login keychain is available.';
  }
  if (platform === 'win32')
    return (
      'Windows Credential Manager could not be used; run ' +
      'Switchboard as the logged-in user (not a service account).'
    );
  if (
    !env.DBUS_SESSION_BUS_ADDRESS ||
    /autolaunch|DBUS_SESSION_BUS_ADDRESS|No such file|connection refused/i.test(reason)
  ) {
    return (
      'There is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set or not reachable), so no ' +
      'Secret Service. Run Switchboard inside your desktop session; on a machine without one (a server, ' +
      `SSH), start a session with a keyring of its own, typing the keyring's password at the prompt: ` +
      `${HEADLESS_KEYRING_COMMAND}.`
    );
  }
  // No answer within D-Bus's wait (the message also says a policy may have "blocked" the reply, which
  // is not a locked keyring): a Secret Service still starting, or stuck.
  if (/did not receive a reply|timed? ?out/i.test(reason)) {
    return (
      'The Secret Service did not answer in time: it may still be starting (try again in a moment), or be ' +
      'stuck (restart gnome-keyring, KWallet or KeePassXC).'
    );
  }
  if (/dismissed|islocked|\blocked\b|prompt/i.test(reason)) {
    // `gnome-keyring-daemon --unlock` does not unlock a running daemon: it starts a second one.
    return (
      'The keyring is locked, and nothing in this session can ask for its password: unlock it in your ' +
      'desktop session (logging in does; or unlock the Login keyring in Passwords and Keys, or KWallet), ' +
      'then try again.'
    );
  }
  if (/ServiceUnknown|org\.freedesktop\.secrets|not provided|no such name/i.test(reason)) {
    return (
      'No Secret Service is running on the session bus: install and start gnome-keyring (or KWallet or ' +
      'KeePassXC with its Secret Service integration).'
    );
  }
  return 'Check that a Secret Service (gnome-keyring, KWallet, KeePassXC) is running and unlocked in this session.';
}

export function createKeychainSecretStore(options: KeychainStoreOptions = {}): SecretStore {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const maxEntryLength = options.maxEntryLength ?? (platform === 'win32' ? WINDOWS_MAX_ENTRY_LENGTH : undefined);
  /** How the value under `name` is laid out now: one entry, without asking, where values are never split. */
  const layoutNow = async (b: KeyringBackend, service: string, name: string): Promise<Layout> =>
    maxEntryLength === undefined ? { count: 1 } : layoutOf((await b.get(service, name)) ?? '');
  const remedy = options.namespace === 'oauth' ? 'log in to that server again' : 'set it again';
  // One read or write of a name at a time in this process, so parts of two writes never meet.
  const turns = new Map<string, Promise<unknown>>();
  const inTurn = <T>(service: string, name: string, op: () => Promise<T>): Promise<T> => {
    const key = `${service}\u0000${name}`;
    const turn = (turns.get(key) ?? Promise.resolve()).then(op, op);
    const settled = turn.then(
      () => undefined,
      () => undefined,
    );
    turns.set(key, settled);
    void settled.then(() => turns.get(key) === settled && turns.delete(key));
    return turn;
  };
  const timeoutMs = options.callTimeoutMs ?? KEYCHAIN_CALL_TIMEOUT_MS;
  let setup: Promise<{ backend: KeyringBackend; gate: KeychainGate; service: string }> | undefined;

  const unavailable = (action: string, err: unknown): GatewayError => {
    const reason = err instanceof Error ? err.message : String(err);
    return new GatewayError(
      'secret_store_unavailable',
      `the OS keychain is not available (${action}: ${reason}). ${keychainHint(reason, platform, env)} ` +
        `Switchboard does not store secrets in plain files.`,
      { cause: err },
    );
  };

  const ready = () => {
    setup ??= (async () => {
      const id = options.installId ?? (await installId(options.stateDir ?? defaultStateDir(env, platform)));
      const { backend, gate } = options.backend
        ? { backend: options.backend, gate: gateFor(options.backend) }
        : (nativeKeychain ??= { backend: new KeychainProcess(), gate: new KeychainGate() });
      const prefix = options.namespace ? `${KEYCHAIN_SERVICE_PREFIX}-${options.namespace}` : KEYCHAIN_SERVICE_PREFIX;
      return { backend, gate, service: `${prefix}:${id}` };
    })();
    // A failed setup (the install id could not be read or written) is retried next time.
    setup.catch(() => (setup = undefined));
    return setup;
  };

  const run = async <T>(action: string, op: (b: KeyringBackend, service: string) => Promise<T>): Promise<T> => {
    const asked = Date.now();
    const { backend, gate, service } = await ready();
    try {
      return await op(gated(backend, gate, timeoutMs, asked), service);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw unavailable(action, err);
    }
  };

  return {
    kind: 'keychain',
    async get(name) {
      assertSecretName(name);
      return run(`reading "${name}"`, (b, s) => inTurn(s, name, () => readValue(b, s, name, remedy)));
    },
    async set(name, value) {
      assertSecretName(name);
      await run(`storing "${name}"`, (b, s) =>
        inTurn(s, name, async () => {
          const before = await layoutNow(b, s, name);
          const { entries, layout } = splitParts(name, value, maxEntryLength, before);
          // The new parts first, then the entry that names them, then the old parts.
          for (let k = 2; k <= entries.length; k++) await b.set(s, partAccount(name, gen(layout), k), entries[k - 1]!);
          await b.set(s, name, entries[0]!);
          await deleteParts(b, s, name, before);
        }),
      );
    },
    async delete(name) {
      assertSecretName(name);
      return run(`deleting "${name}"`, (b, s) =>
        inTurn(s, name, async () => {
          const before = await layoutNow(b, s, name);
          // The entry first: what a crash leaves behind is parts nobody names, never a broken value.
          const deleted = await b.delete(s, name);
          await deleteParts(b, s, name, before);
          return deleted;
        }),
      );
    },
    async list() {
      const accounts = await run('listing secrets', (b, s) => b.accounts(s));
      return [...new Set(accounts.filter(isValidSecretName))].sort();
    },
  };
}

function gen(layout: Layout): string {
  return 'generation' in layout ? layout.generation : '';
}

/** The parts of a value laid out as `layout` (none when it was one entry). */
async function deleteParts(b: KeyringBackend, service: string, name: string, layout: Layout): Promise<void> {
  for (let k = 2; k <= layout.count; k++) await b.delete(service, partAccount(name, gen(layout), k));
}

/**
 * A value, whole. Another process may rewrite it meanwhile (its old parts go once its new entry
 * is in place): a missing part is read again once from the entry as it is then.
 */
async function readValue(
  b: KeyringBackend,
  service: string,
  name: string,
  remedy: string,
): Promise<string | undefined> {
  for (let attempt = 0; ; attempt++) {
    const head = await b.get(service, name);
    if (head === null) return undefined;
    const layout = layoutOf(head);
    if (layout.count === 1) return head;
    const rest: (string | null)[] = [];
    for (let k = 2; k <= layout.count; k++) rest.push(await b.get(service, partAccount(name, gen(layout), k)));
    const value = joinParts(head, rest);
    if (value !== undefined) return value;
    if (attempt === 1) {
      const missing = rest.findIndex((part) => part === null) + 2;
      throw new GatewayError(
        'secret_missing',
        `secret "${name}" is incomplete in the keychain (part ${missing} of ${layout.count} is missing): ${remedy}`,
      );
    }
  }
}
