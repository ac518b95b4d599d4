/**
 * The Settings screen's changes: a few keys of Switchboard's config file set in place (comments,
 * order and formatting kept), checked by the config loader before anything is written, written
 * atomically. A refusal names the setting it is about.
 */
import type { SettingsChange } from '../../../preload/contract/index.ts';
import { ConfigError, parseConfigText } from '../config/index.ts';
import { readJsonObject, setJsonValue } from '../installers/formats/json.ts';
import { joinText, splitText } from '../installers/text.ts';
import { GatewayError } from '../protocol/errors.ts';
import { fileProblemFirst, rewriteConfigFile } from './server-edits.ts';

/** Where each setting lives in the config file. */
const PATHS: { readonly [K in keyof Required<SettingsChange>]: string[] } = {
  httpPort: ['listen', 'http', 'port'],
  trafficEnabled: ['traffic', 'enabled'],
  historyDays: ['traffic', 'history', 'days'],
  historyMaxBytes: ['traffic', 'history', 'maxBytes'],
};

export async function changeSettings(file: string, change: SettingsChange): Promise<void> {
  await rewriteConfigFile(
    file,
    (text) => {
      const { body, shape } = splitText(text);
      let out = change.httpPort === undefined ? body : httpAsObject(body, file, shape.eol);
      for (const [key, path] of Object.entries(PATHS) as [keyof SettingsChange, string[]][]) {
        const value = change[key];
        if (value !== undefined) out = setJsonValue(out, file, path, value, shape.eol);
      }
      if (out === body) return text;
      const result = joinText(out, shape);
      parseConfigText(result, file);
      return result;
    },
    (err) => refusal(err, change),
  );
}

/**
 * `"http": true` is the listener with its defaults: it becomes an object, for the port to go into (the
 * port was refused as `"listen.http" must be an object`). With `false` there is no port to change.
 */
function httpAsObject(body: string, file: string, eol: string): string {
  const http = readJsonObject(body, file, ['listen']).find(([key]) => key === 'http')?.[1];
  if (http === false)
    throw new GatewayError(
      'invalid_request',
      'HTTP is off in the config ("listen": { "http": false }): there is no port to change until it is turned on',
      { field: 'httpPort' },
    );
  return http === true ? setJsonValue(body, file, ['listen', 'http'], {}, eol) : body;
}

function refusal(err: unknown, change: SettingsChange): unknown {
  if (!(err instanceof ConfigError)) return err;
  const issue = err.issues[0];
  if (!issue) return new GatewayError('invalid_request', err.message);
  // Only a value this change sets: a setting the file already had wrong (edited by hand) is not the
  // box's, which shows the value that runs.
  const field = (Object.entries(PATHS) as [keyof SettingsChange, string[]][]).find(
    ([key, path]) => change[key] !== undefined && issue.path === path.join('.'),
  )?.[0];
  // Said at its field, which already names the setting; anything else is the file's own, said with where it is.
  if (field) return new GatewayError('invalid_request', issue.message, { field });
  return fileProblemFirst(issue);
}
