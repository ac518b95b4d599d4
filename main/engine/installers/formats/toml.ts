/**
 * Codex's config.toml. Our entry is one `[mcp_servers.NAME]` table block, edited as text, so every
 * other byte of the file stays as it was; smol-toml only parses (errors with line and column)
 * and checks that the edited file means exactly the old one plus or minus that entry.
 */
import { isDeepStrictEqual } from 'node:util';
import { GatewayError } from '../../protocol/errors.ts';
import { lineStart, nextLineStart } from '../text.ts';
import { parseErrorLine } from './errors.ts';
import { tomlLibrary } from './libraries.ts';
import type { FormatEditor } from './types.ts';

function parseToml(body: string, file: string): Record<string, unknown> {
  const { parse, TomlError } = tomlLibrary();
  try {
    return parse(body) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError)
      throw parseErrorLine(file, err.line, err.column, `TOML syntax error: ${err.message.split('\n')[0]}`);
    throw err;
  }
}

function serversOf(data: Record<string, unknown>, file: string, root: string): Record<string, unknown> {
  const servers = data[root];
  if (servers === undefined) return {};
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    throw new GatewayError('config_invalid', `${file}: "${root}" must be a table (the file was not changed)`);
  }
  return servers as Record<string, unknown>;
}

/** A TOML key path, as written in a table header: `mcp_servers."my server".env`. */
export function parseKeyPath(text: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  const skip = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skip();
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = c === '"' ? findClosingQuote(text, i + 1) : text.indexOf("'", i + 1);
      if (close === -1) return undefined;
      const raw = text.slice(i, close + 1);
      parts.push(c === '"' ? (JSON.parse(raw) as string) : raw.slice(1, -1));
      i = close + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    skip();
    if (i >= text.length) return parts;
    if (text[i] !== '.') return undefined;
    i++;
  }
}

function findClosingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

interface Header {
  /** Offset of the header line. */
  start: number;
  key: string[] | undefined;
}

/** Table headers (`[a.b]`, `[[a]]`) outside multi-line strings, in order. */
function headers(body: string): Header[] {
  const out: Header[] = [];
  let inString: '"""' | "'''" | undefined;
  let offset = 0;
  for (const line of body.split('\n')) {
    if (inString) {
      if (countDelimiters(line, inString) % 2 === 1) inString = undefined;
    } else {
      const m = /^\s*\[(\[?)([^\]]*)\]\]?\s*(?:#.*)?\r?$/.exec(line);
      if (m) out.push({ start: offset, key: m[1] ? undefined : parseKeyPath(m[2]!) });
      else {
        for (const d of ['"""', "'''"] as const) if (countDelimiters(line, d) % 2 === 1) inString = d;
      }
    }
    offset += line.length + 1;
  }
  return out;
}

function countDelimiters(line: string, d: string): number {
  let n = 0;
  for (let i = line.indexOf(d); i !== -1; i = line.indexOf(d, i + 3)) n++;
  return n;
}

/**
 * Ranges of the blocks that make up entry `name` (its table and sub-tables), without the trailing blank/comment lines.
 */
function entryBlocks(body: string, root: string, name: string): { start: number; end: number }[] {
  const all = headers(body);
  const blocks: { start: number; end: number }[] = [];
  all.forEach((h, i) => {
    if (!h.key || h.key[0] !== root || h.key[1] !== name) return;
    let end = all[i + 1]?.start ?? body.length;
    // Blank and comment lines just before the next header belong to what follows.
    for (;;) {
      const prevLine = lineStart(body, Math.max(end - 1, 0));
      if (prevLine <= h.start) break;
      const text = body.slice(prevLine, end).trim();
      if (text !== '' && !text.startsWith('#')) break;
      end = prevLine;
    }
    blocks.push({
      start: h.start,
      end: end === body.length && !body.endsWith('\n') ? end : nextLineStart(body, Math.max(end - 1, h.start)),
    });
  });
  return blocks;
}

/**
 * Where taking block `b` out of `text` starts: with the blank line before it when a blank line or the
 * end of the file follows (the one install put before an appended block, or one between tables), so
 * blank lines do not pile up where it was.
 */
