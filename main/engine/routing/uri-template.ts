/**
 * Matching a concrete URI against an RFC 6570 template, enough for routing: `{var}` matches one
 * path segment, `{+var}` / `{#var}` anything, `{/var}` `{?a,b}` `{&a}` their optional parts.
 */
const cache = new Map<string, RegExp>();

export function templateToRegExp(template: string): RegExp {
  let re = cache.get(template);
  if (re) return re;
  let source = '^';
  let last = 0;
  for (const m of template.matchAll(/\{([+#./;?&]?)([^}]*)\}/g)) {
    source += escape(template.slice(last, m.index));
    const op = m[1];
    if (op === '+' || op === '#') source += op === '#' ? '(?:#.*)?' : '.*';
    else if (op === '?' || op === '&') source += '(?:[?&][^#]*)?';
    else if (op === '/') source += '(?:/[^?#]*)?';
    else if (op === '.') source += '(?:\\.[^/?#]*)?';
    else if (op === ';') source += '(?:;[^/?#]*)*';
    else source += '[^/?#]+';
    last = m.index + m[0].length;
  }
  source += escape(template.slice(last)) + '$';
  re = new RegExp(source);
  cache.set(template, re);
  return re;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function matchesTemplate(template: string, uri: string): boolean {
  return templateToRegExp(template).test(uri);
}
