/**
 * Tool aliases that could come to mean another tool: one in a server's namespace (`fy__echo`,
 * a name that server's own tools get), or one another server's tool already has as its alias. The
 * names book settles such a clash by who claimed first, so which tool the name means would depend
 * on which server came up first, and could change at the next start.
 */
import { fitName, isValidExposedName, MAX_NAME_LENGTH, nameKey, sanitize } from './naming.ts';

interface AliasedServer {
  tools: { aliases?: Readonly<Record<string, string>> | undefined };
  prompts?: { aliases?: Readonly<Record<string, string>> | undefined };
}

/**
 * Why clients would not get `alias` as written: a character the strictest clients refuse, or more
 * than 64 of them. It is given cleaned and with a hash (naming.ts), a name nobody chose.
 */
export function aliasMisfit(server: string, item: string, alias: string): string | undefined {
  if (isValidExposedName(alias)) return undefined;
  const why =
    [...alias].length > MAX_NAME_LENGTH
      ? `is longer than ${MAX_NAME_LENGTH} characters`
      : `has characters not every client accepts (only letters, digits, "_" and "-" are)`;
  return `"${alias}" ${why}, so clients would get it as "${fitName(alias, nameKey(server, item))}"`;
}

/** Every alias of the config that clients would get under another name, one line each (for the log). */
export function aliasMisfits(servers: Readonly<Record<string, AliasedServer>>): string[] {
  const out: string[] = [];
  for (const [server, entry] of Object.entries(servers)) {
    for (const kind of ['tools', 'prompts'] as const) {
      for (const [item, alias] of Object.entries(entry[kind]?.aliases ?? {})) {
        const why = aliasMisfit(server, item, alias);
        if (why) out.push(`server "${server}", ${kind}.aliases.${item}: ${why}; choose a name that fits`);
      }
    }
  }
  return out;
}

/** Why `alias` for a tool of `server` could come to mean another tool, or undefined when it cannot. */
export function aliasConflict(
  servers: Readonly<Record<string, AliasedServer>>,
  separator: string,
  server: string,
  alias: string,
): string | undefined {
  for (const [name, entry] of Object.entries(servers)) {
    const namespace = [name, sanitize(name)].map((n) => `${n}${separator}`).find((p) => alias.startsWith(p));
    if (namespace !== undefined)
      return (
        `"${alias}" is a name in the namespace of server "${name}" (its tools are named ${namespace}…), ` +
        `so it could mean one of its tools: choose a name that does not start with "${namespace}"`
      );
    if (name === server) continue;
    const owner = Object.entries(entry.tools.aliases ?? {}).find(([, a]) => a === alias)?.[0];
    if (owner !== undefined) return `"${alias}" is already the alias of "${owner}" of server "${name}"`;
  }
  return undefined;
}

/** Every alias of the config that could come to mean another tool, one line each (for the log). */
export function aliasConflicts(servers: Readonly<Record<string, AliasedServer>>, separator: string): string[] {
  const out: string[] = [];
  for (const [server, entry] of Object.entries(servers)) {
    for (const [tool, alias] of Object.entries(entry.tools.aliases ?? {})) {
      const why = aliasConflict(servers, separator, server, alias);
      if (why) out.push(`server "${server}", tools.aliases.${tool}: ${why}`);
    }
  }
  return out;
}
