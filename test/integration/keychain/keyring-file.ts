/**
 * One keyring session for a test file: started before its tests, with a temporary directory for
 * their configs, and ended after them. With unanswered prompts, the keyring is locked once its
 * secrets are stored, each test's gateway reads from it, and each test's open prompt is closed
 * after the test, so the calls waiting on it return and the next test's calls open one of their own.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  createGateway,
  createKeychainSecretStore,
  type Gateway,
  type GatewayOptions,
} from '../../../main/engine/index.ts';
import { tempDir, TEST_BACKOFF, waitFor } from '../../helpers/gateway.ts';
import { startKeyringSession, type KeyringSession, type KeyringSessionOptions } from './keyring-session.ts';

export interface KeyringFile {
  readonly keyring: KeyringSession;
  /** The file's temporary directory, removed after its tests. */
  readonly dir: string;
}

/** Registers the hooks of one session for the describe it is called in (this process's D-Bus session too). */
export function keyringForFile(tempPrefix: string, options: KeyringSessionOptions = {}): KeyringFile {
  let keyring: KeyringSession | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    keyring = await startKeyringSession(options);
    // Before the first keyring call in this process: libdbus reads the address once.
    process.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
    dir = await tempDir(tempPrefix);
  }, 30_000);
  afterAll(async () => {
    await keyring?.close();
    await dir?.cleanup();
  });
  return {
    get keyring() {
      return started(keyring);
    },
    get dir() {
      return started(dir).dir;
    },
  };
}

export interface UnansweredPromptFile extends KeyringFile {
  /** The keychain store's state directory, where the file's secrets were stored. */
  readonly stateDir: string;
  /** Resolves once the keyring's unlock prompt is open. */
  promptOpened(): Promise<void>;
  /**
   * A gateway (not started) whose keychain calls, waiting on the prompt, are given up after
   * `callTimeoutMs`; on port 0, no socket, unless `options` say otherwise. Stopped after the test.
   */
  patientGateway(configPath: string, callTimeoutMs: number, options?: Partial<GatewayOptions>): Gateway;
}

export interface UnansweredPromptOptions {
  /** Stored in the keychain (at `stateDir`) before it is locked. */
  secrets?: Record<string, string>;
  /** Stores anything else before it is locked. */
  beforeLock?: () => Promise<void>;
}

/** A locked keyring whose unlock prompts nobody answers, for the describe it is called in. */
export function unansweredPromptFile(
  tempPrefix: string,
  { secrets = {}, beforeLock }: UnansweredPromptOptions = {},
): UnansweredPromptFile {
  const file = keyringForFile(tempPrefix, { unansweredPrompts: true });
  const stateDir = () => path.join(file.dir, 'state');
  let gateway: Gateway | undefined;
  beforeAll(async () => {
    const store = createKeychainSecretStore({ stateDir: stateDir() });
    for (const [name, value] of Object.entries(secrets)) await store.set(name, value);
    await beforeLock?.();
    file.keyring.lock();
  }, 30_000);
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    if (await file.keyring.promptOpen()) await file.keyring.closePrompt();
  });
  return {
    get keyring() {
      return file.keyring;
    },
    get dir() {
      return file.dir;
    },
    get stateDir() {
      return stateDir();
    },
    async promptOpened() {
      await waitFor(() => file.keyring.promptOpen(), 15_000, 'the unlock prompt to open');
    },
    patientGateway(configPath, callTimeoutMs, options = {}) {
      gateway = createGateway({
        configPath,
        secrets: createKeychainSecretStore({ stateDir: stateDir(), callTimeoutMs }),
        version: 'test',
        http: { port: 0 },
        socket: false,
        backoff: TEST_BACKOFF,
        ...options,
      });
      gateway.on('log', () => undefined);
      return gateway;
    },
  };
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the keyring session is not started: use it in a test or a hook');
  return value;
}
