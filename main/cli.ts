#!/usr/bin/env node
/**
 * Headless entry: `switchboard serve|shim|list|call|status|stop|doctor|traffic|clients|install|
 * uninstall|adopt|restore|secrets|login|logout`. Thin: parses arguments, builds the engine, prints
 * results. All behaviour lives in main/engine (and main/shim for `shim`).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { useCompileCache } from './cli/compile-cache.ts';
import { printableLines } from './cli/format.ts';
import { watchLauncherPipe } from './cli/launcher-pipe.ts';
import pkg from '../package.json' with { type: 'json' };

const HELP = `Switchboard ${pkg.version}: one MCP gateway for every AI client.

Usage: switchboard <command> [options]

Commands:
  serve             Run the gateway (HTTP on 127.0.0.1, the shim socket, config hot reload);
                    one per user: a second one says which process serves and exits with 1
    --stdio           Serve one MCP client on stdin/stdout instead (no listeners)
    --port N          HTTP port (default from config, 8787; 0 = any free port)
    --host ADDR       HTTP address (default 127.0.0.1; others need listen.http.token)
    --no-http         Do not open the HTTP listener
    --no-socket       Do not open the shim socket
    --profile NAME    Profile for --stdio (default: default); HTTP clients choose one by their
                      URL (/mcp/NAME), clients of the shim with shim --profile NAME
  shim              Pipe this process's stdio to the running gateway (what clients spawn),
                    starting one in the background if none runs
    --profile NAME    Profile to expose (default: $SWITCHBOARD_PROFILE, else default)
    --connect-timeout MS
                      How long to wait for the gateway (default: $SWITCHBOARD_CONNECT_TIMEOUT_MS,
                      else 15000)
  list              Start the configured servers and list their state and tools;
                    exits with 1 when one that should run is not ready or cannot list its tools
    --json            Machine-readable output
  call SERVER TOOL  Call one tool and print its result
    --args JSON       Tool arguments as a JSON object (default {})
    --json            Print the raw MCP result
  status            Is a gateway running: its pid, config (and why its last save is not
                    applied), addresses and log file
    --json            Machine-readable output (exit 1 when none is running)
  stop              Ask the running gateway to stop, wait for it, and report
    --timeout MS      How long to wait (default 10000)
  ui                A new one-time link that opens the web UI of the running gateway in a browser
  doctor            Check the config, each server, PATH resolution, port, socket, the AI
                    clients Switchboard is in (their profile, their entry) and the running
                    gateway; names the log file of a gateway the shim started

Traffic (see docs/traffic.md; from the running gateway, else the history it kept):
  traffic           The latest exchanges, one line each (oldest first)
    --follow          Then print new ones as they end, until Ctrl-C
    --server S        Only those of server S (its config name)
    --method M        Only method M (tools/call, tools/list, ...)
    --target T        Only those of tool, prompt or resource T, as that side names it (fx__echo, echo)
    --text T          Only those with T in their method, names or payloads (any case)
    --min-duration MS Only those that took at least MS milliseconds
    --client C        Only those of client C (the name it gives, e.g. claude-ai)
    --session ID      Only those of one client session
    --profile P       Only those of profile P
    --errors          Only failures: errors, timeouts, tools that reported an error
    --since T         Only since T: 15m, 2h, 3d ago, a time of day (10:00) or a date
    --until T         Only until T (as --since; a date or time given takes its whole day or minute)
    --limit N         How many (default 50; 20 with --follow)
    --json            One JSON entry per line
  traffic show ID   One exchange with everything it caused, payloads included
  traffic stats     Calls, errors, p50/p95 per server and per tool (default: the last hour)
  traffic export    The matching exchanges as a file to attach to a bug report (redacted)
    --format F        jsonl (default) or har
    --output FILE     Write to FILE instead of the terminal

Clients (see docs/clients.md):
  clients           The AI clients found on this machine and whether Switchboard is in them
    --json            Machine-readable output
  install CLIENT    Add the switchboard entry to CLIENT's config (backed up first)
    --profile NAME    Profile the client sees (default: the one it starts now, else default)
    --dry-run         Only show the change
  uninstall CLIENT  Remove the switchboard entry (the backup stays for restore)
    --dry-run         Only show the change
  adopt CLIENT      Move CLIENT's servers into Switchboard (secrets into the keychain) and
                    leave the switchboard entry in their place
    --servers a,b     Only these servers (default: all that can be moved)
    --profile NAME    Profile for the switchboard entry (default: default)
    --dry-run         Only show the changes
  restore CLIENT... Put CLIENT's config file back exactly as it was before Switchboard (only
                    its servers, if the file also holds the client's own settings and
                    changed since: zed, claude-code, codex, gemini-cli, continue, goose)
    --all             Every client Switchboard changed
  CLIENT is one of: claude-desktop, cursor, zed, vscode, vscode-insiders, windsurf,
  claude-code, codex, gemini-cli, cline, lm-studio, continue, goose

Remote servers that need a login (OAuth; see docs/remote-servers.md):
  login SERVER      Log in through the browser (the running gateway keeps the tokens in the
                    keychain); prints the address to open, for machines without a browser
    --no-browser      Only print the address
    --timeout MS      How long to wait for the browser to come back (default 300000)
  logout SERVER     Forget SERVER's tokens

Secrets (the OS keychain; referenced in the config as ${'$'}{secret:NAME}):
  secrets set NAME          Store a secret, typed at a hidden prompt or piped in (never on the
                            command line, where shell history and other programs see it)
  secrets get NAME          Print a secret
  secrets rm NAME           Delete a secret
  secrets ls                List secret names

Exit codes: 0 success, 1 failure, 2 bad usage (an option the command does not take included).

Common options:
  --config PATH     Config file, for serve, list, call, doctor, adopt and secrets (default:
                    ${'$'}SWITCHBOARD_CONFIG or the user config directory)
  --timeout MS      How long list/call/doctor wait for servers (default 30000); for the tool
                    call itself, its server's timeoutMs unless this is given
  -h, --help        This help
  -v, --version     Print the version
`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    // No command at all is bad usage (2), as the help says; asking for help is not.
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (command.startsWith('-')) throw new UsageError(optionFirst(argv));
  if (command === 'shim') {
    // The shim imports node built-ins only; load nothing else on this path.
    const { main: shimMain } = await import('./shim/index.ts');
    return shimMain(argv.slice(1));
  }
  // Before its options are read: an unknown command's options are not what is wrong.
  if (!Object.hasOwn(TAKES, command))
    throw new UsageError(`unknown command "${command}". Run switchboard --help for the list.`);
  const { values, positionals, given } = parseCommandArgs(command, argv.slice(1), {
    config: { type: 'string' },
    stdio: { type: 'boolean', default: false },
    port: { type: 'string' },
    host: { type: 'string' },
    'no-http': { type: 'boolean', default: false },
    'no-socket': { type: 'boolean', default: false },
    'no-browser': { type: 'boolean', default: false },
    background: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'default' },
    args: { type: 'string' },
    json: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    servers: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    follow: { type: 'boolean', default: false },
    server: { type: 'string' },
    method: { type: 'string' },
    target: { type: 'string' },
    text: { type: 'string' },
    'min-duration': { type: 'string' },
    client: { type: 'string' },
    session: { type: 'string' },
    errors: { type: 'boolean', default: false },
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  refuseOptionsNotTaken(command, given);
  const commands = await import('./cli/commands.ts');
  const common = {
    // Absolute: the lock records it, and `doctor` run from elsewhere compares it.
    configPath: values.config === undefined ? undefined : path.resolve(values.config),
    timeoutMs: values.timeout === undefined ? 30_000 : milliseconds(values.timeout),
  };
  switch (command) {
    case 'serve':
      // `serve config.json` served the default config (the file is given with --config), and `npm start --port 8788`
      // gives npm the flag and us only "8788": refused, not a gateway on another port.
      noMoreWords(
        command,
        positionals,
        'switchboard serve [--config PATH] [--port N] [--host ADDR] (see --help)' +
          (underNpmStart() ? ' (through npm start, options go after "--": npm start -- --port 8788)' : ''),
      );
      return commands.serve({
        ...common,
        stdio: values.stdio,
        port: values.port === undefined ? undefined : count(values.port, '--port', 65_535),
        host: values.host,
        http: !values['no-http'],
        socket: !values['no-socket'],
        profile: values.profile,
        background: values.background,
      });
    case 'list':
      noMoreWords(command, positionals, 'switchboard list [--json]');
      return commands.list({ ...common, json: values.json });
    case 'call': {
      const [server, tool, extra] = positionals;
      if (!server || !tool || extra) throw new UsageError('usage: switchboard call SERVER TOOL [--args JSON]');
      const parsed = values.args === undefined ? { args: {} } : commands.parseToolArgs(values.args);
      if ('problem' in parsed) throw new UsageError(parsed.problem);
      // The call itself has the server's own time limit (its timeoutMs) unless --timeout says otherwise.
      const callTimeoutMs = values.timeout === undefined ? undefined : common.timeoutMs;
      return commands.call({ ...common, server, tool, args: parsed.args, json: values.json, callTimeoutMs });
    }
    case 'doctor':
      noMoreWords(command, positionals, 'switchboard doctor');
      return commands.doctor(common);
    case 'status':
      noMoreWords(command, positionals, 'switchboard status [--json]');
      return commands.status({ json: values.json });
    case 'ui':
      noMoreWords(command, positionals, 'switchboard ui');
      return commands.uiLink();
    case 'stop':
      // `stop NAME` reads as "stop that server": it would stop every server, and the gateway.
      noMoreWords(command, positionals, 'switchboard stop [--timeout MS] (it stops the whole gateway)');
      return commands.stop({ timeoutMs: values.timeout === undefined ? 10_000 : milliseconds(values.timeout) });
    case 'clients':
      noMoreWords(command, positionals, 'switchboard clients [--json]');
      return (await import('./cli/clients.ts')).clients({ json: values.json });
    case 'install':
    case 'uninstall': {
      const [client, extra] = positionals;
      if (!client || extra)
        throw new UsageError(
          `usage: switchboard ${command} CLIENT${command === 'install' ? ' [--profile NAME]' : ''} [--dry-run]`,
        );
      await knownClients([client]);
      const cli = await import('./cli/clients.ts');
      return command === 'install'
        ? cli.install({ client, profile: profileGiven(argv) ? values.profile : undefined, dryRun: values['dry-run'] })
        : cli.uninstall({ client, dryRun: values['dry-run'] });
    }
    case 'adopt': {
      const [client, extra] = positionals;
      if (!client || extra)
        throw new UsageError('usage: switchboard adopt CLIENT [--servers a,b] [--profile NAME] [--dry-run]');
      await knownClients([client]);
      const servers = values.servers
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (servers && servers.length === 0)
        throw new UsageError('--servers needs at least one server name, e.g. --servers github,linear');
      return (await import('./cli/clients.ts')).adopt({
        client,
        servers,
        profile: profileGiven(argv) ? values.profile : undefined,
        dryRun: values['dry-run'],
        configPath: common.configPath,
      });
    }
    case 'restore':
      if (values.all === positionals.length > 0) throw new UsageError('usage: switchboard restore CLIENT... | --all');
      await knownClients(positionals);
      return (await import('./cli/clients.ts')).restore({ clients: positionals, all: values.all });
    case 'traffic': {
      const [action = 'list', id, extra] = positionals;
      if (!['list', 'show', 'stats', 'export'].includes(action) || extra || (id && action !== 'show'))
        throw new UsageError('usage: switchboard traffic [show ID | stats | export] [options] (see --help)');
      const format = values.format ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'har') throw new UsageError(`--format is jsonl or har, got "${format}"`);
      const usage = (message: string) => new UsageError(message);
      return (await import('./cli/traffic.ts')).traffic(
        {
          action: action as 'list' | 'show' | 'stats' | 'export',
          id,
          follow: values.follow,
          json: values.json,
          server: values.server,
          method: values.method,
          target: values.target,
          text: values.text,
          minDuration:
            values['min-duration'] === undefined
              ? undefined
              : count(values['min-duration'], '--min-duration', undefined, 'milliseconds'),
          client: values.client,
          session: values.session,
          profile: profileGiven(argv) ? values.profile : undefined,
          errors: values.errors,
          since: values.since,
          until: values.until,
          // The most a page of the traffic API holds.
          limit: values.limit === undefined ? undefined : count(values.limit, '--limit', 1000, undefined, 1),
          format,
          output: values.output,
        },
        usage,
      );
    }
    case 'login':
    case 'logout': {
      const [server, extra] = positionals;
      if (!server || extra) throw new UsageError(`usage: switchboard ${command} SERVER`);
      return (await import('./cli/login.ts')).login({
        server,
        logout: command === 'logout',
        browser: !values['no-browser'],
        timeoutMs: values.timeout === undefined ? 5 * 60_000 : milliseconds(values.timeout),
      });
    }
    case 'secrets': {
      const [action, name, value, extra] = positionals;
      // A value after set's name is refused there, without echoing it, however many words it is.
      if (extra && action !== 'set')
        throw new UsageError('usage: switchboard secrets set NAME | get NAME | rm NAME | ls');
      return (await import('./cli/secrets.ts')).secrets(
        { action, name, value, ...(values.config === undefined ? {} : { configPath: path.resolve(values.config) }) },
        (message) => new UsageError(message),
      );
    }
    default:
      throw new UsageError(`unknown command "${command}". Run switchboard --help for the list.`); // not in TAKES
  }
}

class UsageError extends Error {}

/** Bad usage (2), as a malformed option is: a client id no installer knows, naming those there are. */
async function knownClients(ids: string[]): Promise<void> {
  const { CLIENT_IDS } = await import('./engine/index.ts');
  const unknown = ids.find((id) => !(CLIENT_IDS as readonly string[]).includes(id));
  if (unknown !== undefined) throw new UsageError(`unknown client "${unknown}" (known: ${CLIENT_IDS.join(', ')})`);
}