function cutStart(text: string, b: { start: number; end: number }): number {
  if (b.start === 0) return 0;
  const prev = lineStart(text, b.start - 1);
  if (text.slice(prev, b.start).trim() !== '') return b.start;
  return text.slice(b.end, nextLineStart(text, b.end)).trim() === '' ? prev : b.start;
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)
      .join(', ')} }`;
  throw new GatewayError('invalid_request', `cannot write ${String(value)} to TOML`);
}

function renderBlock(root: string, name: string, value: unknown, eol: string): string {
  const lines = [`[${root}.${tomlKey(name)}]`];
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    if (v !== undefined) lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
  return lines.join(eol) + eol;
}

/**
 * Block `b` (our entry's one table) with its keys made those of `value`, line by line: a key whose value
 * stays keeps its line (and the comment on it), comment and blank lines stay, a changed key gets a new
 * line where it was, a new one goes after the last. Undefined when a key there is not one plain line
 * (an array over several lines, a dotted key): the block is then written whole.
 */
function updatedBlock(
  body: string,
  b: { start: number; end: number },
  was: Record<string, unknown>,
  value: Record<string, unknown>,
  eol: string,
): string | undefined {
  const lines = body.slice(b.start, b.end).split('\n');
  const last = lines.pop(); // '' after the final line end, or an unended last line
  if (last !== '') lines.push(last!);
  const out = [lines[0]!];
  const seen = new Set<string>();
  let lastKey = 1; // after the header, at least
  for (const line of lines.slice(1)) {
    const text = line.replace(/\r$/, '');
    if (text.trim() === '' || text.trim().startsWith('#')) {
      out.push(line);
      continue;
    }
    const m = /^([ \t]*)([^=#]+?)[ \t]*=/.exec(text);
    const key = m && parseKeyPath(m[2]!);
    if (!m || key?.length !== 1 || seen.has(key[0]!)) return undefined;
    let parsed: Record<string, unknown>;
    try {
      parsed = tomlLibrary().parse(text) as Record<string, unknown>;
    } catch {
      return undefined; // a value over several lines
    }
    const name = key[0]!;
    seen.add(name);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(parsed[name])), was[name])) return undefined;
    if (value[name] === undefined) continue;
    out.push(
      isDeepStrictEqual(value[name], was[name]) ? line : `${m[1]}${tomlKey(name)} = ${tomlValue(value[name])}${eol}`,
    );
    lastKey = out.length;
  }
  const added = Object.keys(value).filter((k) => !seen.has(k) && value[k] !== undefined);
  out.splice(lastKey, 0, ...added.map((k) => `${tomlKey(k)} = ${tomlValue(value[k])}${eol}`));
  return out.map((l, i) => (i === out.length - 1 && last !== '' ? l : l.endsWith(eol) ? l : `${l}\n`)).join('');
}

/** Whether `afterText` means `before` with entry `name` set to `value` (removed: undefined), and nothing else. */
function means(
  file: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  root: string,
  name: string,
  value: unknown,
): boolean {
  const expected = structuredClone(before);
  const servers = { ...serversOf(expected, file, root) };
  if (value === undefined) delete servers[name];
  else servers[name] = value;
  expected[root] = servers;
  return isDeepStrictEqual(comparable(after, root), comparable(expected, root));
}

function check(
  file: string,
  before: Record<string, unknown>,
  afterText: string,
  root: string,
  name: string,
  value: unknown,
): void {
  let after: Record<string, unknown>;
  try {
    after = tomlLibrary().parse(afterText) as Record<string, unknown>;
  } catch (err) {
    throw new GatewayError(
      'config_invalid',
      `${file}: cannot change "${root}.${name}" without rewriting other parts of the file ` +
        `(${(err as Error).message.split('\n')[0]}); edit it by hand (the file was not changed)`,
    );
  }
  if (!means(file, before, after, root, name, value)) throw notABlock(file, root, name);
}

function notABlock(file: string, root: string, name: string): GatewayError {
  return new GatewayError(
    'config_invalid',
    `${file}: "${root}.${tomlKey(name)}" is written in a form Switchboard cannot edit as a table block (dotted ` +
      `keys, or an inline table it cannot take out alone); edit it by hand, or write it as a ` +
      `[${root}.${tomlKey(name)}] table (the file was not changed)`,
  );
}

/**
 * Entry `name` written as one key of the `[root]` table, `name = { command = … }` (an inline table,
 * whose arrays may span lines): its whole lines, from the key's to the first line end after which the
 * file means the old one without it. Undefined when it is not written so.
 */
function inlineEntry(
  body: string,
  file: string,
  before: Record<string, unknown>,
  root: string,
  name: string,
): { start: number; end: number; indent: string } | undefined {
  const all = headers(body);
  for (const [i, h] of all.entries()) {
    if (h.key?.length !== 1 || h.key[0] !== root) continue;
    const blockEnd = all[i + 1]?.start ?? body.length;
    for (let start = nextLineStart(body, h.start); start < blockEnd; start = nextLineStart(body, start)) {
      const key = /^([ \t]*)([^=#]+?)[ \t]*=/.exec(body.slice(start, nextLineStart(body, start)));
      if (!key || !isDeepStrictEqual(parseKeyPath(key[2]!), [name])) continue;
      for (let end = nextLineStart(body, start); ; end = nextLineStart(body, end)) {
        let after: Record<string, unknown> | undefined;
        try {
          after = tomlLibrary().parse(body.slice(0, start) + body.slice(end)) as Record<string, unknown>;
        } catch {
          // Not the end of the value yet (an array going on over lines).
        }
        if (after && means(file, before, after, root, name, undefined)) return { start, end, indent: key[1]! };
        if (end >= blockEnd) return undefined;
      }
    }
  }
  return undefined;
}

/** Plain JSON data, with an empty server table counted as none. */
function comparable(data: Record<string, unknown>, root: string): unknown {
  const copy = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  const servers = copy[root];
  if (servers && typeof servers === 'object' && Object.keys(servers).length === 0) delete copy[root];
  return copy;
}

export function tomlFormat(root: string): FormatEditor {
  return {
    read: (body, file) =>
      Object.entries(
        JSON.parse(JSON.stringify(serversOf(parseToml(body, file), file, root))) as Record<string, unknown>,
      ),
    set(body, file, name, value, eol) {
      const before = parseToml(body, file);
      const blocks = entryBlocks(body, root, name);
      const block = renderBlock(root, name, value, eol);
      const was = serversOf(before, file, root)[name];
      // One block of ours with each key on one line: changed line by line (undefined: written whole).
      const updated =
        blocks.length === 1 && typeof was === 'object' && was !== null && !Array.isArray(was)
          ? updatedBlock(
              body,
              blocks[0]!,
              JSON.parse(JSON.stringify(was)) as Record<string, unknown>,
              value as Record<string, unknown>,
              eol,
            )
          : undefined;
      let after: string;
      if (blocks.length === 0 && name in serversOf(before, file, root)) {
        // Written as one key of the [root] table: it stays one, where it is.
        const line = inlineEntry(body, file, before, root, name);
        if (!line) throw notABlock(file, root, name);
        after =
          body.slice(0, line.start) +
          `${line.indent}${tomlKey(name)} = ${tomlValue(value)}${eol}` +
          body.slice(line.end);
      } else if (updated !== undefined) {
        after = body.slice(0, blocks[0]!.start) + updated + body.slice(blocks[0]!.end);
      } else if (blocks.length > 0) {
        after = body;
        for (const [i, b] of [...blocks.entries()].reverse())
          after =
            i === 0
              ? after.slice(0, b.start) + block + after.slice(b.end)
              : after.slice(0, cutStart(after, b)) + after.slice(b.end);
      } else {
        const base = body === '' || body.endsWith('\n') ? body : body + eol;
        after = base + (base.trim() === '' ? '' : eol) + block;
      }
      check(file, before, after, root, name, value);
      return after;
    },
    remove(body, file, name) {
      const before = parseToml(body, file);
      const blocks = entryBlocks(body, root, name);
      if (blocks.length === 0 && name in serversOf(before, file, root)) {
        const line = inlineEntry(body, file, before, root, name);
        if (!line) throw notABlock(file, root, name);
        return body.slice(0, line.start) + body.slice(line.end);
      }
      let after = body;
      for (const b of [...blocks].reverse()) after = after.slice(0, cutStart(after, b)) + after.slice(b.end);
      if (after !== body) check(file, before, after, root, name, undefined);
      return after;
    },
  };
}
