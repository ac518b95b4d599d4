/**
 * The keychain's own process, started by keychain-process.ts: it makes the @napi-rs/keyring calls
 * the gateway asks for over the IPC channel and answers each. A call waiting on an unlock prompt
 * then holds this process, not the gateway: the gateway ends it when it gives the call up, and at
 * its own exit.
 */
import type { KeychainReply, KeychainRequest } from './keychain-process.ts';

type Keyring = typeof import('@napi-rs/keyring');

let keyring: Promise<Keyring> | undefined;
let pending = 0;

process.on('message', (request: KeychainRequest) => void answer(request));
// The gateway closed the channel (idle) or is gone. A call still waiting would hold this process
// (Node's exit waits for the thread it is on): ended outright then.
process.on('disconnect', () => (pending === 0 ? process.exit(0) : process.kill(process.pid, 'SIGKILL')));

async function answer(request: KeychainRequest): Promise<void> {
  pending++;
  let reply: KeychainReply;
  try {
    reply = { id: request.id, ok: true, value: await perform(request) };
  } catch (err) {
    reply = { id: request.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    pending--;
  }
  if (process.connected) process.send!(reply);
}

async function perform(request: KeychainRequest): Promise<string | null | boolean | string[]> {
  const { AsyncEntry, findCredentialsAsync } = await load();
  // Linux: the Secret Service only, never the kernel keyring (it forgets everything at reboot).
  const options = process.platform === 'linux' ? { linux: { store: 'secret-service' as const } } : undefined;
  switch (request.op) {
    case 'get':
      return new AsyncEntry(request.service, request.account, options).getPassword();
    case 'set':
      await new AsyncEntry(request.service, request.account, options).setPassword(request.value);
      return true;
    case 'delete':
      return new AsyncEntry(request.service, request.account, options).deleteCredential();
    case 'accounts':
      return (await findCredentialsAsync(request.service)).map((c) => c.account);
  }
}

function load(): Promise<Keyring> {
  keyring ??= import('@napi-rs/keyring').catch((err: unknown) => {
    keyring = undefined;
    throw new Error(`loading @napi-rs/keyring: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  return keyring;
}
