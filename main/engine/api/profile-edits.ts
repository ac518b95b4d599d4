/**
 * Profiles from the UI: `profiles.<name>` set or removed in Switchboard's config file, with the
 * same in-place, checked, atomic edit as servers and settings. A refusal names the field at fault.
 */
import type { ProfileEntry } from '../../../preload/contract/index.ts';
import { ConfigError, parseConfigText } from '../config/index.ts';
import { readJsonObject, removeJsonValue, setJsonChanges } from '../installers/formats/json.ts';
import { joinText, splitText } from '../installers/text.ts';
import { GatewayError } from '../protocol/errors.ts';
import { entryPrefix, fileProblemFirst, rewriteConfigFile } from './server-edits.ts';

export async function saveProfileToConfigFile(file: string, name: string, profile: ProfileEntry): Promise<void> {
  await rewriteConfigFile(
    file,
    (text) => {
      const { body, shape } = splitText(text);
      const description = profile.description?.trim();
      const value = { servers: [...new Set(profile.servers)], ...(description ? { description } : {}) };
      // What changed, key by key: the profile's comments and layout stay, an unchanged save writes nothing.
      const current = readJsonObject(body, file, ['profiles']).find(([n]) => n === name)?.[1];
      const out = setJsonChanges(body, file, ['profiles', name], current, value, shape.eol);
      if (out === body) return text;
      const result = joinText(out, shape);
      parseConfigText(result, file);
      return result;
    },
    (err) => refusal(err, name),
  );
}

export async function removeProfileFromConfigFile(file: string, name: string): Promise<void> {
  await rewriteConfigFile(
    file,
    (text) => {
      const { body, shape } = splitText(text);
      if (!readJsonObject(body, file, ['profiles']).some(([listed]) => listed === name)) {
        const message =
          name === 'default'
            ? `"default" is not listed in ${file}: it is every enabled server, and stays`
            : `there is no profile "${name}" in ${file}`;
        throw new GatewayError('not_found', message, { field: 'name' });
      }
      const result = joinText(removeJsonValue(body, file, ['profiles', name]), shape);
      parseConfigText(result, file);
      return result;
    },
    (err) => refusal(err, name),
  );
}

/** The config's first objection, at the form's field it is about (the name, the servers or the description). */
function refusal(err: unknown, name: string): unknown {
  if (!(err instanceof ConfigError)) return err;
  const issue = err.issues[0];
  if (!issue) return new GatewayError('invalid_request', err.message);
  const entry = entryPrefix(issue.path, 'profiles', name);
  // A problem elsewhere in the file (a server's entry edited by hand) is not this form's: the file's to fix first.
  if (entry === undefined && issue.path !== 'profiles') return fileProblemFirst(issue);
  const rest = entry === undefined ? '' : issue.path.slice(entry.length);
  const field = rest.startsWith('.servers') ? 'servers' : rest.startsWith('.description') ? 'description' : 'name';
  // Said at its field: the message alone, as the Settings screen does.
  return new GatewayError('invalid_request', issue.message, { field });
}
