/** `switchboard secrets set|get|rm|ls`: the OS keychain store, for a terminal. */
import {
  assertSecretName,
  backupKeyProblem,
  connectRunningGateway,
  createKeychainSecretStore,
  defaultConfigPath,
  errorMessage,
  findReferences,
  findSettingReferences,
  loadConfigFile,
  secretValueProblem,
  stateDir,
} from '../engine/index.ts';

const out = (text: string) => process.stdout.write(text);

/** All of stdin (piped), without one trailing newline; bytes that are not UTF-8 are refused. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    // Decoded leniently, each bad byte became U+FFFD and another value was stored, without a word.
    throw new Error(
      'the value piped in is not UTF-8 text (binary data?); nothing stored. Store its base64 instead: ' +
        'base64 -w0 FILE | switchboard secrets set NAME',
    );
  }
  return text.replace(/\r?\n$/, '');
}

/**
 * A value given after the name is refused, and not repeated: on the command line it is in the shell's
 * history, and every program on the machine can read it in the process list while this one runs.
 */
export const VALUE_ON_COMMAND_LINE =
  'switchboard secrets set takes no value on the command line (it would stay in your shell history, and ' +
  'other programs can read a command line): run switchboard secrets set NAME and type or paste it at the ' +
  'prompt, or pipe it in (switchboard secrets set NAME < file, or from a password manager: ' +
  'pass show x | switchboard secrets set NAME)';

/** What typing `chunk` does to a hidden value: the value so far, and whether it was entered or cancelled. */
export function typeHidden(value: string, chunk: string): { value: string; end?: 'enter' | 'cancel' | 'lines' } {
  const chars = [...chunk];
  for (const [i, ch] of chars.entries()) {
    // More text after the line break, in the same chunk: a value of several lines was pasted (a PEM
    // key), of which only the first line would be kept.
    if (ch === '\r' || ch === '\n') return { value, end: chars.slice(i + 1).some((c) => c >= ' ') ? 'lines' : 'enter' };
    if (ch === '\u0003') return { value, end: 'cancel' };
    // Ctrl-D ends the value like Enter; on an empty one it means "never mind", as at a shell.
    if (ch === '\u0004') return { value, end: value === '' ? 'cancel' : 'enter' };
    // An arrow or function key (ESC and the rest of its sequence, one chunk) is not part of a secret.
    if (ch === '\u001b') return { value };
    if (ch === '\u0015') value = '';
    else if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
    else if (ch >= ' ') value += ch;
  }
  return { value };
}

const SEVERAL_LINES =
  'the value pasted has several lines, and only one can be typed here; nothing stored. Pipe it in instead: ' +
  'switchboard secrets set NAME < FILE';

/** One line typed at a terminal, not echoed. */
function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    let draining: NodeJS.Timeout | undefined;
    const onData = (chunk: string) => {
      if (draining) {
        // The rest of a pasted value: read here, or the shell would run it as commands once we exit.
        draining.refresh();
        return;
      }
      const typed = typeHidden(value, chunk);
      value = typed.value;
      if (typed.end === 'enter') done();
      else if (typed.end === 'cancel') done(new Error('cancelled'));
      else if (typed.end === 'lines') {
        value = '';
        draining = setTimeout(() => done(new Error(SEVERAL_LINES)), 300);
      }
    };
    stdin.on('data', onData);
  });
}

type RunningApi = NonNullable<Awaited<ReturnType<typeof connectRunningGateway>>>['api'];

/**
 * Where the config uses the secret: the servers whose entries refer to it, as "fx (env.TOKEN)" (those
 * turned off apart: nothing starts or stops them), and Switchboard's own settings that do (`listen.http.token`).
 */
interface Uses {
  servers: string[];
  off: string[];
  settings: string[];
}

/** Where the config file refers to `name`; nowhere when it cannot be read. */
async function usesInConfig(name: string, configPath: string | undefined): Promise<Uses> {
  try {
    const { config } = await loadConfigFile(configPath ?? defaultConfigPath());
    const refs = findReferences(config).filter((ref) => ref.kind === 'secret' && ref.name === name);
    const off = (ref: { server: string }) => config.servers[ref.server]?.disabled === true;
    return {
      servers: refs.filter((ref) => !off(ref)).map((ref) => `${ref.server} (${ref.field})`),
      off: refs.filter(off).map((ref) => `${ref.server} (${ref.field})`),
      settings: findSettingReferences(config)
        .filter((ref) => ref.kind === 'secret' && ref.name === name)
        .map((ref) => ref.setting),
    };
  } catch {
    return { servers: [], off: [], settings: [] };
  }
}

