// @ts-check
/**
 * Lint: ESLint's and typescript-eslint's recommended rules (syntax only, no type information, so
 * it stays fast) plus the dependency rules of docs/architecture.md as no-restricted-imports per
 * folder. test/unit/boundaries.test.ts checks the same table on resolved paths, including
 * dynamic import() and .svelte files, which this config cannot see.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from './.prettierrc.json' with { type: 'json' };
import tseslint from 'typescript-eslint';

const SOURCE_EXTS = '{ts,mts,cts,js,mjs,cjs}';
/** Folder levels below an area that get generated rules (the boundary test has no limit). */
const MAX_DEPTH = 6;

/** @param {string} s */
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NOT_FURTHER = '(?!\\.{1,2}/)';

const bare = {
  electron: { regex: '^electron(?:/|$)', message: 'must not import electron' },
  nodeBuiltin: {
    regex: `^(?:node:|(?:${builtinModules
      .filter((m) => !m.startsWith('_'))
      .map(esc)
      .join('|')})(?:/|$))`,
    message: 'must not import Node built-ins',
  },
  /** @param {string} what @param {string[]} allowed exact bare specifiers */
  only: (what, allowed) => ({
    regex: `^(?!${allowed.map((a) => `${esc(a)}$`).join('|')}${allowed.length ? '|' : ''}\\.{1,2}/)`,
    message: `may import ${what}`,
  }),
  nodePrefixedOnly: {
    regex: '^(?!node:|\\.{1,2}/)',
    message: 'may import only Node built-ins, written with the node: prefix',
  },
  absolute: { regex: '^(?:/|[A-Za-z]:[\\\\/]|file:)', message: 'must not import by absolute path or URL' },
};

/**
 * One entry per row of the table in docs/architecture.md. `allow` holds repo-relative zones: a
 * folder ending in `/` or one exact file. Relative imports outside them are refused.
 * @typedef {{ regex: string, message: string }} BareRule
 * @typedef {{ name: string, dir: string, files?: string[], ignores?: string[], topOnly?: boolean,
 *   allow: string[], bare: BareRule[], summary: string }} Area
 * @type {Area[]}
 */
const AREAS = [
  {
    name: 'main/engine',
    dir: 'main/engine',
    allow: ['main/engine/', 'main/shared/', 'preload/contract/'],
    bare: [bare.electron, bare.absolute],
    summary:
      'pure Node: node:*, npm packages (not electron), main/engine/**, main/shared/** and preload/contract; ' +
      'never main/app, main/shim, the preload or renderer',
  },
  {
    name: 'main/app',
    dir: 'main/app',
    allow: ['main/app/', 'main/engine/index.ts', 'preload/contract/'],
    bare: [bare.absolute],
    summary: 'electron, main/engine/index.ts (not engine internals), preload/contract and main/app/**',
  },
  {
    name: 'main/shim',
    dir: 'main/shim',
    allow: ['main/shim/', 'main/shared/'],
    bare: [bare.nodePrefixedOnly],
    summary: 'node:* built-ins, main/shared/** and main/shim/** only (it must start in milliseconds)',
  },
  {
    name: 'main/shared',
    dir: 'main/shared',
    allow: ['main/shared/'],
    bare: [bare.nodePrefixedOnly],
    summary: 'node:* built-ins and main/shared/** only',
  },
  {
    name: 'main/index.ts',
    dir: 'main',
    files: ['main/index.ts'],
    topOnly: true,
    allow: ['main/app/', 'main/engine/index.ts'],
    bare: [bare.only('only electron', ['electron', 'electron/main'])],
    summary: 'only electron, main/app/** and main/engine/index.ts (wiring only)',
  },
  {
    name: 'main/cli.ts',
    dir: 'main',
    ignores: ['main/index.ts'],
    topOnly: true,
    allow: ['main/cli/', 'main/engine/index.ts', 'main/shim/', 'main/shared/', 'preload/contract/', 'package.json'],
    bare: [bare.electron, bare.absolute],
    summary:
      'the headless CLI (main/*.ts but index.ts, main/cli/**): main/cli, main/engine/index.ts (not engine ' +
      'internals), main/shim, main/shared, preload/contract, package.json; never electron, main/app, the ' +
      'preload bridge or renderer',
  },
  {
    name: 'main/cli',
    dir: 'main/cli',
    allow: ['main/cli/', 'main/engine/index.ts', 'main/shim/', 'main/shared/', 'preload/contract/', 'package.json'],
    bare: [bare.electron, bare.absolute],
    summary:
      'the headless CLI (main/*.ts but index.ts, main/cli/**): main/cli, main/engine/index.ts (not engine ' +
      'internals), main/shim, main/shared, preload/contract, package.json; never electron, main/app, the ' +
      'preload bridge or renderer',
  },
  {
    name: 'preload/contract',
    dir: 'preload/contract',
    allow: ['preload/contract/'],
    bare: [bare.only('only zod', ['zod'])],
    summary: 'other contract files and zod, nothing else (no node:*, no electron)',
  },
  {
    name: 'preload',
    dir: 'preload',
    ignores: ['preload/contract/**'],
    allow: ['preload/'],
    bare: [bare.only('only electron', ['electron', 'electron/renderer'])],
    summary:
      'electron (contextBridge, ipcRenderer) and preload/** (the contract, the bridges) only; no node:*, no main',
  },
  {
    name: 'renderer',
    dir: 'renderer',
    ignores: ['renderer/dist/**'],
    allow: ['renderer/', 'preload/contract/'],
    bare: [bare.electron, bare.nodeBuiltin, bare.absolute],
    summary: 'svelte, renderer/**, preload/contract (its HTTP bridge included); never electron, node:* or main',
  },
];

