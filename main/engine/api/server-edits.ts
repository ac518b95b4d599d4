/**
 * Adding and removing servers from the UI: edits of Switchboard's config file that keep the
 * user's comments, order and formatting, checked by the config's own validation before anything
 * is written, and written atomically only if the file did not change meanwhile. The running
 * gateway then applies the file as it applies any edit. A refusal names the field at fault.
 */
import { realpath } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { addServersToConfig, removeServerFromConfig } from '../adoption/index.ts';
import {
  ConfigError,
  handlerServerSchema,
  parseConfigText,
  remoteServerSchema,
  stdioServerSchema,
} from '../config/index.ts';
import {
  isPlainObject,
  readJsonObject,
  removeJsonValue,
  renameJsonKey,
  setJsonChanges,
  setJsonValue,
} from '../installers/formats/json.ts';
import { joinText, splitText } from '../installers/text.ts';
import { readSnapshot, writeAtomic } from '../installers/safe-file.ts';
import { REDACTED_PLACEHOLDER, type ConfigIssue } from '../../../preload/contract/index.ts';
import { GatewayError } from '../protocol/errors.ts';
import { isReference, looksSecret, maskArgs, maskUrl } from '../secrets/looks-secret.ts';

export async function addServerToConfigFile(file: string, name: string, entry: Record<string, unknown>) {
  await editConfigFile(file, name, (text) => {
    const edit = addServersToConfig(text, file, [{ name, entry }]);
    // Its own code, apart from a different entry: a pasted block sent again finds its first servers in already.
    if (edit.unchanged.length > 0)
      throw new GatewayError(
        'already_configured',
        `a server named "${name}" is already configured, with this same entry`,
        { field: 'name' },
      );
    return edit.text;
  });
}

export async function removeServerFromConfigFile(file: string, name: string): Promise<void> {
  await editConfigFile(file, name, (text) => {
    // Said plainly, before the config's check would (a profile naming a server that is not there).
    const users = readJsonObject(splitText(text).body, file, ['profiles'])
      .filter(([, p]) => isPlainObject(p) && Array.isArray(p.servers) && p.servers.includes(name))
      .map(([profile]) => `"${profile}"`);
    if (users.length > 0)
      throw new GatewayError(
        'invalid_request',
        `server "${name}" is in profile${users.length > 1 ? 's' : ''} ${users.join(', ')}: ` +
          `take it out of ${users.length > 1 ? 'them' : 'it'} first (Profiles), then remove it`,
      );
    return removeServerFromConfig(text, file, name);
  });
}

/**
 * Gives a server another name where it stands in the file (its entry, comments and place kept), and
 * in each profile that lists it. Its secrets keep their names: the entry refers to them as before.
 */
export async function renameServerInConfigFile(file: string, name: string, newName: string): Promise<void> {
  await editConfigFile(file, newName, (text) => {
    const { body, shape } = splitText(text);
    const servers = readJsonObject(body, file, ['mcpServers']).map(([n]) => n);
    if (!servers.includes(name))
      throw new GatewayError('not_found', `there is no server "${name}" in ${file}`, { field: 'name' });
    if (newName === name) return text;
    if (servers.includes(newName))
      throw new GatewayError('name_taken', `a server named "${newName}" is already configured: choose another name`, {
        field: 'name',
      });
    const out = renameJsonKey(body, file, ['mcpServers', name], newName, [
      { path: ['profiles', '*', 'servers'], from: name, to: newName },
    ]);
    const result = joinText(out, shape);
    parseConfigText(result, file);
    return result;
  });
}

async function editConfigFile(file: string, name: string, edit: (text: string) => string): Promise<void> {
  await rewriteConfigFile(file, edit, (err) => refusal(err, name));
}

/**
 * Rewrites the config file with what `edit` makes of its text (which must pass the config's checks,
 * or `edit` throws), atomically and only if the file is still what was read; `refuse` turns a
 * failure into the error its caller shows. Nothing is written when nothing changed.
 */
export async function rewriteConfigFile(
  file: string,
  edit: (text: string) => string,
  refuse: (err: unknown) => unknown,
): Promise<void> {
  // A config linked from elsewhere (a dotfiles folder) is edited where it lives: the link stays.
  const target = await linkedFile(file);
  const before = await readSnapshot(target);
  let text: string;
  try {
    text = edit(before.text);
  } catch (err) {
    throw refuse(err);
  }
  if (text === before.text) return;
  if ((await writeAtomic(target, text, before.hash)) === 'conflict')
    throw new GatewayError(
      'invalid_request',
      `${file} changed while it was being edited; nothing was written, try again`,
    );
}

/** The file `file` is, through any symbolic links; `file` itself when it does not exist yet. */
async function linkedFile(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw err;
  }
}

