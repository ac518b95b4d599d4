/**
 * The dependency table of docs/architecture.md, checked on resolved paths without ESLint: every
 * static import, `export ... from`, dynamic `import()` and `require()` in main/, preload/ and
 * renderer/ (.svelte script blocks included). eslint.config.js enforces the same table as
 * no-restricted-imports for fast editor feedback; this test is the one that sees everything.
 * It also keeps the folders of main/engine free of import cycles.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// ---------------------------------------------------------------------------------------------
// Extraction: a small tokenizer so comments, strings, template literals and regex literals can
// never be mistaken for imports.

type TokenType = 'id' | 'str' | 'tmpl' | 'punct' | 'num' | 'regex';
interface Token {
  type: TokenType;
  value: string;
  line: number;
  /** For `tmpl`: a whole template without `${}`. */
  complete?: boolean;
}

const REGEX_AFTER_KEYWORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let braceDepth = 0;
  /** Brace depth at which each open `${` of a template returns to the template text. */
  const templates: number[] = [];

  const readTemplate = (startLine: number, head: boolean): void => {
    // i is just past '`' (head) or just past the '}' that closed a substitution.
    let value = '';
    while (i < src.length) {
      const c = src[i]!;
      if (c === '\\') {
        value += src.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '\n') line++;
      if (c === '`') {
        i++;
        tokens.push({ type: 'tmpl', value, line: startLine, complete: head });
        return;
      }
      if (c === '$' && src[i + 1] === '{') {
        i += 2;
        tokens.push({ type: 'tmpl', value, line: startLine, complete: false });
        templates.push(braceDepth);
        braceDepth++;
        return;
      }
      value += c;
      i++;
    }
  };

  const regexAllowed = (): boolean => {
    const prev = tokens[tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.type === 'id') return REGEX_AFTER_KEYWORDS.has(prev.value);
    if (prev.type === 'punct') return prev.value !== ')' && prev.value !== ']';
    return false;
  };

  /** Reads a regex literal starting at i ('/'); false (nothing consumed) if the line ends first. */
  const readRegex = (): boolean => {
    let j = i + 1;
    let inClass = false;
    while (j < src.length) {
      const c = src[j]!;
      if (c === '\n') return false;
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      j++;
    }
    if (j >= src.length) return false;
    j++;
    while (j < src.length && /[a-z]/i.test(src[j]!)) j++;
    tokens.push({ type: 'regex', value: src.slice(i, j), line });
    i = j;
    return true;
  };

  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\uFEFF') {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      const startLine = line;
      let value = '';
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') {
          value += src[i + 1] ?? '';
          i += 2;
        } else {
          value += src[i];
          i++;
        }
      }
      i++;
      tokens.push({ type: 'str', value, line: startLine });
    } else if (c === '`') {
      i++;
      readTemplate(line, true);
    } else if (/[A-Za-z_$#]/.test(c) || c.charCodeAt(0) > 127) {
      let j = i + 1;
      while (j < src.length && (/[\w$]/.test(src[j]!) || src.charCodeAt(j) > 127)) j++;
      tokens.push({ type: 'id', value: src.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < src.length && /[\w.]/.test(src[j]!)) j++;
      tokens.push({ type: 'num', value: src.slice(i, j), line });
      i = j;
    } else if (c === '/' && regexAllowed() && readRegex()) {
      // consumed
    } else {
      if (c === '{') braceDepth++;
      if (c === '}') {
        braceDepth--;
        if (templates.length > 0 && templates[templates.length - 1] === braceDepth) {
          templates.pop();
          i++;
          readTemplate(line, false);
          continue;
        }
      }
      tokens.push({ type: 'punct', value: c, line });
      i++;
    }
  }
  return tokens;
}

export interface ImportRef {
  /** The specifier, or null for `import()` of a computed value. */
  spec: string | null;
  typeOnly: boolean;
  line: number;
  how: 'import' | 'export' | 'dynamic' | 'require';
}

