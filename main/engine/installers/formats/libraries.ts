/**
 * yaml (~14 MB of RSS) and smol-toml (~4 MB) load on the first YAML or TOML client file read or
 * written, not when the gateway starts: most gateways never touch one. The format editors are
 * synchronous (FormatEditor), so each library is required synchronously, once, on first use
 * instead of imported: the editors keep their signatures and can never run without it.
 */
import { createRequire } from 'node:module';
import type * as SmolToml from 'smol-toml';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);

let yaml: typeof Yaml | undefined;
let toml: typeof SmolToml | undefined;

export const yamlLibrary = (): typeof Yaml => (yaml ??= require('yaml') as typeof Yaml);
export const tomlLibrary = (): typeof SmolToml => (toml ??= require('smol-toml') as typeof SmolToml);
