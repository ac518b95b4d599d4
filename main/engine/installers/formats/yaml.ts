/**
 * YAML client files: Continue (`mcpServers:` a list of entries with `name`) and Goose
 * (`extensions:` a map). The yaml Document API parses and locates entries; the edit itself cuts
 * or inserts whole lines, because re-serialising the document re-indents lists and requotes
 * strings. Each edit is checked by parsing the result and comparing it with the intended data.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Document, Node, Pair, YAMLMap, YAMLSeq } from 'yaml';
import { GatewayError } from '../../protocol/errors.ts';
import { indentOf, lineStart, nextLineStart } from '../text.ts';
import { parseErrorAt, parseErrorLine } from './errors.ts';
import { yamlLibrary } from './libraries.ts';
import type { FormatEditor } from './types.ts';

function parseYaml(body: string, file: string): Document.Parsed {
  const { isMap, parseDocument } = yamlLibrary();
  const doc = parseDocument(body, { keepSourceTokens: false, uniqueKeys: false });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw parseErrorLine(
      file,
      pos?.line ?? 1,
      pos?.col ?? 1,
      `YAML syntax error: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents))
    throw parseErrorAt(file, body, doc.contents.range?.[0] ?? 0, 'expected a mapping at the top level');
  return doc;
}

/** The top-level pair for `key`, and its value when it is a collection of the wanted kind. */
function section(
  doc: Document.Parsed,
  body: string,
  file: string,
  key: string,
  kind: 'map' | 'seq',
): { pair?: Pair<Node, Node | null>; collection?: YAMLMap | YAMLSeq } {
  const { isMap, isScalar, isSeq } = yamlLibrary();
  const top = doc.contents as YAMLMap<Node, Node | null> | null;
  const pair = top?.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair) return {};
  const value = pair.value;
  if (value === null || (isScalar(value) && (value.value === null || value.value === undefined))) return { pair };
  const ok = kind === 'map' ? isMap(value) : isSeq(value);
  if (!ok)
    throw parseErrorAt(file, body, value.range?.[0] ?? 0, `"${key}" must be a ${kind === 'map' ? 'mapping' : 'list'}`);
  return { pair, collection: value as YAMLMap | YAMLSeq };
}

/** Offset just past the last character of a node (trailing whitespace and comments excluded). */
function contentEnd(body: string, node: Node): number {
  let end = node.range![1];
  while (end > node.range![0] && /\s/.test(body[end - 1]!)) end--;
  return end;
}

interface Item {
  name: string;
  /** First and past-last offsets of the item's whole lines. */
  start: number;
  end: number;
  value: unknown;
}

function seqItems(body: string, seq: YAMLSeq): Item[] {
  const { isMap } = yamlLibrary();
  return seq.items.map((item, index) => {
    const node = item as Node;
    let dash = node.range![0] - 1;
    while (dash > 0 && body[dash] !== '-') dash--;
    const name = isMap(node) ? node.get('name') : undefined;
    // The name is the entry's key; the value is the rest, like the map-shaped formats.
    const { name: _name, ...value } = (isMap(node) ? node.toJSON() : {}) as Record<string, unknown>;
    return {
      name: typeof name === 'string' ? name : `#${index + 1}`,
      start: lineStart(body, dash),
      end: nextLineStart(body, contentEnd(body, node) - 1),
      value,
    };
  });
}

function mapItems(body: string, map: YAMLMap): Item[] {
  const { isScalar } = yamlLibrary();
  return (map.items as Pair<Node, Node | null>[]).map((pair) => {
    const last = pair.value ?? pair.key;
    return {
      name: String(isScalar(pair.key) ? pair.key.value : pair.key),
      start: lineStart(body, pair.key.range![0]),
      end: nextLineStart(body, contentEnd(body, last) - 1),
      value: pair.value?.toJSON() ?? null,
    };
  });
}

function render(value: unknown, indent: string, eol: string, unit = 2): string {
  const text = yamlLibrary().stringify(value, { lineWidth: 0, indent: unit });
  return text
    .split('\n')
    .filter((l, i, all) => i < all.length - 1 || l !== '')
    .map((l) => indent + l + eol)
    .join('');
}

/**
 * The file's indentation step: the least indentation of its lines (comments and blank lines aside), as a
 * 4-space Goose config is written; two spaces when nothing is indented yet.
 */
