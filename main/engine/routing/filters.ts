/** Per-server allow/deny lists (with `*` globs) and aliases for tools and prompts. */
export interface NameFilter {
  allow?: string[];
  deny?: string[];
  aliases?: Record<string, string>;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export interface CompiledFilter {
  /** Whether the upstream's original name is exposed at all. */
  includes(name: string): boolean;
  /** The alias chosen by the user for this original name, if any. */
  alias(name: string): string | undefined;
}

export function compileFilter(filter: NameFilter | undefined): CompiledFilter {
  const allow = filter?.allow?.map(globToRegExp) ?? [];
  const deny = filter?.deny?.map(globToRegExp) ?? [];
  const aliases = filter?.aliases ?? {};
  return {
    includes: (name) => (allow.length === 0 || allow.some((r) => r.test(name))) && !deny.some((r) => r.test(name)),
    alias: (name) => (Object.hasOwn(aliases, name) ? aliases[name] : undefined),
  };
}