function isPunct(t: Token | undefined, v: string): boolean {
  return t !== undefined && t.type === 'punct' && t.value === v;
}
function isId(t: Token | undefined, v: string): boolean {
  return t !== undefined && t.type === 'id' && t.value === v;
}

/** `.svelte`: only the `<script>` blocks are code; everything else becomes blank lines. */
function scriptText(path: string, text: string): string {
  if (!path.endsWith('.svelte')) return text;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/g)) {
    const start = m.index + m[1]!.length;
    out += text.slice(last, start).replace(/[^\n]/g, ' ') + m[2]!;
    last = start + m[2]!.length;
  }
  return out + text.slice(last).replace(/[^\n]/g, ' ');
}

export function extractImports(path: string, text: string): ImportRef[] {
  const toks = tokenize(scriptText(path, text));
  const refs: ImportRef[] = [];
  const fromAt = (start: number): { spec: string; end: number } | null => {
    let depth = 0;
    for (let j = start; j < toks.length && j < start + 2000; j++) {
      const t = toks[j]!;
      if (isPunct(t, '{')) depth++;
      else if (isPunct(t, '}')) depth--;
      else if (depth === 0 && (isPunct(t, ';') || isId(t, 'import') || isId(t, 'export'))) return null;
      else if (depth === 0 && isId(t, 'from') && toks[j + 1]?.type === 'str')
        return { spec: toks[j + 1]!.value, end: j + 1 };
    }
    return null;
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.type !== 'id' || isPunct(toks[i - 1], '.')) continue;
    const next = toks[i + 1];
    if (t.value === 'import') {
      if (isPunct(next, '.')) continue; // import.meta
      if (isPunct(next, '(')) {
        const arg = toks[i + 2];
        const after = toks[i + 3];
        const literal =
          (arg?.type === 'str' || (arg?.type === 'tmpl' && arg.complete === true)) &&
          (isPunct(after, ')') || isPunct(after, ','));
        refs.push({ spec: literal ? arg!.value : null, typeOnly: false, line: t.line, how: 'dynamic' });
        continue;
      }
      if (next?.type === 'str') {
        refs.push({ spec: next.value, typeOnly: false, line: t.line, how: 'import' });
        continue;
      }
      const after = toks[i + 2];
      const typeOnly = isId(next, 'type') && !isId(after, 'from') && !isPunct(after, ',') && !isPunct(after, '=');
      const found = fromAt(i + 1);
      if (found) {
        refs.push({ spec: found.spec, typeOnly, line: t.line, how: 'import' });
        i = found.end;
      }
    } else if (t.value === 'export') {
      const typeOnly = isId(next, 'type') && (isPunct(toks[i + 2], '{') || isPunct(toks[i + 2], '*'));
      const k = typeOnly ? i + 2 : i + 1;
      if (!isPunct(toks[k], '{') && !isPunct(toks[k], '*')) continue;
      let j = k;
      if (isPunct(toks[k], '{')) {
        let depth = 0;
        for (; j < toks.length; j++) {
          if (isPunct(toks[j], '{')) depth++;
          else if (isPunct(toks[j], '}') && --depth === 0) break;
        }
        j++;
      } else {
        j = k + 1;
        if (isId(toks[j], 'as')) j += 2;
      }
      if (isId(toks[j], 'from') && toks[j + 1]?.type === 'str') {
        refs.push({ spec: toks[j + 1]!.value, typeOnly, line: t.line, how: 'export' });
        i = j + 1;
      }
    } else if (
      t.value === 'require' &&
      isPunct(next, '(') &&
      toks[i + 2]?.type === 'str' &&
      isPunct(toks[i + 3], ')')
    ) {
      refs.push({ spec: toks[i + 2]!.value, typeOnly: false, line: t.line, how: 'require' });
    }
  }
  return refs;
}

// ---------------------------------------------------------------------------------------------
// Resolution and the table.