function indentUnit(body: string): number {
  let least = Infinity;
  for (const m of body.matchAll(/^( +)[^ \r\n#]/gm)) least = Math.min(least, m[1]!.length);
  return least === Infinity ? 2 : Math.min(Math.max(least, 2), 8);
}

function verify(file: string, body: string, after: string, change: (data: Record<string, unknown>) => void): string {
  const { parseDocument } = yamlLibrary();
  const expected = (parseDocument(body).toJS() ?? {}) as Record<string, unknown>;
  change(expected);
  const doc = parseDocument(after);
  if (
    doc.errors.length > 0 ||
    !isDeepStrictEqual(JSON.parse(JSON.stringify(doc.toJS() ?? {})), JSON.parse(JSON.stringify(expected)))
  ) {
    throw new GatewayError(
      'config_invalid',
      `${file}: this file is laid out in a way Switchboard cannot edit line by line (for example a ` +
        `flow-style "{...}" section); edit it by hand (the file was not changed)`,
    );
  }
  return after;
}

interface YamlLayout {
  key: string;
  kind: 'map' | 'seq';
  items(body: string, collection: YAMLMap | YAMLSeq): Item[];
  /** The text of one new item at `indent`, its own levels `unit` spaces deeper each. */
  item(name: string, value: unknown, indent: string, eol: string, unit: number): string;
  /** Applies the change to plain data, for verification. */
  change(data: Record<string, unknown>, name: string, value: unknown | undefined): void;
  /** Top-level keys a file needs before the client accepts it, written when the file is empty. */
  scaffold?: Record<string, string>;
}

function yamlFormat(layout: YamlLayout): FormatEditor {
  const locate = (body: string, file: string) => {
    const doc = parseYaml(body, file);
    const { pair, collection } = section(doc, body, file, layout.key, layout.kind);
    return { doc, pair, collection, items: collection ? layout.items(body, collection) : [] };
  };
  return {
    read: (body, file) => locate(body, file).items.map((i) => [i.name, i.value]),
    set(body, file, name, value, eol) {
      const { doc, pair, collection, items } = locate(body, file);
      const scaffold = doc.contents === null ? (layout.scaffold ?? {}) : {};
      const existing = items.find((i) => i.name === name);
      const last = items[items.length - 1];
      const unit = indentUnit(body);
      let after: string;
      if (existing) {
        const indent = indentOf(body.slice(existing.start));
        after = body.slice(0, existing.start) + layout.item(name, value, indent, eol, unit) + body.slice(existing.end);
      } else if (collection && last) {
        const indent = indentOf(body.slice(last.start));
        const at = last.end;
        const sep = at === body.length && !body.endsWith('\n') ? eol : '';
        after = body.slice(0, at) + sep + layout.item(name, value, indent, eol, unit) + body.slice(at);
      } else if (pair) {
        // `key:` with nothing (or `{}` / `[]`) after it: the line becomes the section header.
        const start = lineStart(body, pair.key.range![0]);
        const end = pair.value?.range
          ? nextLineStart(body, contentEnd(body, pair.value) - 1)
          : nextLineStart(body, pair.key.range![1]);
        // A comment on that line (`extensions: # none yet`) stays on it.
        const colon = body.indexOf(':', pair.key.range![1]);
        const comment = /^[^#]*?([ \t]+#.*?)\r?$/m.exec(body.slice(colon + 1, nextLineStart(body, colon)))?.[1] ?? '';
        const header = `${indentOf(body.slice(start))}${layout.key}:${comment}${eol}`;
        after = body.slice(0, start) + header + layout.item(name, value, ' '.repeat(unit), eol, unit) + body.slice(end);
      } else {
        const base = body === '' || body.endsWith('\n') ? body : body + eol;
        const head = Object.keys(scaffold).length > 0 ? render(scaffold, '', eol) : '';
        after = `${base}${head}${layout.key}:${eol}${layout.item(name, value, ' '.repeat(unit), eol, unit)}`;
      }
      return verify(file, body, after, (data) => {
        Object.assign(data, scaffold);
        layout.change(data, name, value);
      });
    },
    remove(body, file, name) {
      const { pair, items } = locate(body, file);
      const existing = items.find((i) => i.name === name);
      if (!existing) return body;
      let after = body.slice(0, existing.start) + body.slice(existing.end);
      if (items.length === 1 && pair) {
        // `key:` with nothing under it reads as null, and Continue then refuses its whole file: the
        // section stays, empty.
        const colon = body.indexOf(':', pair.key.range![1]);
        const empty = layout.kind === 'seq' ? '[]' : '{}';
        const header = `${body.slice(0, colon + 1)} ${empty}${body.slice(colon + 1, existing.start)}`;
        after = header + body.slice(existing.end);
      }
      return verify(file, body, after, (data) => layout.change(data, name, undefined));
    },
  };
}

/**
 * Continue: `mcpServers:` is a list of entries, each with a `name`. Its schema requires a top-level
 * `name` and `version` (without them it loads none of the file), so a new file starts with them.
 */
export function continueFormat(): FormatEditor {
  return yamlFormat({
    key: 'mcpServers',
    scaffold: { name: 'Local Assistant', version: '1.0.0', schema: 'v1' },
    kind: 'seq',
    items: (body, c) => seqItems(body, c as YAMLSeq),
    item: (name, value, indent, eol, unit) =>
      render([{ name, ...(value as Record<string, unknown>) }], indent, eol, unit),
    change(data, name, value) {
      const list = Array.isArray(data.mcpServers) ? [...(data.mcpServers as Record<string, unknown>[])] : [];
      const index = list.findIndex((s) => s?.name === name);
      const entry = value === undefined ? undefined : { name, ...(value as Record<string, unknown>) };
      if (index >= 0) {
        if (entry) list[index] = entry;
        else list.splice(index, 1);
      } else if (entry) list.push(entry);
      data.mcpServers = list;
    },
  });
}

/** Goose: `extensions:` is a map of name to entry. */
export function gooseFormat(): FormatEditor {
  return yamlFormat({
    key: 'extensions',
    kind: 'map',
    items: (body, c) => mapItems(body, c as YAMLMap),
    item: (name, value, indent, eol, unit) => render({ [name]: value }, indent, eol, unit),
    change(data, name, value) {
      const map = { ...((data.extensions as Record<string, unknown> | null) ?? {}) };
      if (value === undefined) delete map[name];
      else map[name] = value;
      data.extensions = map;
    },
  });
}
