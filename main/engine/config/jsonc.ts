/**
 * JSONC text -> value, plus the syntax tree kept so any JSON path can be mapped back to a
 * line and column. Comments and trailing commas are allowed (people hand-edit this file).
 */
import {
  createScanner,
  getLocation,
  parseTree,
  printParseErrorCode,
  stripComments,
  type Node,
  type ParseError,
  type SyntaxKind,
} from 'jsonc-parser';
import { SYNTAX_MESSAGES, syntaxMessage } from '../../../preload/contract/index.ts';
import type { PathIssue, PathSegment } from './paths.ts';

export interface SyntaxIssue {
  offset: number;
  path: PathSegment[];
  message: string;
}

export type JsoncParse =
  { ok: true; value: unknown; root: Node | undefined; issues: PathIssue[] } | { ok: false; issues: SyntaxIssue[] };

/** jsonc-parser's error codes in words (shared with the client installers and the UI). */
export { SYNTAX_MESSAGES };

/** Nothing but comments and whitespace. */
function isBlankConfig(text: string): boolean {
  return stripComments(text).trim() === '';
}

export function parseJsonc(text: string): JsoncParse {
  // A file with nothing but comments or whitespace is an empty config, not an error.
  if (isBlankConfig(text)) return { ok: true, value: {}, root: undefined, issues: [] };
  // The parser and the readers of its tree recurse: thousands of levels overflowed the stack, an
  // error with no file or position (and `serve` exited on it). No config needs more than a few.
  const deep = tooDeep(text);
  if (deep !== undefined)
    return {
      ok: false,
      issues: [
        {
          offset: deep,
          path: [],
          message: `syntax error: nested more than ${MAX_DEPTH} levels deep (a Switchboard config needs a few)`,
        },
      ],
    };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  if (errors.length > 0 || !root) {
    // The first error only: the parser's later ones follow from it (an unclosed array gave five
    // lines, three of them the same), and their paths were made of the text they ran into.
    const first = errors[0];
    if (!first) return { ok: false, issues: [{ offset: 0, path: [], message: 'syntax error: not a JSON document' }] };
    const code = printParseErrorCode(first.error);
    const location = getLocation(text, first.offset).path;
    return {
      ok: false,
      issues: [
        {
          offset: first.offset,
          // A key the parser could not read shows as "": no path is better than [""].
          path: location.includes('') ? [] : location,
          message: `syntax error: ${syntaxMessage(code, text[first.offset])}`,
        },
      ],
    };
  }
  const issues: PathIssue[] = [];
  return { ok: true, value: toValue(root, [], issues), root, issues };
}

const MAX_DEPTH = 64;
/** jsonc-parser's SyntaxKind values (a const enum, which this build cannot import as a value). */
const OPEN: readonly SyntaxKind[] = [1, 3];
const CLOSE: readonly SyntaxKind[] = [2, 4];
const EOF: SyntaxKind = 17;

/** Offset of the first "{" or "[" more than MAX_DEPTH levels deep (the scanner does not recurse). */
function tooDeep(text: string): number | undefined {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let token = scanner.scan(); token !== EOF; token = scanner.scan()) {
    if (OPEN.includes(token)) {
      depth += 1;
      if (depth > MAX_DEPTH) return scanner.getTokenOffset();
    } else if (CLOSE.includes(token)) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/**
 * Builds the value ourselves rather than with jsonc's `parse`: duplicate keys are reported
 * instead of silently last-wins, and `__proto__` can never reach an object's prototype.
 */
function toValue(node: Node, path: PathSegment[], issues: PathIssue[]): unknown {
  switch (node.type) {
    case 'object': {
      const entries: [string, unknown][] = [];
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (!keyNode || !valueNode) continue;
        const key = String(keyNode.value);
        if (key === '__proto__') {
          issues.push({ path: [...path, key], message: '"__proto__" is not allowed as a key', atKey: true });
          continue;
        }
        if (seen.has(key))
          issues.push({ path: [...path, key], message: `duplicate key "${key}" (only one may appear)`, atKey: true });
        seen.add(key);
        entries.push([key, toValue(valueNode, [...path, key], issues)]);
      }
      return Object.fromEntries(entries);
    }
    case 'array':
      return (node.children ?? []).map((child, index) => toValue(child, [...path, index], issues));
    default:
      return node.value;
  }
}

/**
 * Offset of the node at `path`, or of its nearest existing ancestor (a missing key is reported
 * at the object that should hold it). `atKey` points at the property name instead of its value.
 */
export function locate(root: Node | undefined, path: readonly PathSegment[], atKey = false): number {
  if (!root) return 0;
  let node = root;
  let keyNode: Node | undefined;
  for (const segment of path) {
    let next: Node | undefined;
    let nextKey: Node | undefined;
    if (node.type === 'object' && typeof segment === 'string') {
      // Last occurrence: that is the one a duplicate-tolerant reader would use.
      for (const property of node.children ?? []) {
        const [k, v] = property.children ?? [];
        if (k?.value === segment && v) {
          next = v;
          nextKey = k;
        }
      }
    } else if (node.type === 'array' && typeof segment === 'number') {
      next = node.children?.[segment];
      nextKey = undefined;
    }
    if (!next) return node.offset;
    node = next;
    keyNode = nextKey;
  }
  return atKey && keyNode ? keyNode.offset : node.offset;
}

/** 1-based line and column (in UTF-16 code units, as editors count them) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
