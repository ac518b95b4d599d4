/**
 * The shim: what a client spawns (`switchboard shim [--profile NAME]`). Pipes the client's
 * stdio to the running gateway over the private local socket, starting the gateway if needed
 * and surviving its restarts. Node built-ins and main/shared only, so it starts in milliseconds.
 */
import { runShim, type ShimOptions } from './relay.ts';

export { runShim, DEFAULT_CONNECT_TIMEOUT_MS, GATEWAY_UNAVAILABLE, RESTARTED_MESSAGE } from './relay.ts';
export type { ShimOptions } from './relay.ts';

const USAGE = `usage: switchboard shim [--profile NAME] [--connect-timeout MS]

Connects this process's stdin/stdout (an MCP stdio client) to the Switchboard gateway,
starting it in the background if it is not running.

  --profile NAME        the profile this client sees (default: $SWITCHBOARD_PROFILE or "default")
  --connect-timeout MS  how long to wait for the gateway (default: $SWITCHBOARD_CONNECT_TIMEOUT_MS or 15000)
`;

/** The longest a Node timer waits. */
const MAX_TIMER_MS = 2_147_483_647;

export interface ShimArgs {
  profile: string;
  connectTimeoutMs?: number;
}

/** Parses the shim's arguments; returns an error message for bad ones, 'help' for --help. */
export function parseShimArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ShimArgs | 'help' | { error: string } {
  let profile = env.SWITCHBOARD_PROFILE || 'default';
  let timeout = env.SWITCHBOARD_CONNECT_TIMEOUT_MS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '-p':
      case '--profile': {
        const v = value();
        if (v === undefined || v === '') return { error: `${name} needs a profile name` };
        // A profile name starts with a letter or digit: this is the next option, the name was left out.
        if (inline === undefined && v.startsWith('-'))
          return { error: `${name} needs a profile name, not the option ${JSON.stringify(v)}` };
        profile = v;
        break;
      }
      case '--connect-timeout': {
        const v = value();
        if (v === undefined || v === '') return { error: `${name} needs a number of milliseconds` };
        timeout = v;
        break;
      }
      default:
        return { error: `unknown argument ${JSON.stringify(arg)}` };
    }
  }
  if (timeout === undefined || timeout === '') return { profile };
  const ms = Number(timeout);
  if (!Number.isFinite(ms) || ms <= 0)
    return { error: `the connect timeout must be a positive number of milliseconds, not ${JSON.stringify(timeout)}` };
  // A longer one is cut to 1 ms by setTimeout (the wait for a restarted gateway's answer, for one).
  if (ms > MAX_TIMER_MS)
    return {
      error:
        `the connect timeout must be a positive number of milliseconds up to ${MAX_TIMER_MS}, ` +
        `not ${JSON.stringify(timeout)}`,
    };
  return { profile, connectTimeoutMs: ms };
}

/**
 * Entry for `switchboard shim ...` (argv without the `shim` word). Resolves with the exit
 * code; the caller sets process.exitCode. Never writes anything but JSON-RPC to stdout.
 */
export async function main(
  argv: readonly string[],
  overrides: Omit<ShimOptions, 'profile' | 'connectTimeoutMs'> = {},
): Promise<number> {
  const stderr = overrides.stderr ?? process.stderr;
  const args = parseShimArgs(argv, overrides.env ?? process.env);
  if (args === 'help') {
    stderr.write(USAGE);
    return 0;
  }
  if ('error' in args) {
    stderr.write(`switchboard shim: ${args.error}\n${USAGE}`);
    return 2;
  }
  return runShim({
    ...overrides,
    profile: args.profile,
    ...(args.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: args.connectTimeoutMs }),
  });
}