/** What became of the secret's users, one line each: of the servers, of the settings; none, nothing. */
interface Outcome {
  servers: (servers: string[]) => string;
  off: (servers: string[]) => string;
  settings: (settings: string[]) => string;
}

const said = (uses: Uses, outcome: Outcome): string =>
  (uses.servers.length ? outcome.servers(uses.servers) : '') +
  (uses.off.length ? outcome.off(uses.off) : '') +
  (uses.settings.length ? outcome.settings(uses.settings) : '');

/** Servers turned off, which get a secret stored now once they are turned on. */
const offGetIt = (servers: string[]) =>
  `Turned off, ${servers.length === 1 ? 'it gets' : 'they get'} it once turned on: ${servers.join(', ')}.\n`;
/** Servers turned off, which cannot start without the secret once they are turned on. */
const offFail = (servers: string[]) =>
  `Turned off, ${servers.length === 1 ? 'it fails' : 'they fail'} to start once turned on, saying it is missing, ` +
  `until it is set again: ${servers.join(', ')}.\n`;

/**
 * A change made by the running gateway, when one runs: it reads references as servers start, so
 * only it can start the servers using the secret again with the new value (or say it is gone).
 * Without one, or when it cannot be asked, the keychain is changed here; what the gateway refuses is
 * said as its refusal (`verb`: what it did not do). Says what became of it, naming the servers and
 * settings that use the secret (`done` with a gateway, `without` without).
 */