/**
 * What to say to an option given before the command (`switchboard --config c.json list`): it said unknown command
 * "--config", though the user had typed a command, only later.
 */
function optionFirst(argv: string[]): string {
  const at = argv.findIndex((word) => word === 'shim' || Object.hasOwn(TAKES, word));
  if (at === -1)
    return (
      `${JSON.stringify(argv[0])} is an option, and options go after a command: switchboard <command> ` +
      '[options]. Run switchboard --help for the commands.'
    );
  // A value typed after `secrets set NAME` is not repeated (the secrets command refuses it without a word of it).
  if (argv[at] === 'secrets') return 'options go after the command: switchboard secrets ls --config PATH, for example';
  const words = [argv[at]!, ...argv.slice(0, at), ...argv.slice(at + 1)];
  const shown = words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`));
  return `options go after the command: switchboard ${shown.join(' ')}`;
}

/** Whether --profile was given (it defaults to "default", which serve and shim want and others do not). */
function profileGiven(argv: string[]): boolean {
  return argv.some((a) => a === '--profile' || a.startsWith('--profile='));
}

/** Run by `npm start` (npm names the script it runs): a flag is passed on only after `--`. */
function underNpmStart(): boolean {
  return process.env.npm_lifecycle_event === 'start';
}

/** A command that takes no words after it refuses them: they were meant for something it does not do. */
function noMoreWords(command: string, positionals: string[], usage: string): void {
  if (positionals.length > 0)
    throw new UsageError(
      `"${command}" takes no ${positionals.length === 1 ? 'argument' : 'arguments'} ` +
        `(got ${positionals.map((p) => JSON.stringify(p)).join(' ')}); usage: ${usage}`,
    );
}

/**
 * The longest a timer waits (2^31 - 1 ms, about 24.8 days): Node fires a longer one at once, so `--timeout
 * 9999999999` gave up on every server in a millisecond, saying it was not ready "after 9999999999 ms".
 */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `--timeout`'s value: a whole number of milliseconds a timer can wait. */
function milliseconds(text: string): number {
  return count(text, '--timeout', MAX_TIMEOUT_MS, 'milliseconds');
}

/** A whole number given to `flag`, from 0 to `max`; anything else is a usage error naming the flag (and unit). */
function count(text: string, flag: string, max = Number.MAX_SAFE_INTEGER, unit?: string, min = 0): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n > max || n < min)
    throw new UsageError(
      `${flag} takes a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max} (got "${text}")`,
    );
  return n;
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/**
 * parseArgs, with its complaints (unknown option, missing value) turned into usage errors (exit 2), and the
 * names of the options given.
 */
function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    const { values, positionals, tokens } = parseArgs({
      args,
      allowPositionals: true,
      options,
      strict: true,
      tokens: true,
    });
    const given = new Set(tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
    return { values, positionals, given };
  } catch (err) {
    // Node's words for an unknown one are about a positional argument starting with "-": what the command takes
    // is what a typo needs.
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
    if (unknown !== undefined)
      throw new UsageError(
        `${command} does not take ${unknown} (${takesWhat(command)}). Run switchboard --help for the options.`,
      );
    // `--limit -1`: Node's three lines, ending in '--limit=-XYZ'.
    const dashed = /^Option '([^']+)' argument is ambiguous/.exec((err as Error).message)?.[1];
    const next = dashed === undefined ? undefined : args[args.indexOf(dashed) + 1];
    if (dashed !== undefined && next !== undefined)
      throw new UsageError(
        `${dashed} is followed by ${JSON.stringify(next)}, which reads as an option; if it is the value, ` +
          `write ${dashed}=${next}`,
      );
    const valueless = /^Option '(\S+) <value>' argument missing/.exec((err as Error).message)?.[1];
    if (valueless !== undefined)
      throw new UsageError(`${valueless} needs a value. Run switchboard --help for the options.`);
    throw new UsageError(`${(err as Error).message.replace(/\.$/, '')}. Run switchboard --help for the options.`);
  }
}

/** The options each command reads (`traffic` checks its actions' own); any other given is refused, not ignored. */
const TAKES: Readonly<Record<string, readonly string[]>> = {
  serve: ['config', 'stdio', 'port', 'host', 'no-http', 'no-socket', 'profile', 'background'],
  list: ['config', 'timeout', 'json'],
  call: ['config', 'timeout', 'args', 'json'],
  status: ['json'],
  stop: ['timeout'],
  ui: [],
  doctor: ['config', 'timeout'],
  traffic: [
    'follow',
    'server',
    'method',
    'target',
    'text',
    'min-duration',
    'client',
    'session',
    'profile',
    'errors',
    'since',
    'until',
    'limit',
    'json',
    'format',
    'output',
  ],
  clients: ['json'],
  install: ['profile', 'dry-run'],
  uninstall: ['dry-run'],
  adopt: ['servers', 'profile', 'dry-run', 'config'],
  restore: ['all'],
  login: ['no-browser', 'timeout'],
  logout: [],
  secrets: ['config'],
};

/** The options `command` takes, in words: "it takes --config, --json" (--background is the shim's own). */
function takesWhat(command: string): string {
  const accepted = (TAKES[command] ?? []).filter((name) => name !== 'background').map((name) => `--${name}`);
  return accepted.length ? `it takes ${accepted.join(', ')}` : 'it takes no options';
}

/**
 * An option the command does not read is a usage error naming it: `serve --profile work` served the default
 * profile, `secrets ls --json` printed text, without a word. So is a serve option another one makes moot.
 */
function refuseOptionsNotTaken(command: string, given: ReadonlySet<string>): void {
  const takes = TAKES[command];
  if (takes === undefined) return;
  const extra = [...given].filter((name) => name !== 'help' && !takes.includes(name));
  if (extra.length > 0) {
    const list = extra.map((name) => `--${name}`).join(', ');
    throw new UsageError(
      `${command} does not take ${list} (${takesWhat(command)}). Run switchboard --help for the options.`,
    );
  }
  if (command !== 'serve') return;
  const moot = (by: string, names: string[], why: string) => {
    const hit = names.filter((name) => given.has(name));
    if (given.has(by) && hit.length > 0)
      throw new UsageError(`serve --${by} ${why}: it does not take ${hit.map((name) => `--${name}`).join(', ')}`);
  };
  // --no-http and --no-socket agree with --stdio (an entry a client starts may carry them): only an option
  // that asks for a listener contradicts it.
  moot('stdio', ['port', 'host', 'background'], 'serves one client on stdin/stdout and opens no listener');
  moot('no-http', ['port', 'host'], 'opens no HTTP listener');
  if (given.has('profile') && !given.has('stdio'))
    throw new UsageError(
      'serve --profile is for --stdio (its one client): the listeners serve every profile, an HTTP client ' +
        'choosing one by its URL (/mcp/PROFILE) and a client of the shim with shim --profile PROFILE',
    );
}

// Output piped into a program that stopped reading (`| head`): nothing more to say, and no trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// Before the commands and the engine are loaded: they are what takes compiling (~40 ms of every start).
useCompileCache();
watchLauncherPipe();
main(process.argv.slice(2)).then(
  (code) => void (process.exitCode = code),
  (err: unknown) => {
    // A message can quote a server (`call`'s error): its control characters are printed escaped.
    process.stderr.write(`switchboard: ${printableLines(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