type Target =
  | { kind: 'builtin'; spec: string }
  | { kind: 'package'; name: string; spec: string }
  | { kind: 'file'; path: string }
  | { kind: 'outside'; path: string }
  | { kind: 'computed' };

function resolveSpec(from: string, spec: string | null): Target {
  if (spec === null) return { kind: 'computed' };
  if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
    const clean = spec.replace(/[?#].*$/, '');
    const path = posix.normalize(posix.join(posix.dirname(from), clean));
    return path.startsWith('../') || path === '..' ? { kind: 'outside', path } : { kind: 'file', path };
  }
  if (spec.startsWith('/') || /^[A-Za-z]:[\\/]/.test(spec) || /^[a-z][a-z0-9+.-]*:/i.test(spec)) {
    if (spec.startsWith('node:')) return { kind: 'builtin', spec };
    return { kind: 'outside', path: spec };
  }
  if (isBuiltin(spec)) return { kind: 'builtin', spec };
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return { kind: 'package', name, spec };
}

type Area =
  | 'main/engine'
  | 'main/app'
  | 'main/shim'
  | 'main/shared'
  | 'main/index.ts'
  | 'main/cli'
  | 'preload/contract'
  | 'preload'
  | 'renderer';

export function areaOf(path: string): Area | null {
  if (path.startsWith('main/engine/')) return 'main/engine';
  if (path.startsWith('main/app/')) return 'main/app';
  if (path.startsWith('main/shim/')) return 'main/shim';
  if (path.startsWith('main/shared/')) return 'main/shared';
  if (path === 'main/index.ts') return 'main/index.ts';
  // The headless CLI: main/cli.ts (and any other top-level entry but index.ts) and its helpers.
  if (/^main\/[^/]+$/.test(path) || path.startsWith('main/cli/')) return 'main/cli';
  if (path.startsWith('preload/contract/')) return 'preload/contract';
  if (path.startsWith('preload/')) return 'preload';
  if (path.startsWith('renderer/')) return 'renderer';
  return null;
}

const under = (path: string, ...dirs: string[]): boolean => dirs.some((d) => path.startsWith(d));

/** Names a target for messages: its area when it is one of ours. */
function describeFile(path: string): string {
  if (path === 'main/engine/index.ts') return 'main/engine/index.ts';
  if (path.startsWith('main/engine/')) return 'engine internals';
  return areaOf(path) ?? path;
}

/** The table. Returns the broken rule, or null when the import is allowed. */
function ruleFor(area: Area, ref: ImportRef, target: Target): string | null {
  if (target.kind === 'computed')
    return `${area}: import() of a computed specifier cannot be checked; use a string literal`;
  if (target.kind === 'outside') return `${area} must not import from outside the repository`;
  const isElectron = target.kind === 'package' && target.name === 'electron';
  const file = target.kind === 'file' ? target.path : null;
  const fileRule = (allowed: boolean, what: string): string | null =>
    allowed ? null : `${area} may import ${what}, not ${describeFile(file!)}`;
  switch (area) {
    case 'main/engine':
      if (isElectron) return 'main/engine must not import electron';
      return file === null
        ? null
        : fileRule(
            under(file, 'main/engine/', 'main/shared/', 'preload/contract/'),
            'only main/engine/**, main/shared/** and preload/contract',
          );
    case 'main/app':
      return file === null
        ? null
        : fileRule(
            file === 'main/engine/index.ts' || under(file, 'main/app/', 'preload/contract/'),
            'main/engine/index.ts, preload/contract and main/app/**',
          );
    case 'main/shim':
    case 'main/shared': {
      const dirs = area === 'main/shim' ? ['main/shim/', 'main/shared/'] : ['main/shared/'];
      if (target.kind === 'builtin')
        return target.spec.startsWith('node:') ? null : `${area} must write Node built-ins with the node: prefix`;
      if (target.kind === 'package')
        return `${area} may import only node:* built-ins and ${dirs.join(', ')}, not the package ${target.name}`;
      return fileRule(under(file!, ...dirs), dirs.map((d) => `${d}**`).join(' and '));
    }
    case 'main/index.ts':
      if (target.kind === 'builtin' || (target.kind === 'package' && !isElectron))
        return 'main/index.ts may import only electron, main/app/** and main/engine/index.ts';
      return file === null
        ? null
        : fileRule(
            file === 'main/engine/index.ts' || under(file, 'main/app/'),
            'only main/app/** and main/engine/index.ts',
          );
    case 'main/cli':
      if (isElectron) return 'the headless CLI must not import electron';
      return file === null
        ? null
        : fileRule(
            file === 'package.json' ||
              file === 'main/engine/index.ts' ||
              under(file, 'main/cli/', 'main/shim/', 'main/shared/', 'preload/contract/'),
            'main/cli, main/engine/index.ts, main/shim, main/shared, preload/contract and package.json',
          );
    case 'preload/contract':
      if (target.kind === 'package' && target.name === 'zod') return null;
      if (file === null || !under(file, 'preload/contract/'))
        return 'preload/contract may import only other contract files and zod';
      return null;
    case 'preload':
      if (target.kind === 'builtin') return 'preload must not import Node built-ins';
      if (target.kind === 'package')
        return target.spec === 'electron' || target.spec === 'electron/renderer'
          ? null
          : `preload may import only electron, not ${target.name}`;
      return fileRule(under(file!, 'preload/'), 'only preload/**');
    case 'renderer':
      if (isElectron) return 'renderer must not import electron';
      if (target.kind === 'builtin') return 'renderer must not import Node built-ins';
      if (file === null) return null;
      return fileRule(under(file, 'renderer/', 'preload/contract/'), 'renderer/** and preload/contract');
  }
}

export interface SourceFile {
  /** Repo-relative, forward slashes. */
  path: string;
  text: string;
}

export function checkBoundaries(files: readonly SourceFile[], exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const area = areaOf(f.path);
    if (area === null) {
      problems.push(
        `${f.path}: is outside the areas of docs/architecture.md (main/{engine,app,shim,shared,cli}, ` +
          `main/*.ts, preload, renderer)`,
      );
      continue;
    }
    for (const ref of extractImports(f.path, f.text)) {
      const target = resolveSpec(f.path, ref.spec);
      const shown = ref.spec ?? '<computed>';
      const rule =
        ruleFor(area, ref, target) ??
        (target.kind === 'file' && !exists(target.path) ? `${area}: does not resolve to a file` : null);
      if (rule !== null) problems.push(`${f.path}:${ref.line}: imports ${shown} (${rule})`);
    }
  }
  return problems;
}