async function throughGateway(
  verb: 'store' | 'remove',
  name: string,
  configPath: string | undefined,
  change: (api: RunningApi) => Promise<void>,
  here: () => Promise<unknown>,
  done: Outcome,
  without: Outcome,
): Promise<string> {
  let running: Awaited<ReturnType<typeof connectRunningGateway>>;
  try {
    running = await connectRunningGateway();
  } catch (err) {
    await here();
    return `The running gateway could not be told (${errorMessage(err)}): restart the servers that use it.\n`;
  }
  if (!running) {
    await here();
    return said(await usesInConfig(name, configPath), without);
  }
  try {
    // Asked before the change, which it is about.
    const view = (await running.api.listSecrets()).secrets.find((s) => s.name === name);
    const label = (u: { server: string; field: string }) => `${u.server} (${u.field})`;
    const uses = {
      servers: (view?.usedBy ?? []).filter((u) => !u.disabled).map(label),
      off: (view?.usedBy ?? []).filter((u) => u.disabled).map(label),
      settings: view?.settings ?? [],
    };
    await change(running.api).catch((err: unknown) => {
      // Its keychain, not this terminal's: the keychain of a gateway started elsewhere (a service, another
      // session) can be out of reach while this one's is not, and its advice is then about that process.
      throw new Error(`the running gateway (pid ${running.info.pid}) did not ${verb} it: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    return said(uses, done);
  } finally {
    running.close();
  }
}

/**
 * The names in the running gateway's keychain, which its servers read: a terminal's own keychain may be out of reach
 * (an SSH login beside the session the gateway runs in) or another one. Undefined when no gateway runs, it cannot
 * be asked, or its keychain cannot be read: then this terminal's is asked.
 */
async function gatewayStored(): Promise<string[] | undefined> {
  let running: Awaited<ReturnType<typeof connectRunningGateway>>;
  let view: Awaited<ReturnType<RunningApi['listSecrets']>>;
  try {
    running = await connectRunningGateway();
    if (!running) return undefined;
    view = await running.api.listSecrets();
  } catch {
    // Not asked, as with no gateway: this terminal's keychain answers, and says what is wrong with it if anything.
    return undefined;
  } finally {
    running?.close();
  }
  return view.unavailable === undefined ? view.secrets.filter((s) => s.stored === true).map((s) => s.name) : undefined;
}

export async function secrets(
  opts: { action: string | undefined; name: string | undefined; value: string | undefined; configPath?: string },
  usage: (message: string) => Error,
): Promise<number> {
  const store = createKeychainSecretStore();
  // A name no reference can hold is a mistake in the command, before anything is asked or looked up.
  if (opts.name !== undefined && opts.action !== 'ls') {
    try {
      assertSecretName(opts.name);
    } catch (err) {
      throw usage(errorMessage(err));
    }
  }
  switch (opts.action) {
    case 'set': {
      if (!opts.name)
        throw usage('usage: switchboard secrets set NAME   (the value is asked for, or read from stdin when piped)');
      if (opts.value !== undefined) throw usage(VALUE_ON_COMMAND_LINE);
      const own = await backupKeyProblem(opts.name, stateDir());
      if (own) throw new Error(`${own}; nothing stored`);
      const value = process.stdin.isTTY ? await readHidden(`Value for ${opts.name}: `) : await readStdin();
      const problem = secretValueProblem(value);
      if (problem) throw new Error(`${problem}; nothing stored`);
      const name = opts.name;
      const applied = await throughGateway(
        'store',
        name,
        opts.configPath,
        (api) => api.setSecret(name, value),
        () => store.set(name, value),
        {
          servers: (uses) =>
            // Started again only when the value changed: a value set again as it was restarts nothing.
            `The servers that use it have this value now (the running gateway started them again if it changed): ` +
            `${uses.join(', ')}.\n`,
          off: offGetIt,
          settings: (settings) =>
            `The running gateway applied it to ${settings.join(', ')}: MCP clients send this value as their ` +
            'token from now on.\n',
        },
        {
          servers: (uses) =>
            `Used by ${uses.join(', ')}: ${uses.length === 1 ? 'it gets' : 'they get'} it when the gateway starts.\n`,
          off: offGetIt,
          settings: (settings) =>
            `Used by ${settings.join(', ')}: MCP clients send this value as their token once the gateway starts.\n`,
        },
      );
      out(`Stored "${name}" in the keychain. Use it in the config as \${secret:${name}}.\n${applied}`);
      return 0;
    }
    case 'get': {
      if (!opts.name) throw usage('usage: switchboard secrets get NAME');
      const value = await store.get(opts.name);
      if (value === undefined) {
        process.stderr.write(`switchboard: no secret named "${opts.name}" in the keychain\n`);
        return 1;
      }
      out(`${value}\n`);
      return 0;
    }
    case 'rm': {
      if (!opts.name) throw usage('usage: switchboard secrets rm NAME');
      const name = opts.name;
      const own = await backupKeyProblem(name, stateDir());
      if (own) throw new Error(`${own}; nothing removed`);
      const stored = await gatewayStored();
      if (!(stored ? stored.includes(name) : await store.get(name))) {
        process.stderr.write(`switchboard: no secret named "${name}" in the keychain\n`);
        return 1;
      }
      const applied = await throughGateway(
        'remove',
        name,
        opts.configPath,
        (api) => api.deleteSecret(name),
        () => store.delete(name),
        {
          servers: (uses) =>
            `The running gateway stopped the servers that use it, which say it is missing: ${uses.join(', ')}.\n`,
          off: offFail,
          settings: (settings) =>
            `Still referred to by ${settings.join(', ')}: the config file cannot be applied without it (the ` +
            'running gateway keeps the config it has, and at its next start runs no server) until it is set ' +
            'again or the reference is taken out of the config.\n',
        },
        {
          servers: (uses) =>
            `Still referred to by ${uses.join(', ')}: ${uses.length === 1 ? 'it fails' : 'they fail'} to start, ` +
            'saying it is missing, until it is set again or the reference is taken out of the config.\n',
          off: offFail,
          settings: (settings) =>
            `Still referred to by ${settings.join(', ')}: the config file cannot be applied without it (the ` +
            'gateway runs no server at its next start) until it is set again or the reference is taken out of ' +
            'the config.\n',
        },
      );
      out(`Removed "${name}" from the keychain.\n${applied}`);
      return 0;
    }
    case 'ls': {
      if (opts.name !== undefined) throw usage('usage: switchboard secrets ls   (it takes no name)');
      const names = (await gatewayStored()) ?? (await store.list());
      out(
        names.length
          ? names.join('\n') + '\n'
          : 'No secrets stored yet (add one with: switchboard secrets set NAME).\n',
      );
      return 0;
    }
    default:
      throw usage('usage: switchboard secrets set NAME | get NAME | rm NAME | ls');
  }
}
