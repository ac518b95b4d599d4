/**
 * A parse tree of a large JSON file built only as deep as an edit needs. Claude Code keeps its whole
 * state in ~/.claude.json (20 MB and more for someone who uses it a lot), and a full jsonc-parser
 * tree of that takes a quarter of a second and hundreds of MB every time the file is read or edited,
 * for a server section of a few hundred bytes. So a file that is plain JSON (checked whole by
 * JSON.parse, V8's own parser) gets a tree with every top-level member's offsets, and nodes below
 * only for the member an edit or a read goes into; anything else (comments, trailing commas, a syntax
 * error to report with its line) is left to the full parse.
 */
import { parseTree, type Node, type ParseError } from 'jsonc-parser';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Just past the string starting at `i` (its opening quote), in text known to be valid JSON. */
function stringEnd(text: string, i: number): number {
  for (let from = i + 1; ;) {
    const quote = text.indexOf('"', from);
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    // An even number of backslashes before it: the quote is not escaped.
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Just past the value starting at `i`, in text known to be valid JSON. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; ; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) j = stringEnd(text, j) - 1;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
  }
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
    j++;
  }
  return j;
}

function shallowNode(text: string, offset: number, length: number, parent: Node): Node {
  const c = text.charCodeAt(offset);
  const type: Node['type'] =
    c === OPEN_BRACE
      ? 'object'
      : c === OPEN_BRACKET
        ? 'array'
        : c === QUOTE
          ? 'string'
          : c === 0x74 || c === 0x66
            ? 'boolean'
            : c === 0x6e
              ? 'null'
              : 'number';
  return { type, offset, length, parent };
}

/** `node` (parsed from a slice of the text) and its children, moved `by` characters on and hung under `parent`. */
function moved(node: Node, by: number, parent: Node): Node {
  const copy: Node = {
    type: node.type,
    offset: node.offset + by,
    length: node.length,
    parent,
    ...(node.value !== undefined ? { value: node.value as unknown } : {}),
    ...(node.colonOffset !== undefined ? { colonOffset: node.colonOffset + by } : {}),
  };
  if (node.children) (copy as { children: Node[] }).children = node.children.map((child) => moved(child, by, copy));
  return copy;
}

/** The full tree of the value at `offset`, its offsets counted in `text`. */
function deepNode(text: string, offset: number, length: number, parent: Node): Node | undefined {
  const errors: ParseError[] = [];
  const node = parseTree(text.slice(offset, offset + length), errors, { allowTrailingComma: true });
  return node && errors.length === 0 ? moved(node, offset, parent) : undefined;
}

/**
 * The tree of `text` with full nodes under the top-level members named `deep` only, or undefined
 * when the text is not a plain JSON object (the full parse then reads it, and says what is wrong).
 */
export function outlineJson(text: string, deep: string): Node | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const start = skipSpace(text, 0);
  const end = valueEnd(text, start);
  const root: Node = { type: 'object', offset: start, length: end - start, children: [] };
  let i = skipSpace(text, start + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    const colon = skipSpace(text, keyEnd);
    if (text.charCodeAt(colon) !== COLON) return undefined;
    const valueStart = skipSpace(text, colon + 1);
    const valueStop = valueEnd(text, valueStart);
    const property: Node = {
      type: 'property',
      offset: i,
      length: valueStop - i,
      colonOffset: colon,
      parent: root,
      children: [],
    };
    const key: Node = { type: 'string', offset: i, length: keyEnd - i, value: name, parent: property };
    const value =
      name === deep
        ? deepNode(text, valueStart, valueStop - valueStart, property)
        : shallowNode(text, valueStart, valueStop - valueStart, property);
    if (!value) return undefined;
    property.children!.push(key, value);
    root.children!.push(property);
    i = skipSpace(text, valueStop);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return root;
}

/** Trees outlineJson built (and outlineAfterEdit derived), so an edit knows it may derive the next. */
const outlines = new WeakSet<Node>();

/** Outlines `text` (see outlineJson), remembering the tree as an outline. */
export function outlineOf(text: string, deep: string): Node | undefined {
  const root = outlineJson(text, deep);
  if (root) outlines.add(root);
  return root;
}

/**
 * The outline of `text`, which is the text `root` outlines with `edits` made inside the value of its
 * member `deep`, without reading the rest again: the rest is as it was, so the whole is plain JSON
 * when that value still is. Undefined when the edits reach outside it (or it is not plain JSON).
 */
export function outlineAfterEdit(
  root: Node,
  deep: string,
  text: string,
  edits: readonly { offset: number; length: number; content: string }[],
): Node | undefined {
  if (!outlines.has(root)) return undefined;
  const members = (root.children ?? []).filter((p) => p.children?.[0]?.value === deep);
  const value = members.length === 1 ? members[0]!.children?.[1] : undefined;
  if (!value || (value.type !== 'object' && value.type !== 'array')) return undefined;
  const valueEnd = value.offset + value.length;
  if (!edits.every((e) => e.offset > value.offset && e.offset + e.length < valueEnd)) return undefined;
  const by = edits.reduce((sum, e) => sum + e.content.length - e.length, 0);
  const slice = text.slice(value.offset, valueEnd + by);
  try {
    JSON.parse(slice);
  } catch {
    return undefined;
  }
  const next: Node = { type: 'object', offset: root.offset, length: root.length + by, children: [] };
  for (const property of root.children ?? []) {
    const after = property.offset > value.offset ? by : 0;
    const [key, old] = property.children as [Node, Node];
    const copy: Node = {
      type: 'property',
      offset: property.offset + after,
      length: property.length + (property === members[0] ? by : 0),
      colonOffset: property.colonOffset! + after,
      parent: next,
      children: [],
    };
    const newValue =
      property === members[0]
        ? deepNode(text, value.offset, value.length + by, copy)
        : { ...old, offset: old.offset + after, parent: copy };
    if (!newValue) return undefined;
    copy.children!.push({ ...key, offset: key.offset + after, parent: copy }, newValue);
    next.children!.push(copy);
  }
  outlines.add(next);
  return next;
}
