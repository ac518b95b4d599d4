/**
 * Adding servers to Switchboard's own config file (JSONC). Edited in place like client files, so
 * the user's comments, order and formatting survive; created when missing; the result must pass
 * the config's own validation before it is written.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseConfigText } from '../config/index.ts';
import { GatewayError } from '../protocol/errors.ts';
import { readJsonObject, removeJsonValue, setJsonValue } from '../installers/formats/json.ts';
import { joinText, splitText } from '../installers/text.ts';

export interface ConfigAddition {
  name: string;
  entry: Record<string, unknown>;
}

export interface ConfigEdit {
  text: string;
  /** Names added; names already there with the same entry are skipped. */
  added: string[];
  unchanged: string[];
}

/**
 * `text` is the config's current text ('' when the file does not exist). With `profile` (the one the
 * client will start), the servers also join that profile's list where the config lists it: a client
 * moved to "work" must keep its servers. The implicit "default" takes every server already.
 */
export function addServersToConfig(
  text: string,
  file: string,
  additions: ConfigAddition[],
  profile?: string,
): ConfigEdit {
  const { body, shape } = splitText(text);
  const existing = new Map(readJsonObject(body, file, ['mcpServers']));
  let out = body;
  const added: string[] = [];
  const unchanged: string[] = [];
  for (const { name, entry } of additions) {
    const current = existing.get(name);
    if (current !== undefined) {
      if (isDeepStrictEqual(current, entry)) {
        unchanged.push(name);
        continue;
      }
      throw new GatewayError(
        'name_taken',
        `Switchboard's config (${file}) already has a different server named "${name}"; rename one of them, ` +
          `or leave this one out with --servers`,
      );
    }
    out = setJsonValue(out, file, ['mcpServers', name], entry, shape.eol);
    added.push(name);
  }
  if (profile !== undefined) out = joinProfile(out, file, profile, [...added, ...unchanged], shape.eol);
  const result = out === body ? text : joinText(out, shape);
  parseConfigText(result, file);
  return { text: result, added, unchanged };
}

function joinProfile(body: string, file: string, profile: string, names: string[], eol: string): string {
  const profiles = readJsonObject(body, file, ['profiles']);
  const listed = profiles.find(([name]) => name === profile)?.[1] as { servers?: unknown } | undefined;
  if (listed === undefined) {
    if (profile === 'default') return body;
    const known = ['default', ...profiles.map(([name]) => name).filter((name) => name !== 'default')];
    throw new GatewayError(
      'not_found',
      `there is no profile "${profile}" in ${file} (it has: ${known.join(', ')}); add it there, or pick one of those`,
      { field: 'profile' },
    );
  }
  const servers = Array.isArray(listed.servers) ? (listed.servers as unknown[]) : [];
  const joining = names.filter((name) => !servers.includes(name));
  if (joining.length === 0) return body;
  return setJsonValue(body, file, ['profiles', profile, 'servers'], [...servers, ...joining], eol);
}

/** Removes one server from the config text; the result must still pass validation (a profile may name it). */
export function removeServerFromConfig(text: string, file: string, name: string): string {
  const { body, shape } = splitText(text);
  const out = removeJsonValue(body, file, ['mcpServers', name]);
  if (out === body) throw new GatewayError('not_found', `there is no server "${name}" in ${file}`);
  const result = joinText(out, shape);
  parseConfigText(result, file);
  return result;
}
