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

/** `text` is the config's current text ('' when the file does not exist). */
export function addServersToConfig(text: string, file: string, additions: ConfigAddition[]): ConfigEdit {
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
        'invalid_request',
        `Switchboard's config (${file}) already has a different server named "${name}"; rename one of them, ` +
          `or leave this one out with --servers`,
      );
    }
    out = setJsonValue(out, file, ['mcpServers', name], entry, shape.eol);
    added.push(name);
  }
  const result = out === body ? text : joinText(out, shape);
  parseConfigText(result, file);
  return { text: result, added, unchanged };
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