/** Everything reachable from `entries` through imports of any kind, type imports included. */
export function importClosure(
  entries: readonly string[],
  files: ReadonlyMap<string, SourceFile>,
): { files: Set<string>; external: Set<string>; missing: Set<string> } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const missing = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const file = files.get(path);
    if (file === undefined) {
      missing.add(path);
      continue;
    }
    for (const ref of extractImports(file.path, file.text)) {
      const target = resolveSpec(file.path, ref.spec);
      if (target.kind === 'file') queue.push(target.path);
      else
        external.add(
          target.kind === 'builtin' || target.kind === 'package'
            ? target.spec
            : target.kind === 'outside'
              ? target.path
              : '<computed>',
        );
    }
  }
  return { files: seen, external, missing };
}

function shimClosureProblems(files: ReadonlyMap<string, SourceFile>): string[] {
  const entries = [...files.keys()].filter((p) => p.startsWith('main/shim/'));
  const closure = importClosure(entries, files);
  return [
    ...[...closure.files]
      .filter((p) => !under(p, 'main/shim/', 'main/shared/'))
      .map((p) => `shim closure reaches ${p}`),
    ...[...closure.external].filter((s) => !s.startsWith('node:')).map((s) => `shim closure imports ${s}`),
    ...[...closure.missing]
      .filter((p) => under(p, 'main/shim/', 'main/shared/'))
      .map((p) => `shim closure: ${p} does not exist`),
  ];
}