/**
 * The start of `path` (as the config names an issue's place) that is `section`'s entry `key`, if
 * the issue is inside it. The config names a key as `.key`, or `["key"]` when it is not a plain
 * identifier.
 */
export function entryPrefix(path: string, section: string, key: string): string | undefined {
  return [`${section}.${key}`, `${section}[${JSON.stringify(key)}]`].find(
    (p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
  );
}

/**
 * A problem the file already had, elsewhere than what an edit changes (a value edited by hand): the
 * file's to fix, said with its line and place, and that nothing was written.
 */
export function fileProblemFirst(issue: ConfigIssue): GatewayError {
  const where = issue.path ? `line ${issue.line}, ${issue.path}` : `line ${issue.line}`;
  return new GatewayError(
    'invalid_request',
    `the config file has a problem to fix first, at ${where}: ${issue.message} (the file was not changed)`,
  );
}

/** A config check's refusal as the form shows it: the first problem, at the field it is about. */
function refusal(err: unknown, name: string): unknown {
  // The config edit's own (adding): said as the form says it. A rename's says it already.
  if (err instanceof GatewayError && err.code === 'name_taken' && err.field === undefined)
    return new GatewayError('name_taken', `a server named "${name}" is already configured, with a different entry`, {
      field: 'name',
    });
  if (!(err instanceof ConfigError)) return err;
  const issue = err.issues[0];
  if (!issue) return new GatewayError('invalid_request', err.message);
  const entryPath = entryPrefix(issue.path, 'mcpServers', name);
  // Outside this entry (another server's, the listener's, ...): a problem the file had before the edit.
  if (entryPath === undefined && issue.path !== 'mcpServers') return fileProblemFirst(issue);
  let field: string | undefined;
  if (issue.path === 'mcpServers' || issue.path === entryPath) field = 'name';
  else if (entryPath)
    field = /^(?:\.([^.[]+)|\["((?:[^"\\]|\\.)*)"\])/.exec(issue.path.slice(entryPath.length))?.slice(1).find(Boolean);
  const where = issue.path ? `${issue.path}: ` : '';
  return new GatewayError('invalid_request', `${where}${issue.message}`, field ? { field } : undefined);
}

/** Sets (or, with `undefined`, removes) one key of a server's entry, e.g. `disabled` or `tools.deny`. */
export async function setServerKey(file: string, name: string, key: string[], value: unknown): Promise<void> {
  await editConfigFile(file, name, (text) => {
    const { body, shape } = splitText(text);
    if (!readJsonObject(body, file, ['mcpServers']).some(([n]) => n === name))
      throw new GatewayError('not_found', `there is no server "${name}" in ${file}`);
    const path = ['mcpServers', name, ...key];
    const out =
      value === undefined ? removeJsonValue(body, file, path) : setJsonValue(body, file, path, value, shape.eol);
    const result = out === body ? text : joinText(out, shape);
    parseConfigText(result, file);
    return result;
  });
}

/** The keys the Add/Edit server form owns; an edit keeps every other key of the entry. */
const FORM_KEYS = ['command', 'args', 'env', 'cwd', 'url', 'headers', 'handler', 'entrypoint'];
/** Where a key updateServer keeps is changed instead, when not only in the file. */
const ELSEWHERE: Record<string, string> = { disabled: 'use setServerEnabled', tools: 'use setToolOptions' };
/** Kept when the entry stays the same kind of server; dropped when the form changed its kind. */
const KIND_KEYS = ['type', 'kind'];
const family = (e: Record<string, unknown>) => ('handler' in e ? 'handler' : 'url' in e ? 'remote' : 'command');
/** The keys each kind of entry may have: the others are dropped when the form changes its kind. */
const FAMILY_KEYS = {
  command: new Set(Object.keys(stdioServerSchema.shape)),
  remote: new Set(Object.keys(remoteServerSchema.shape)),
  handler: new Set(Object.keys(handlerServerSchema.shape)),
};

/** A server's entry as the config file holds it (references like `${secret:NAME}` as written). */
export async function readServerEntry(file: string, name: string): Promise<Record<string, unknown>> {
  const { text } = await readSnapshot(file);
  return entryIn(splitText(text).body, file, name);
}

/**
 * The entry for the edit form: values written in plain text that look secret (by their variable
 * or header name, a `--token` argument, a URL password or key) shown as `[redacted]`, which
 * updateServer refuses to write back: the user types them again or uses `${secret:NAME}`.
 */
export function maskEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry };
  for (const key of ['env', 'headers']) {
    const map = entry[key];
    if (typeof map !== 'object' || map === null || Array.isArray(map)) continue;
    out[key] = Object.fromEntries(
      Object.entries(map).map(([k, v]) =>
        typeof v === 'string' && looksSecret(k) && !isReference(v) ? [k, MASK] : [k, v],
      ),
    );
  }
  if (Array.isArray(entry.args) && entry.args.every((a) => typeof a === 'string'))
    out.args = maskArgs(entry.args as string[], MASK);
  for (const key of ['url', 'handler'])
    if (typeof entry[key] === 'string') out[key] = maskUrl(entry[key] as string, MASK);
  return out;
}

