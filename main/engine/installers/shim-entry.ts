/** The command line a client runs to reach Switchboard: `<executable> <script> shim --profile P`. */
import path from 'node:path';
import { GatewayError } from '../protocol/errors.ts';
import type { ShimCommand } from './types.ts';

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface ShimOptions {
  /** Absolute path of the program to run: Node (process.execPath) or the app's executable. */
  executable: string;
  /** Absolute path of bin/switchboard.js (omit when the executable is Switchboard itself). */
  script?: string;
  profile: string;
  /** Extra environment, e.g. ELECTRON_RUN_AS_NODE=1 when the executable is Electron. */
  env?: Record<string, string>;
  platform?: NodeJS.Platform;
}

export interface ShimEntry {
  shim: ShimCommand;
  /** Things the user should know (a path with spaces). */
  warnings: string[];
}

export function shimCommand(options: ShimOptions): ShimEntry {
  const p = (options.platform ?? process.platform) === 'win32' ? path.win32 : path.posix;
  if (!PROFILE_NAME.test(options.profile)) {
    throw new GatewayError(
      'invalid_request',
      `invalid profile name ${JSON.stringify(options.profile)}: use letters, digits, "_", "." and "-"`,
    );
  }
  const paths = [options.executable, ...(options.script ? [options.script] : [])];
  for (const file of paths) {
    if (!p.isAbsolute(file))
      throw new GatewayError(
        'invalid_request',
        `the shim needs absolute paths (clients start it without a shell or PATH): ${file}`,
      );
  }
  const warnings = paths
    .filter((file) => /\s/.test(file))
    .map(
      (file) =>
        `${file} contains a space; it is written as one argument, but some clients (notably on Windows) ` +
        `split arguments at spaces. If the client cannot start Switchboard, move it to a path without spaces.`,
    );
  return {
    shim: {
      command: options.executable,
      args: [...(options.script ? [options.script] : []), 'shim', '--profile', options.profile],
      ...(options.env && Object.keys(options.env).length > 0 ? { env: options.env } : {}),
    },
    warnings,
  };
}

/** The profile a shim entry's args name, if it is one of ours. */
export function profileOf(args: unknown): string | undefined {
  if (!Array.isArray(args)) return undefined;
  const i = args.indexOf('--profile');
  const value = i >= 0 ? args[i + 1] : undefined;
  return typeof value === 'string' ? value : args.includes('shim') ? 'default' : undefined;
}

/**
 * The profile a server entry starts when what it runs is Switchboard's shim, whatever the entry is
 * called (`switchboard` renamed, or a second one copied for another profile): `… switchboard.js shim
 * --profile P`, the app's `switchboard-shim.mjs`, or a `switchboard` program itself. Such a server
 * must never become a server of Switchboard's own.
 */
export function shimProfileOf(command: string, args: readonly string[]): string | undefined {
  const at = args.indexOf('shim');
  const named = (file: string | undefined) => file !== undefined && /switchboard/i.test(file.split(/[\\/]/).pop()!);
  if (!(at === 0 ? named(command) : at === 1 && named(args[0]))) return undefined;
  return args[at + 1] === '--profile' && typeof args[at + 2] === 'string' ? args[at + 2] : 'default';
}

/**
 * What a client whose entry starts a profile the config no longer has should hear: the gateway
 * refuses it at its start (a profile renamed or removed by hand, or in the app).
 */
export function lostProfileProblem(profile: string, profiles: readonly string[]): string {
  return (
    `it starts profile "${profile}", which the config no longer has, so Switchboard refuses it at its start ` +
    `(the config has ${profiles.map((n) => `"${n}"`).join(', ')}): install again with one of those`
  );
}