/**
 * no-restricted-imports sees the specifier as written, so rules are generated per folder depth:
 * from main/engine/x/y.ts, `../../app/` is main/app/. Specifiers with `..` in the middle are left
 * to the boundary test.
 * @param {Area} area
 * @param {number} depth folders between the area's dir and the file
 */
function patternsFor(area, depth) {
  const areaParts = area.dir.split('/');
  const fileDepth = areaParts.length + depth;
  const rule = `${area.name} ${area.summary} (docs/architecture.md)`;
  /** @type {{ regex: string, message: string, caseSensitive: true }[]} */
  const patterns = area.bare.map((b) => ({
    regex: b.regex,
    message: `${area.name} ${b.message}: ${rule}`,
    caseSensitive: true,
  }));
  const deny = (/** @type {string} */ regex) =>
    patterns.push({ regex, message: `Import outside the allowed zones: ${rule}`, caseSensitive: true });

  for (let up = 0; up <= fileDepth; up++) {
    const prefix = up === 0 ? '\\./' : `(?:\\.\\./){${up}}`;
    const head = `^${prefix}${NOT_FURTHER}`;
    const baseLen = fileDepth - up;
    const deeper = baseLen > areaParts.length;
    const base = (deeper ? areaParts : areaParts.slice(0, baseLen)).join('/');
    if (area.allow.some((z) => z.endsWith('/') && `${base}/`.startsWith(z))) continue;
    /** @type {string[]} */ const allowed = [];
    for (const z of deeper ? [] : area.allow) {
      if (base !== '' && !z.startsWith(`${base}/`)) continue;
      const rest = z.slice(base === '' ? 0 : base.length + 1);
      allowed.push(z.endsWith('/') ? esc(rest) : `${esc(rest)}$`);
    }
    deny(allowed.length ? `${head}(?!(?:${allowed.join('|')}))` : head);
  }
  deny(`^(?:\\.\\./){${fileDepth + 1}}`);
  return patterns;
}

/** @returns {import('eslint').Linter.Config[]} */
function boundaryConfigs() {
  return AREAS.flatMap((area) => {
    const depths = area.topOnly ? [0] : Array.from({ length: MAX_DEPTH + 1 }, (_, d) => d);
    return depths.map((depth) => ({
      name: `switchboard/boundaries/${area.name}/depth-${depth}`,
      files: area.files ?? [`${area.dir}/${'*/'.repeat(depth)}*.${SOURCE_EXTS}`],
      ...(area.ignores ? { ignores: area.ignores } : {}),
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: patternsFor(area, depth) }] },
    }));
  });
}

const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'queueMicrotask',
    'structuredClone',
    'fetch',
    'globalThis',
  ].map((name) => [name, /** @type {const} */ ('readonly')]),
);

export default tseslint.config(
  { name: 'switchboard/ignores', ignores: ['**/node_modules/', '**/dist/', 'out/', 'resources/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    name: 'switchboard/base',
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // With verbatimModuleSyntax, `import { type A }` keeps a runtime import; say `import type`.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Protocol code validates control characters on purpose (hello frames, headers, names).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Prettier wraps code at its printWidth but cannot wrap strings or comments: no line may be longer.
      'max-len': ['error', { code: prettier.printWidth, tabWidth: 2 }],
    },
  },
  {
    name: 'switchboard/plain-js',
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    name: 'switchboard/commonjs',
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
      },
    },
  },
  {
    // Type-aware rules where a lost promise or a swallowed fault would hurt: the app and the engine.
    name: 'switchboard/type-aware',
    files: ['main/**/*.ts', 'preload/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A failure nobody awaits is written with logFailure() (or, for tidying whose outcome does
      // not matter, settled with Promise.allSettled); an empty catch block must say why (no-empty).
      'no-restricted-syntax': [
        'error',
        ...["[body.type='Identifier'][body.name='undefined']", "[body.type='BlockStatement'][body.body.length=0]"].map(
          (body) => ({
            selector: `CallExpression[callee.property.name='catch'] > ArrowFunctionExpression${body}`,
            message:
              'This hides a fault: log it with logFailure(log, what), or say why with Promise.allSettled and ' +
              'a comment.',
          }),
        ),
      ],
    },
  },
  ...boundaryConfigs(),
);