// ---------------------------------------------------------------------------------------------
// No import cycles between folders of main/engine: a folder that imports another must not be
// imported back by it, directly or round a loop, so each folder can be read (and tested) on top
// of the ones it uses.

/**
 * Files directly in main/engine are a node each (`main/engine/gateway.ts`); a folder is one node, sub-folders included.
 */
export function engineNode(path: string): string | null {
  const m = /^main\/engine\/([^/]+)(\/)?/.exec(path);
  return m === null ? null : `main/engine/${m[1]}${m[2] ?? ''}`;
}

/** At most this many cycles are listed: past that, the first ones are enough to start untangling. */
const MAX_CYCLES = 50;

/**
 * Every elementary cycle between nodes of main/engine (type-only and dynamic imports count),
 * leaving out `exempt` nodes, each as its chain of imports:
 * `a/ → b/ → a/: main/engine/a/x.ts:3 → main/engine/b/y.ts; main/engine/b/y.ts:1 → main/engine/a/z.ts`.
 */
export function folderCycles(files: readonly SourceFile[], exempt: readonly string[] = []): string[] {
  /** node → node → the imports that make that edge. */
  const edges = new Map<string, Map<string, string[]>>();
  for (const f of files) {
    const from = engineNode(f.path);
    if (from === null || exempt.includes(from)) continue;
    for (const ref of extractImports(f.path, f.text)) {
      const target = resolveSpec(f.path, ref.spec);
      if (target.kind !== 'file') continue;
      const to = engineNode(target.path);
      if (to === null || to === from || exempt.includes(to)) continue;
      let out = edges.get(from);
      if (!out) edges.set(from, (out = new Map()));
      const imports = out.get(to) ?? [];
      imports.push(`${f.path}:${ref.line} → ${target.path}`);
      out.set(to, imports);
    }
  }
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].sort();
  const short = (node: string) => node.slice('main/engine/'.length);
  const cycles: string[] = [];
  // Each cycle once: found from its smallest node, through larger nodes only.
  for (const start of nodes) {
    const path = [start];
    const visit = (node: string): void => {
      for (const next of [...(edges.get(node)?.keys() ?? [])].sort()) {
        if (cycles.length >= MAX_CYCLES) return;
        if (next === start) {
          const hops = path.map((n, i) =>
            edges
              .get(n)!
              .get(path[i + 1] ?? start)!
              .join(', '),
          );
          cycles.push(`${[...path, start].map(short).join(' → ')}: ${hops.join('; ')}`);
        } else if (next > start && !path.includes(next)) {
          path.push(next);
          visit(next);
          path.pop();
        }
      }
    };
    visit(start);
  }
  return cycles;
}

// ---------------------------------------------------------------------------------------------
// The repository.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = /\.(?:[cm]?ts|[cm]?js|svelte)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'out', 'coverage']);

function walk(dir: string, out: SourceFile[]): void {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return;
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(rel, out);
    } else if (entry.isFile() && SOURCE.test(entry.name)) {
      out.push({ path: rel, text: readFileSync(join(ROOT, rel), 'utf8') });
    }
  }
}

function repoFiles(): SourceFile[] {
  const files: SourceFile[] = [];
  for (const dir of ['main', 'preload', 'renderer']) walk(dir, files);
  return files;
}

