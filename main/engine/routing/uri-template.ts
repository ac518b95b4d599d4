/**
 * Matching a concrete URI against an RFC 6570 template, enough for routing: `{var}` matches one
 * path segment, `{+var}` / `{#var}` anything, `{/var}` `{?a,b}` `{&a}` `{.var}` `{;var}` their
 * optional parts.
 *
 * Templates come from backends, so no regular expression is built from them (backtracking over
 * several wildcards can take minutes). The matcher walks the template once: each expression
 * takes the text up to the first occurrence of the literal that follows it. That is linear in
 * the URI and good enough for choosing a server.
 */
type Part = { literal: string } | { op: string };

const cache = new Map<string, Part[]>();
const MAX_URI = 4096;

function parse(template: string): Part[] {
  let parts = cache.get(template);
  if (parts) return parts;
  parts = [];
  let last = 0;
  for (const m of template.matchAll(/\{([+#./;?&]?)[^}]*\}/g)) {
    if (m.index > last) parts.push({ literal: template.slice(last, m.index) });
    parts.push({ op: m[1] ?? '' });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  if (cache.size > 1000) cache.clear();
  cache.set(template, parts);
  return parts;
}

/** Characters an expression's value may contain. */
function allowed(op: string, text: string): boolean {
  if (op === '+' || op === '#') return true;
  if (op === '?' || op === '&') return !text.includes('#');
  if (op === '/') return !/[?#]/.test(text);
  return !/[/?#]/.test(text);
}

export function matchesTemplate(template: string, uri: string): boolean {
  if (uri.length > MAX_URI) return false;
  const parts = parse(template);
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if ('literal' in part) {
      if (!uri.startsWith(part.literal, pos)) return false;
      pos += part.literal.length;
      continue;
    }
    // Adjacent expressions share one span: take up to the next literal (or the end).
    let j = i;
    const ops = [part.op];
    while (j + 1 < parts.length && !('literal' in parts[j + 1]!)) ops.push((parts[++j] as { op: string }).op);
    const next = parts[j + 1] as { literal: string } | undefined;
    const end = next ? uri.indexOf(next.literal, pos) : uri.length;
    if (end === -1) return false;
    const value = uri.slice(pos, end);
    const optional = ops.every((op) => op !== '' && op !== '+');
    if (value === '' && !optional) return false;
    if (!ops.some((op) => allowed(op, value))) return false;
    pos = end;
    i = j;
  }
  return pos === uri.length;
}
