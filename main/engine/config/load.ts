/** Reading the config file: text -> validated, normalized config, or a ConfigError listing every problem. */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix, win32 } from 'node:path';
import { errorMessage } from '../protocol/errors.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { lineColumn, locate, parseJsonc } from './jsonc.ts';
import { normalizeConfig } from './normalize.ts';
import { formatPath } from './paths.ts';
import type { ResolvedConfig } from './schema.ts';
import { validateConfigValue } from './validate.ts';

export interface LoadedConfig {
  /** The file it came from. */
  path: string;
  config: ResolvedConfig;
  /** sha256 (hex) of the file's text: the watcher skips saves that change nothing. */
  hash: string;
  /** Nothing but whitespace, or comments: an empty config, which a running gateway does not apply. */
  blank?: 'empty' | 'comments';
}

/**
 * Why a blank file is not applied to a gateway that runs servers: it is what a save looks like
 * between emptying the file and writing it, or a config commented out by mistake.
 */
export function blankConfigError(file: string, blank: 'empty' | 'comments'): ConfigError {
  const what = blank === 'empty' ? 'is empty' : 'has nothing but comments';
  return new ConfigError(
    'config_invalid',
    `${file} ${what}: the servers keep running as they are (a config with no servers is "{}")`,
  );
}

export function hashConfigText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Parses and validates config text; throws ConfigError ('config_invalid') with every issue. */
export function parseConfigText(text: string, file: string): LoadedConfig {
  const hash = hashConfigText(text);
  // Windows editors like to start files with a BOM; it is not JSON.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;

  const parsed = parseJsonc(source);
  if (!parsed.ok) {
    throw ConfigError.invalid(
      parsed.issues.map((issue) => ({
        file,
        ...lineColumn(source, issue.offset),
        path: formatPath(issue.path),
        message: issue.message,
      })),
    );
  }

  const validated = validateConfigValue(parsed.value);
  const problems = [...parsed.issues, ...(validated.ok ? [] : validated.issues)];
  if (problems.length > 0 || !validated.ok) {
    const issues: ConfigIssue[] = problems.map((issue) => ({
      file,
      ...lineColumn(source, locate(parsed.root, issue.path, issue.atKey)),
      path: formatPath(issue.path),
      message: issue.message,
    }));
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw ConfigError.invalid(issues);
  }
  const loaded: LoadedConfig = { path: file, config: normalizeConfig(validated.parsed), hash };
  if (parsed.root === undefined) loaded.blank = source.trim() === '' ? 'empty' : 'comments';
  return loaded;
}

/**
 * The file's bytes as text. Anything but UTF-8 is refused, saying how to fix it: read as UTF-8 a
 * Latin-1 "ü" in a value or path becomes "\uFFFD" and fails far from here, and a UTF-16 file (as
 * Notepad's "Unicode" saves it) is one long syntax error at 1:1.
 */
export function decodeConfigBytes(bytes: Buffer, file: string): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0);
  if (utf16)
    throw new ConfigError('config_invalid', `${file} is UTF-16 text: save it as UTF-8 (the encoding JSON files use)`);
  const lossy = bytes.toString('utf8');
  const line = lossy.slice(0, lossy.indexOf('\uFFFD')).split('\n').length;
  throw new ConfigError(
    'config_invalid',
    `${file}:${line}: not UTF-8 text (another encoding, such as Latin-1, was used): save the file as UTF-8`,
  );
}

/** Reads and parses the file; 'config_unreadable' when it cannot be read (see isConfigMissing). */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const sourceKey = unreadableKey(err);
    throw new ConfigError('config_unreadable', unreadableMessage(path, err, false), [], {
      cause: err,
      sourceKey,
    });
  }
  let text: string;
  try {
    text = decodeConfigBytes(bytes, path);
    return parseConfigText(text, path);
  } catch (err) {
    throw err instanceof ConfigError ? err.about(bytesKey(bytes)) : err;
  }
}

/** The key of the file's content (the watcher's, which skips saves that change nothing). */
export function bytesKey(bytes: Buffer): string {
  return isUtf8(bytes) ? hashConfigText(bytes.toString('utf8')) : `bytes:${hashConfigText(bytes.toString('latin1'))}`;
}

/**
 * Why the file could not be read, naming it once: Node's own message repeats the path
 * ("ENOENT: no such file or directory, open '…'"). A file the watcher saw go is said to be gone.
 */
export function unreadableMessage(file: string, err: unknown, watched: boolean): string {
  if ((err as { code?: unknown }).code === 'ENOENT')
    return watched ? `${file} is gone (deleted or moved)` : `no config file at ${file}`;
  const why = errorMessage(err).replace(/, \w+ '[^']*'$/, '');
  return `cannot read ${file}: ${why}`;
}

/** The config watcher's key for a file that cannot be read: a file that stays missing is one state. */
export function unreadableKey(err: unknown): string {
  return `unreadable:${(err as { code?: string }).code ?? 'unknown'}`;
}

/**
 * True when the error means "there is no config file" (ENOENT). At the default path that means
 * an empty config; at a path the user gave, it is an error. The caller knows which.
 */
export function isConfigMissing(err: unknown): err is ConfigError {
  if (!(err instanceof ConfigError) || err.code !== 'config_unreadable') return false;
  const cause = err.cause as { code?: unknown } | undefined;
  return cause?.code === 'ENOENT';
}

/** Where the config lives unless SWITCHBOARD_CONFIG says otherwise. */
export function defaultConfigPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, homedir: string): string {
  const override = env.SWITCHBOARD_CONFIG;
  // Relative to where the command ran: a gateway started elsewhere (by the shim) must find the same file.
  if (override) return (platform === 'win32' ? win32 : posix).resolve(override);
  if (platform === 'win32') {
    const appData = env.APPDATA || win32.join(homedir, 'AppData', 'Roaming');
    return win32.join(appData, 'Switchboard', 'config.json');
  }
  if (platform === 'darwin') return posix.join(homedir, 'Library', 'Application Support', 'Switchboard', 'config.json');
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(homedir, '.config');
  return posix.join(base, 'switchboard', 'config.json');
}
