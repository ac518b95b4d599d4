/**
 * JSON and JSONC client files (most clients). Edits are minimal insertions and deletions on the
 * parse tree — jsonc-parser's own `modify` re-formats neighbouring entries — so comments,
 * trailing commas, order, unknown keys, indentation and line endings stay exactly as they were.
 * Every edit is checked by parsing the result.
 */
import { isDeepStrictEqual } from 'node:util';
import { getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { indentBlock, indentOf, lineStart, nextLineStart } from '../text.ts';
import { parseErrorAt } from './errors.ts';
import { outlineAfterEdit, outlineOf } from './json-outline.ts';
import { SYNTAX_MESSAGES } from '../../config/jsonc.ts';
import type { FormatEditor } from './types.ts';

/** Parses JSONC; undefined for a file with nothing but whitespace and comments. */
export function parseJsoncTree(body: string, file: string): Node | undefined {
  if (skipTrivia(body, 0) >= body.length) return undefined;
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first)
    throw parseErrorAt(
      file,
      body,
      first.offset,
      `syntax error: ${SYNTAX_MESSAGES[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error)}`,
    );
  if (!root || root.type !== 'object')
    throw parseErrorAt(file, body, root?.offset ?? 0, 'expected a JSON object at the top level');
  return root;
}

/**
 * The last tree built, for the next read or edit of the same text within the same synchronous run (an
 * edit reads the server section, then sets an entry; adoption removes several): forgotten once that
 * run ends, so a 20 MB file's tree is not kept.
 */
let recent: { body: string; key: string; root: Node } | undefined;

function remember(body: string, key: string, root: Node): void {
  if (recent === undefined) queueMicrotask(() => (recent = undefined));
  recent = { body, key, root };
}

/**
 * The tree for an edit or a read under the top-level member `key`: only that member's nodes are
 * built when the text is plain JSON (see json-outline.ts), the whole tree otherwise.
 */
function parseJsoncFor(body: string, file: string, key: string | undefined): Node | undefined {
  if (key === undefined) return parseJsoncTree(body, file);
  if (recent && recent.key === key && recent.body === body) return recent.root;
  const root = outlineOf(body, key);
  if (!root) return parseJsoncTree(body, file);
  remember(body, key, root);
  return root;
}

/** `edits` made to `body`, whose tree is `root`; the result's tree is remembered when it can be derived. */
function edited(body: string, root: Node, key: string | undefined, edits: Edit[]): string {
  const out = applyAll(body, edits);
  const next = key === undefined ? undefined : outlineAfterEdit(root, key, out, edits);
  if (next) remember(out, key!, next);
  return out;
}

/** Offset of the next character that is not whitespace or inside a comment. */
export function skipTrivia(text: string, offset: number, stopAtNewline = false): number {
  let i = offset;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n' && stopAtNewline) return i;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\uFEFF') i++;
    else if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (stopAtNewline && text.slice(i, end).includes('\n')) return i;
      i = end === -1 ? text.length : end + 2;
    } else return i;
  }
  return i;
}

function findProperty(object: Node, key: string): Node | undefined {
  let found: Node | undefined;
  for (const p of object.children ?? []) if (p.children?.[0]?.value === key) found = p;
  return found;
}

function end(node: Node): number {
  return node.offset + node.length;
}

/**
 * The file's indentation unit: how much deeper than the top-level object its first member stands on
 * its line; else the first indented line's leading whitespace (a comment's ` * ` lines are no guide
 * when a member tells), else two spaces. `node` is any node of the file's tree.
 */
function indentUnit(body: string, node: Node): string {
  let root = node;
  while (root.parent) root = root.parent;
  const first = root.children?.[0];
  if (first && startsLine(body, first.offset)) {
    const outer = indentOf(body.slice(lineStart(body, root.offset)));
    const inner = indentOf(body.slice(lineStart(body, first.offset)));
    if (inner.length > outer.length && inner.startsWith(outer)) {
      const unit = inner.slice(outer.length);
      return unit.startsWith('\t') ? '\t' : unit;
    }
  }
  const m = /\n([ \t]+)\S/.exec(body);
  if (!m) return '  ';
  return m[1]!.startsWith('\t') ? '\t' : m[1]!;
}