const MASK = '[redacted]';

/** A value still showing a placeholder, also as a URL writes it (`?token=%5Bredacted%5D`). */
function holdsPlaceholder(value: unknown): boolean {
  const text = JSON.stringify(value).replace(/%5B/gi, '[').replace(/%5D/gi, ']').replace(/%3A/gi, ':');
  return REDACTED_PLACEHOLDER.test(text);
}

/**
 * Replaces what the form owns of a server's entry (command, args, env, url, headers, ...) and
 * keeps the rest (tools, timeouts, description, disabled). A hidden value sent back as the form
 * showed it keeps the file's value; a placeholder anywhere else is refused, as it would be written
 * instead of the secret. `shownAs` is how the form was shown the entry: masked, and by the gateway
 * also redacted (a URL's user name in an argument, a secret's value the file has as plain text).
 */
export async function updateServerInConfigFile(
  file: string,
  name: string,
  entry: Record<string, unknown>,
  shownAs: (entry: Record<string, unknown>) => Record<string, unknown> = maskEntry,
) {
  await editConfigFile(file, name, (text) => {
    const { body, shape } = splitText(text);
    const current = entryIn(body, file, name);
    // A hidden value the form sends back as it was shown ([redacted]) stays what the file has: only a
    // placeholder somewhere else (moved, or edited around) is refused.
    const shown = shownAs(current);
    const wanted = Object.fromEntries(
      Object.entries(entry).map(([key, value]) => [
        key,
        FORM_KEYS.includes(key) ? unmasked(value, shown[key], current[key]) : value,
      ]),
    );
    const placeholder = Object.entries(wanted).find(([, value]) => holdsPlaceholder(value));
    if (placeholder)
      throw new GatewayError(
        'invalid_request',
        `"${placeholder[0]}" still holds a hidden value ([redacted…]): type the value again, or use \${secret:NAME}`,
        { field: placeholder[0] },
      );
    // A key it does not write, sent with another value than the file's, is said, not taken as saved.
    const other = Object.keys(entry).find(
      (key) => !FORM_KEYS.includes(key) && !isDeepStrictEqual(entry[key], current[key]),
    );
    if (other)
      throw new GatewayError(
        'invalid_request',
        `"${other}" is kept as the config file has it: updateServer changes only ` +
          `${FORM_KEYS.slice(0, -1).join(', ')} and ${FORM_KEYS.at(-1)!} ` +
          `(${ELSEWHERE[other] ?? `change "${other}" in the config file`})`,
        { field: other },
      );
    const path = ['mcpServers', name];
    // Key by key, and only what differs (within env and headers too: one variable is one key
    // written): the entry's comments, order and layout stay, and an unchanged form writes nothing.
    let out = body;
    for (const key of FORM_KEYS) out = setJsonChanges(out, file, [...path, key], current[key], wanted[key], shape.eol);
    // Another kind of server: what only the old kind has (a local command's "isolated", a remote
    // server's "oauth") goes with it; the config would refuse the entry with it, and the form cannot.
    const kind = family(wanted);
    if (family(current) !== kind) {
      for (const key of Object.keys(current))
        if (!FORM_KEYS.includes(key) && (KIND_KEYS.includes(key) || !FAMILY_KEYS[kind].has(key)))
          out = removeJsonValue(out, file, [...path, key]);
    }
    if (out === body) return text;
    const result = joinText(out, shape);
    parseConfigText(result, file);
    return result;
  });
}

/** `wanted`, with each part the form left as it was shown (`shown`, masked) taken from `current`. */
function unmasked(wanted: unknown, shown: unknown, current: unknown): unknown {
  if (isDeepStrictEqual(wanted, shown)) return current;
  if (isPlainObject(wanted) && isPlainObject(shown) && isPlainObject(current))
    return Object.fromEntries(Object.entries(wanted).map(([k, v]) => [k, unmasked(v, shown[k], current[k])]));
  const sameLength = (a: unknown): a is unknown[] => Array.isArray(a) && a.length === (wanted as unknown[]).length;
  if (Array.isArray(wanted) && sameLength(shown) && sameLength(current))
    return wanted.map((v, i) => unmasked(v, shown[i], current[i]));
  return wanted;
}

/** Server `name`'s entry in the config text `body`. */
function entryIn(body: string, file: string, name: string): Record<string, unknown> {
  const entry = readJsonObject(body, file, ['mcpServers']).find(([n]) => n === name)?.[1];
  if (!isPlainObject(entry))
    throw new GatewayError('not_found', `there is no server "${name}" in ${file}`, { field: 'name' });
  return entry;
}