describe('dependency boundaries (docs/architecture.md)', () => {
  const files = repoFiles();
  const byPath = new Map(files.map((f) => [f.path, f]));

  it('finds the source tree', () => {
    expect(files.some((f) => f.path.startsWith('main/engine/'))).toBe(true);
    expect(files.some((f) => f.path.startsWith('preload/contract/'))).toBe(true);
    expect(files.reduce((n, f) => n + extractImports(f.path, f.text).length, 0)).toBeGreaterThan(10);
  });

  it('every import follows the table', () => {
    expect(checkBoundaries(files, (p) => existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('no import cycles between folders of main/engine', () => {
    expect(folderCycles(files)).toEqual([]);
  });

  it.runIf(files.some((f) => f.path.startsWith('main/shim/')))(
    'the shim imports only node built-ins, main/shared and main/shim (whole closure)',
    () => {
      expect(shimClosureProblems(byPath)).toEqual([]);
    },
  );
});

describe('boundary checker self-test', () => {
  it('extracts imports and ignores comments, strings, templates and regex literals', () => {
    const src = [
      "import a from './a.ts'; // import x from 'electron'",
      "/* import y from 'electron' */ import type { B } from './b.ts';",
      "import type from './c.ts';",
      "import { type D } from './d.ts';",
      'const s = "import z from \'electron\'";',
      "const t = `import ${'q'} from 'electron' ${ { k: `x` }.k }`;",
      "const r = /import w from 'electron'\\//g;",
      "export * from './e.ts'; export type { F } from './f.ts'; export { g as h } from './g.ts'; export { local };",
      "const m = await import('./m.ts'); const n = import(name); import './side.ts';",
      "const req = require('./r.cjs'); const meta = import.meta.url; obj.import('./not.ts');",
    ].join('\n');
    const refs = extractImports('main/engine/x.ts', src).map(
      (r) => `${r.how}:${r.spec}:${r.typeOnly ? 'type' : 'value'}:${r.line}`,
    );
    expect(refs).toEqual([
      'import:./a.ts:value:1',
      'import:./b.ts:type:2',
      'import:./c.ts:value:3',
      'import:./d.ts:value:4',
      'export:./e.ts:value:8',
      'export:./f.ts:type:8',
      'export:./g.ts:value:8',
      'dynamic:./m.ts:value:9',
      'dynamic:null:value:9',
      'import:./side.ts:value:9',
      'require:./r.cjs:value:10',
    ]);
  });

  it('reads only the script blocks of .svelte files', () => {
    const src =
      '<script lang="ts">\n  import type { A } from \'../preload/contract/dto.ts\';\n</script>\n<p>import x ' +
      "from 'electron'</p>\n<script module>import { ipcRenderer } from 'electron';</script>";
    expect(extractImports('renderer/App.svelte', src).map((r) => `${r.spec}@${r.line}`)).toEqual([
      '../preload/contract/dto.ts@2',
      'electron@5',
    ]);
  });

  it('reports a synthetic set of violating files', () => {
    const synthetic: SourceFile[] = [
      {
        path: 'main/engine/a.ts',
        text: [
          "import { app } from 'electron';",
          "import { x } from '../app/tray.ts';",
          "// import y from '../../renderer/z.ts';",
          'const s = \'import z from "electron"\';',
          "import { ok } from './b.ts';",
          "import { w } from '../shared/w.ts';",
          "import { z } from 'zod';",
        ].join('\n'),
      },
      {
        path: 'main/engine/b.ts',
        text:
          "const m = await import('../shim/s.ts');\nexport * from '../../preload/index.ts';\nconst d = " +
          'await import(name);',
      },
      { path: 'main/engine/index.ts', text: "export { ok } from './b.ts';" },
      {
        path: 'main/app/x.ts',
        text:
          "import { g } from '../engine/b.ts';\nimport { h } from '../engine/index.ts';\nimport { " +
          "ipcMain } from 'electron';\nimport type { D } from '../../preload/contract/d.ts';",
      },
      { path: 'main/index.ts', text: "import path from 'node:path';\nimport { run } from './app/x.ts';" },
      {
        path: 'main/cli.ts',
        text:
          "import { run } from './app/x.ts';\nimport pkg from '../package.json' with { type: 'json' " +
          "};\nconst c = await import('./cli/commands.ts');",
      },
      {
        path: 'main/cli/commands.ts',
        text:
          "import { w } from '../shared/w.ts';\nimport { e } from 'electron';\nimport { g } from " +
          "'../engine/gateway.ts';",
      },
      { path: 'main/engine/gateway.ts', text: '' },
      {
        path: 'main/shim/s.ts',
        text:
          "import fs from 'fs';\nimport z from 'zod';\nimport { w } from '../shared/w.ts';\nimport net " +
          "from 'node:net';",
      },
      { path: 'main/shared/w.ts', text: "import { e } from '../engine/b.ts';" },
      {
        path: 'preload/contract/c.ts',
        text:
          "import { A } from './d.ts';\nimport { z } from 'zod';\nimport type { G } from " +
          "'../../main/engine/index.ts';\nimport { y } from 'yaml';",
      },
      { path: 'preload/contract/d.ts', text: 'export interface A {}' },
      {
        path: 'preload/index.ts',
        text:
          "import { contextBridge } from 'electron';\nimport { readFile } from 'node:fs';\nimport type { " +
          "A } from './contract/d.ts';",
      },
      {
        path: 'renderer/src/r.ts',
        text:
          "import type { A } from '../../preload/contract/d.ts';\nimport { B } from " +
          "'../../preload/index.ts';\nimport { ipcRenderer } from 'electron';\nimport { missing } from './nope.ts';",
      },
      { path: 'main/stray/q.ts', text: '' },
    ];
    const present = new Set([...synthetic.map((f) => f.path), 'package.json']);
    expect(checkBoundaries(synthetic, (p) => present.has(p))).toEqual([
      'main/engine/a.ts:1: imports electron (main/engine must not import electron)',
      'main/engine/a.ts:2: imports ../app/tray.ts (main/engine may import only main/engine/**, ' +
        'main/shared/** and preload/contract, not main/app)',
      'main/engine/b.ts:1: imports ../shim/s.ts (main/engine may import only main/engine/**, main/shared/** ' +
        'and preload/contract, not main/shim)',
      'main/engine/b.ts:2: imports ../../preload/index.ts (main/engine may import only main/engine/**, ' +
        'main/shared/** and preload/contract, not preload)',
      'main/engine/b.ts:3: imports <computed> (main/engine: import() of a computed specifier cannot be ' +
        'checked; use a string literal)',
      'main/app/x.ts:1: imports ../engine/b.ts (main/app may import main/engine/index.ts, preload/contract ' +
        'and main/app/**, not engine internals)',
      'main/index.ts:1: imports node:path (main/index.ts may import only electron, main/app/** and ' +
        'main/engine/index.ts)',
      'main/cli.ts:1: imports ./app/x.ts (main/cli may import main/cli, main/engine/index.ts, main/shim, ' +
        'main/shared, preload/contract and package.json, not main/app)',
      'main/cli/commands.ts:2: imports electron (the headless CLI must not import electron)',
      'main/cli/commands.ts:3: imports ../engine/gateway.ts (main/cli may import main/cli, ' +
        'main/engine/index.ts, main/shim, main/shared, preload/contract and package.json, not engine internals)',
      'main/shim/s.ts:1: imports fs (main/shim must write Node built-ins with the node: prefix)',
      'main/shim/s.ts:2: imports zod (main/shim may import only node:* built-ins and main/shim/, ' +
        'main/shared/, not the package zod)',
      'main/shared/w.ts:1: imports ../engine/b.ts (main/shared may import main/shared/**, not engine internals)',
      'preload/contract/c.ts:3: imports ../../main/engine/index.ts (preload/contract may import only other ' +
        'contract files and zod)',
      'preload/contract/c.ts:4: imports yaml (preload/contract may import only other contract files and zod)',
      'preload/index.ts:2: imports node:fs (preload must not import Node built-ins)',
      'renderer/src/r.ts:2: imports ../../preload/index.ts (renderer may import renderer/** and ' +
        'preload/contract, not preload)',
      'renderer/src/r.ts:3: imports electron (renderer must not import electron)',
      'renderer/src/r.ts:4: imports ./nope.ts (renderer: does not resolve to a file)',
      'main/stray/q.ts: is outside the areas of docs/architecture.md (main/{engine,app,shim,shared,cli}, ' +
        'main/*.ts, preload, renderer)',
    ]);
  });

  it('lists each cycle between folders of main/engine as its chain of imports', () => {
    const synthetic: SourceFile[] = [
      { path: 'main/engine/a/x.ts', text: "import type { Y } from '../b/y.ts';" },
      { path: 'main/engine/b/y.ts', text: "import { z } from '../a/deep/z.ts';\nimport { w } from './w.ts';" },
      { path: 'main/engine/a/deep/z.ts', text: "import { q } from '../x.ts';" },
      { path: 'main/engine/c/c.ts', text: "const d = await import('../d/d.ts');" },
      { path: 'main/engine/d/d.ts', text: "export { t } from '../top.ts';" },
      { path: 'main/engine/top.ts', text: "import { c } from './c/c.ts';\nimport { b } from './b/y.ts';" },
      { path: 'main/engine/api/r.ts', text: "import { g } from '../gateway.ts';\nimport { e } from '../e/e.ts';" },
      { path: 'main/engine/gateway.ts', text: "import { r } from './api/r.ts';\nimport { e } from './e/e.ts';" },
      { path: 'main/engine/e/e.ts', text: "import type { R } from '../api/r.ts';\nimport { b } from '../b/y.ts';" },
      { path: 'main/shared/s.ts', text: "import { x } from '../engine/a/x.ts';" },
      { path: 'main/engine/f/f.ts', text: "import { s } from '../../shared/s.ts';" },
    ];
    expect(folderCycles(synthetic)).toEqual([
      'a/ → b/ → a/: main/engine/a/x.ts:1 → main/engine/b/y.ts; main/engine/b/y.ts:1 → main/engine/a/deep/z.ts',
      'api/ → e/ → api/: main/engine/api/r.ts:2 → main/engine/e/e.ts; main/engine/e/e.ts:1 → main/engine/api/r.ts',
      'api/ → gateway.ts → api/: main/engine/api/r.ts:1 → main/engine/gateway.ts; main/engine/gateway.ts:1 → ' +
        'main/engine/api/r.ts',
      'api/ → gateway.ts → e/ → api/: main/engine/api/r.ts:1 → main/engine/gateway.ts; ' +
        'main/engine/gateway.ts:2 → main/engine/e/e.ts; main/engine/e/e.ts:1 → main/engine/api/r.ts',
      'c/ → d/ → top.ts → c/: main/engine/c/c.ts:1 → main/engine/d/d.ts; main/engine/d/d.ts:1 → ' +
        'main/engine/top.ts; main/engine/top.ts:1 → main/engine/c/c.ts',
    ]);
    expect(folderCycles(synthetic, ['main/engine/api/', 'main/engine/gateway.ts'])).toEqual([
      'a/ → b/ → a/: main/engine/a/x.ts:1 → main/engine/b/y.ts; main/engine/b/y.ts:1 → main/engine/a/deep/z.ts',
      'c/ → d/ → top.ts → c/: main/engine/c/c.ts:1 → main/engine/d/d.ts; main/engine/d/d.ts:1 → ' +
        'main/engine/top.ts; main/engine/top.ts:1 → main/engine/c/c.ts',
    ]);
  });

  it('follows the shim closure through main/shared', () => {
    const files = new Map<string, SourceFile>(
      [
        { path: 'main/shim/index.ts', text: "import { a } from './relay.ts';\nimport net from 'node:net';" },
        { path: 'main/shim/relay.ts', text: "import { w } from '../shared/wire.ts';" },
        {
          path: 'main/shared/wire.ts',
          text: "import { f } from '../engine/protocol/framing.ts';\nimport { z } from 'zod';",
        },
        { path: 'main/engine/protocol/framing.ts', text: "import { e } from 'electron';" },
      ].map((f) => [f.path, f]),
    );
    expect(shimClosureProblems(files)).toEqual([
      'shim closure reaches main/engine/protocol/framing.ts',
      'shim closure imports zod',
      'shim closure imports electron',
    ]);
  });
});