/** True when only whitespace precedes `offset` on its line. */
function startsLine(body: string, offset: number): boolean {
  return body.slice(lineStart(body, offset), offset).trim() === '';
}

/** True when nothing but whitespace and comments follows `offset` on its line. */
function restIsTrivia(body: string, offset: number): boolean {
  const next = skipTrivia(body, offset, true);
  return next >= body.length || body[next] === '\n';
}

/** Position of the line terminator ('\r\n' or '\n') ending the line that holds `offset`. */
function lineTerminator(body: string, offset: number): number {
  const nl = body.indexOf('\n', offset);
  if (nl === -1) return body.length;
  return nl > 0 && body[nl - 1] === '\r' ? nl - 1 : nl;
}

function formatValue(value: unknown, unit: string, indent: string, eol: string): string {
  return indentBlock(JSON.stringify(value, null, unit), indent, eol);
}

function nest(path: string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

type Edit = { offset: number; length: number; content: string };

function applyAll(body: string, edits: Edit[]): string {
  let out = body;
  // Back to front; of two edits at one offset the earlier one's text comes first.
  const order = edits.map((e, i) => ({ e, i })).sort((a, b) => b.e.offset - a.e.offset || b.i - a.i);
  for (const { e } of order) out = out.slice(0, e.offset) + e.content + out.slice(e.offset + e.length);
  return out;
}

function insertProperty(body: string, object: Node, key: string, value: unknown, eol: string): Edit[] {
  const unit = indentUnit(body, object);
  const children = object.children ?? [];
  const close = end(object) - 1;
  const objectIndent = indentOf(body.slice(lineStart(body, object.offset)));
  const last = children[children.length - 1];
  if (!last) {
    const childIndent = objectIndent + unit;
    const prop = `${JSON.stringify(key)}: ${formatValue(value, unit, childIndent, eol)}`;
    if (!body.slice(object.offset, close).includes('\n')) {
      return [
        {
          offset: object.offset + 1,
          length: close - object.offset - 1,
          content: `${eol}${childIndent}${prop}${eol}${objectIndent}`,
        },
      ];
    }
    // Multi-line empty object (comments inside): a new line before the closing brace.
    if (startsLine(body, close))
      return [{ offset: lineStart(body, close), length: 0, content: `${childIndent}${prop}${eol}` }];
    return [{ offset: close, length: 0, content: `${eol}${childIndent}${prop}${eol}${objectIndent}` }];
  }
  const lastEnd = end(last);
  const afterLast = skipTrivia(body, lastEnd);
  const trailingComma = body[afterLast] === ',';
  if (startsLine(body, last.offset)) {
    const childIndent = indentOf(body.slice(lineStart(body, last.offset)));
    const prop = `${JSON.stringify(key)}: ${formatValue(value, unit, childIndent, eol)}`;
    if (trailingComma && restIsTrivia(body, afterLast + 1)) {
      return [{ offset: nextLineStart(body, afterLast), length: 0, content: `${childIndent}${prop},${eol}` }];
    }
    if (!trailingComma && restIsTrivia(body, lastEnd)) {
      return [
        { offset: lastEnd, length: 0, content: ',' },
        { offset: lineTerminator(body, lastEnd), length: 0, content: `${eol}${childIndent}${prop}` },
      ];
    }
  }
  // Entries on one line: stay on that line.
  const prop = `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  if (trailingComma) return [{ offset: afterLast + 1, length: 0, content: ` ${prop},` }];
  return [{ offset: lastEnd, length: 0, content: `, ${prop}` }];
}

function removeProperty(body: string, object: Node, prop: Node): Edit[] {
  const children = object.children ?? [];
  const index = children.indexOf(prop);
  const isLast = index === children.length - 1;
  const afterProp = skipTrivia(body, end(prop));
  const hasComma = body[afterProp] === ',';
  const throughComma = hasComma ? afterProp + 1 : end(prop);
  const ownsLines = startsLine(body, prop.offset) && restIsTrivia(body, throughComma);
  if (ownsLines) {
    const edits: Edit[] = [
      {
        offset: lineStart(body, prop.offset),
        length: nextLineStart(body, throughComma) - lineStart(body, prop.offset),
        content: '',
      },
    ];
    const prev = children[index - 1];
    if (isLast && !hasComma && prev) {
      const comma = skipTrivia(body, end(prev));
      if (body[comma] === ',') edits.push({ offset: comma, length: 1, content: '' });
    }
    if (
      children.length === 1 &&
      body
        .slice(object.offset + 1, end(object) - 1)
        .replace(body.slice(lineStart(body, prop.offset), nextLineStart(body, throughComma)), '')
        .trim() === ''
    ) {
      return [{ offset: object.offset + 1, length: end(object) - object.offset - 2, content: '' }];
    }
    return edits;
  }
  const next = children[index + 1];
  if (next) return [{ offset: prop.offset, length: next.offset - prop.offset, content: '' }];
  const prev = children[index - 1];
  if (prev) return [{ offset: end(prev), length: end(prop) - end(prev), content: '' }];
  return [{ offset: prop.offset, length: skipTrivia(body, throughComma) - prop.offset, content: '' }];
}

/** Sets the value at `path` (creating missing objects on the way); returns the new text. */
export function setJsonValue(body: string, file: string, path: string[], value: unknown, eol: string): string {
  const root = parseJsoncFor(body, file, path[0]);
  if (!root) {
    const unit = '  ';
    const member = `${JSON.stringify(path[0])}: ${formatValue(nest(path.slice(1), value), unit, unit, eol)}`;
    const text = `{${eol}${unit}${member}${eol}}${eol}`;
    if (body.trim() === '') return text;
    return body + (body.endsWith('\n') ? '' : eol) + text;
  }
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const prop = findProperty(node, key);
    const valueNode = prop?.children?.[1];
    if (!prop || !valueNode)
      return edited(body, root, path[0], insertProperty(body, node, key, nest(path.slice(i + 1), value), eol));
    if (i === path.length - 1) {
      const indent = indentOf(body.slice(lineStart(body, prop.offset)));
      // A value on one line among others (a file written on one line) stays on one line, as one added there is.
      const inLine = !startsLine(body, prop.offset) && !body.slice(valueNode.offset, end(valueNode)).includes('\n');
      return edited(body, root, path[0], [
        {
          offset: valueNode.offset,
          length: valueNode.length,
          content: inLine ? JSON.stringify(value) : formatValue(value, indentUnit(body, root), indent, eol),
        },
      ]);
    }
    if (valueNode.type === 'null') {
      // Read as empty (readJsonObject): it becomes the object that holds the value.
      const indent = indentOf(body.slice(lineStart(body, prop.offset)));
      const content = formatValue(nest(path.slice(i + 1), value), indentUnit(body, root), indent, eol);
      return edited(body, root, path[0], [{ offset: valueNode.offset, length: valueNode.length, content }]);
    }
    if (valueNode.type !== 'object')
      throw parseErrorAt(file, body, valueNode.offset, `"${path.slice(0, i + 1).join('.')}" must be an object`);
    node = valueNode;
  }
  return body;
}

/**
 * Makes the value at `path` go from `was` (what the text holds there) to `wanted`, writing only what
 * differs: within objects key by key, so the comments, order and layout of everything else stay.
 * Arrays and other values are replaced whole; `undefined` removes.
 */
export function setJsonChanges(
  body: string,
  file: string,
  path: string[],
  was: unknown,
  wanted: unknown,
  eol: string,
): string {
  if (isDeepStrictEqual(was, wanted)) return body;
  if (isPlainObject(was) && isPlainObject(wanted)) {
    let out = body;
    for (const key of new Set([...Object.keys(was), ...Object.keys(wanted)]))
      out = setJsonChanges(out, file, [...path, key], was[key], wanted[key], eol);
    return out;
  }
  return wanted === undefined ? removeJsonValue(body, file, path) : setJsonValue(body, file, path, wanted, eol);
}

/** A JSON object (not an array, not null). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Removes the property at `path`; the text is returned unchanged when there is none. */
export function removeJsonValue(body: string, file: string, path: string[]): string {
  const root = parseJsoncFor(body, file, path[0]);
  let node = root;
  for (let i = 0; node && i < path.length; i++) {
    const prop = findProperty(node, path[i]!);
    if (!prop) return body;
    if (i === path.length - 1) return edited(body, root!, path[0], removeProperty(body, node, prop));
    const valueNode = prop.children?.[1];
    if (valueNode?.type !== 'object') return body;
    node = valueNode;
  }
  return body;
}

/**
 * Renames the property at `path` to `newKey` where it stands (its value, comments and place kept),
 * and turns the string `from` into `to` in each array `arrays` lists (a path with "*" for every key of
 * an object there). The text is returned unchanged when there is no such property.
 */
export function renameJsonKey(
  body: string,
  file: string,
  path: string[],
  newKey: string,
  arrays: { path: string[]; from: string; to: string }[] = [],
): string {
  const root = parseJsoncTree(body, file);
  const key = root && propertyAt(root, path)?.children?.[0];
  if (!root || !key) return body;
  const edits: Edit[] = [{ offset: key.offset, length: key.length, content: JSON.stringify(newKey) }];
  for (const { path: where, from, to } of arrays)
    for (const array of nodesAt(root, where))
      for (const item of array.type === 'array' ? (array.children ?? []) : [])
        if (item.type === 'string' && item.value === from)
          edits.push({ offset: item.offset, length: item.length, content: JSON.stringify(to) });
  return applyAll(body, edits);
}

/** The property node at `path`, if every step is an object that has it. */
function propertyAt(root: Node, path: string[]): Node | undefined {
  let node: Node | undefined = root;
  let prop: Node | undefined;
  for (const key of path) {
    if (node?.type !== 'object') return undefined;
    prop = findProperty(node, key);
    node = prop?.children?.[1];
  }
  return prop;
}

/** The value nodes at `path`, where "*" stands for every key of the object there. */
function nodesAt(node: Node, path: string[]): Node[] {
  if (path.length === 0) return [node];
  if (node.type !== 'object') return [];
  const [key, ...rest] = path;
  const props = key === '*' ? (node.children ?? []) : [findProperty(node, key!)].filter((p) => p !== undefined);
  return props.flatMap((p) => (p.children?.[1] ? nodesAt(p.children[1], rest) : []));
}

/** The object at `path` as [key, value] pairs, [] when missing; an error if it is not an object. */
export function readJsonObject(body: string, file: string, path: string[]): [string, unknown][] {
  let node = parseJsoncFor(body, file, path[0]);
  for (let i = 0; node && i < path.length; i++) {
    const valueNode = findProperty(node, path[i]!)?.children?.[1];
    if (!valueNode || valueNode.type === 'null') return [];
    if (valueNode.type !== 'object')
      throw parseErrorAt(file, body, valueNode.offset, `"${path.slice(0, i + 1).join('.')}" must be an object`);
    node = valueNode;
  }
  if (!node) return [];
  const entries = (node.children ?? []).flatMap((p) => {
    const [k, v] = p.children ?? [];
    // Plain objects (jsonc-parser builds prototype-less ones), so entries compare like parsed JSON.
    return k && v ? [[String(k.value), JSON.parse(JSON.stringify(getNodeValue(v)))] as [string, unknown]] : [];
  });
  // A key written twice is read as the clients' JSON parsers read it: where it first stands, with its last value.
  return [...new Map(entries)];
}

export function jsonFormat(root: string[]): FormatEditor {
  return {
    read: (body, file) => readJsonObject(body, file, root),
    set(body, file, name, value, eol) {
      // An entry there is changed key by key: its comments, order and layout stay where they still hold.
      const was = readJsonObject(body, file, root).find(([n]) => n === name)?.[1];
      if (isPlainObject(was) && isPlainObject(value))
        return setJsonChanges(body, file, [...root, name], was, value, eol);
      return setJsonValue(body, file, [...root, name], value, eol);
    },
    remove(body, file, name) {
      // Every time the key is there (written twice, the client reads the last: the first would take its place).
      let out = body;
      let next = removeJsonValue(out, file, [...root, name]);
      while (next !== out) [out, next] = [next, removeJsonValue(next, file, [...root, name])];
      return out;
    },
  };
}
