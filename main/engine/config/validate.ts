/**
 * Validation with messages a person can act on: zod checks the shape (schema.ts), this module
 * rewrites zod's issues into plain words and adds the rules that span fields (profiles naming
 * servers, a token for non-loopback listeners, reference syntax, alias clashes).
 */
import { z } from 'zod';
import { urlRefusal } from '../egress/policy.ts';
import { isLoopbackHost } from '../egress/user-url.ts';
import { parseHandlerAddress } from './handler-address.ts';
import { FORWARD_ALL, neverForwarded } from './header-rules.ts';
import { checkServerReferences, literalUrlCredentials, parseTemplate } from './references.ts';
import type { PathIssue, PathSegment } from './paths.ts';
import { configSchema, type ParsedConfig, type ParsedServerEntry } from './schema.ts';

export type ValidationResult = { ok: true; parsed: ParsedConfig } | { ok: false; issues: PathIssue[] };

export function validateConfigValue(value: unknown): ValidationResult {
  const result = configSchema.safeParse(value, { error: plainMessage });
  if (!result.success) return { ok: false, issues: convertIssues(result.error.issues, [], value) };
  const issues = crossFieldIssues(result.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, parsed: result.data };
}

// ---- zod issues in plain words ----

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  // A longer string may well be a token typed where it does not belong: the message goes to the
  // log and the app, so it is not quoted.
  if (typeof value === 'string')
    return value.length > 16 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return String(value);
  return `${typeof value === 'object' ? 'an object' : typeof value}`;
}

/** Default wording for issues whose schema did not set its own message. */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `missing; expected ${expected}`;
      // zod reports 1.5 for an int as a type error; say what is wrong with it.
      if (issue.expected === 'int' && typeof issue.input === 'number')
        return `expected a whole number, got ${issue.input}`;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_small': {
      const n = Number(issue.minimum);
      if (issue.origin === 'string')
        return n === 1 ? 'expected a non-empty string' : `expected at least ${n} characters`;
      if (issue.origin === 'array') return `expected at least ${n} item${n === 1 ? '' : 's'}`;
      return issue.inclusive ? `expected a number of at least ${n}` : `expected a number greater than ${n}`;
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'string') return `expected at most ${n} characters`;
      if (issue.origin === 'array') return `expected at most ${n} item${n === 1 ? '' : 's'}`;
      return issue.inclusive ? `expected a number of at most ${n}` : `expected a number less than ${n}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}

function toPath(path: readonly PropertyKey[]): PathSegment[] {
  return path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
}

function at(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A server entry is a union (stdio | remote); zod cannot say which one was meant, so entries with
 * both or neither of command/url get one clear message instead of both branches' complaints.
 */
function serverShapeIssues(value: unknown): Map<string, PathIssue> {
  const problems = new Map<string, PathIssue>();
  const servers = isPlainObject(value) ? value.mcpServers : undefined;
  if (!isPlainObject(servers)) return problems;
  for (const [name, entry] of Object.entries(servers)) {
    if (!isPlainObject(entry)) continue;
    const hasCommand = 'command' in entry;
    const hasUrl = 'url' in entry;
    const hasHandler = 'handler' in entry;
    if (hasHandler && (hasCommand || hasUrl)) {
      problems.set(name, {
        path: ['mcpServers', name],
        atKey: true,
        message:
          `has both "handler" and "${hasCommand ? 'command' : 'url'}": an entry is a JSON handler ` +
          `(handler), a local program (command) or a remote MCP server (url), so split it`,
      });
    } else if (hasHandler) {
      continue;
    } else if (isPlainObject(entry.command) && typeof entry.command.path === 'string') {
      problems.set(name, {
        path: ['mcpServers', name, 'command'],
        message:
          'is the program alone, not Zed\'s older {"path", "args"} form: write "command": ' +
          `${JSON.stringify(entry.command.path)} with "args" beside it`,
      });
    } else if (hasCommand && hasUrl) {
      problems.set(name, {
        path: ['mcpServers', name],
        atKey: true,
        message:
          'has both "command" and "url": an entry is either a local program (command) or a remote server ' +
          '(url), so split it into two entries',
      });
    } else if (!hasCommand && !hasUrl && Object.keys(entry).some((k) => HANDLER_ONLY.has(k))) {
      problems.set(name, {
        path: ['mcpServers', name],
        atKey: true,
        message:
          'needs "handler": the address of the JSON handler (an http(s):// URL, host:port for FastCGI, or a ' +
          'Unix socket path)',
      });
    } else if (!hasCommand && !hasUrl) {
      const renamed = ['serverUrl', 'httpUrl'].find((k) => k in entry);
      const misspelt = Object.keys(entry)
        .map((key) => ({ key, meant: closest(key, ['command', 'url', 'handler']) }))
        .find((k) => k.meant !== undefined);
      const hint = renamed
        ? `; rename "${renamed}" to "url"`
        : misspelt
          ? `; did you mean "${misspelt.meant}" for "${misspelt.key}"?`
          : '';
      problems.set(name, {
        path: ['mcpServers', name],
        atKey: true,
        message: `needs "command" (a local program to start) or "url" (a remote MCP server)${hint}`,
      });
    }
  }
  return problems;
}

function convertIssues(issues: readonly z.core.$ZodIssue[], base: PathSegment[], value: unknown): PathIssue[] {
  const shapeProblems = base.length === 0 ? serverShapeIssues(value) : new Map<string, PathIssue>();
  const out: PathIssue[] = [...shapeProblems.values()];
  for (const issue of issues) {
    if (isSafeIntegerNoise(issue, issues)) continue;
    const path = [...base, ...toPath(issue.path)];
    if (path[0] === 'mcpServers' && typeof path[1] === 'string' && shapeProblems.has(path[1])) continue;
    out.push(...convertIssue(issue, path, value));
  }
  return out;
}

/**
 * zod's .int() bounds a number at 2^53 - 1 as well: past that (1e20) it is said beside the field's
 * own bound (a timer's 2^31 - 1 ms), a second line that only repeats the problem less helpfully.
 */
function isSafeIntegerNoise(issue: z.core.$ZodIssue, all: readonly z.core.$ZodIssue[]): boolean {
  if (issue.code !== 'too_big' || Number(issue.maximum) !== Number.MAX_SAFE_INTEGER) return false;
  const at = toPath(issue.path).join('\0');
  return all.some((other) => other !== issue && other.code === 'too_big' && toPath(other.path).join('\0') === at);
}

function convertIssue(issue: z.core.$ZodIssue, path: PathSegment[], value: unknown): PathIssue[] {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        atKey: true,
        message: unknownKeyMessage(key, path, value),
      }));
    case 'invalid_key': {
      // Record keys: point at the key, and use the key schema's message.
      const inner = issue.issues[0];
      return [{ path, atKey: true, message: inner ? inner.message : issue.message }];
    }
    case 'invalid_union': {
      // A server entry says which branch it meant by having "command" (stdio) or "url" (remote);
      // serverShapeIssues already covered entries with both or neither.
      const entry = at(value, path);
      if (path.length === 2 && path[0] === 'mcpServers' && isPlainObject(entry)) {
        const branch = issue.errors['command' in entry ? 0 : 'handler' in entry ? 2 : 1];
        if (branch) return convertIssues(branch, path, value);
      }
      // Otherwise the branch whose type matched (its complaints are about the inside) is the one meant.
      const matched = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      if (matched.length === 1 && matched[0]) return convertIssues(matched[0], path, value);
      return [{ path, message: issue.message }];
    }
    default:
      return [{ path, message: listOrMapHint(path, value) ?? issue.message }];
  }
}

/**
 * "args" written as one string, "env" or "headers" as a list of "NAME=value" lines: the shape
 * other tools use, told in the shape this file takes (values are left out: they may be secrets).
 */
function listOrMapHint(path: PathSegment[], value: unknown): string | undefined {
  if (path.length !== 3 || path[0] !== 'mcpServers') return undefined;
  const field = path[2];
  const given = at(value, path);
  if (field === 'args' && typeof given === 'string') {
    const words = given.trim().split(/\s+/);
    const example =
      given.length <= 16 ? `[${words.map((w) => JSON.stringify(w)).join(', ')}]` : '["-y", "some-package"]';
    return `expected an array of strings, one item per argument, e.g. ${example}; got ${describeValue(given)}`;
  }
  if ((field === 'env' || field === 'headers') && Array.isArray(given)) {
    const separator = field === 'env' ? '=' : ':';
    const names = given
      .filter((item): item is string => typeof item === 'string' && item.includes(separator))
      .map((item) => item.slice(0, item.indexOf(separator)).trim())
      .filter((name) => name !== '');
    const shown = (names.length > 0 ? names.slice(0, 2) : ['NAME']).map((n) => `${JSON.stringify(n)}: "…"`);
    const example = `{${shown.join(', ')}}`;
    return `expected an object of names and values, e.g. ${example}, not a list; got an array`;
  }
  return undefined;
}

const STDIO_ONLY = new Set(['args', 'env', 'cwd', 'isolated']);
const OVER_HTTP = new Set(['headers', 'forwardHeaders', 'overridableHeaders', 'allowPrivateNetwork']);
const REMOTE_ONLY = new Set(['transport']);
const HANDLER_ONLY = new Set(['entrypoint', 'insecure', 'pool', 'discoverTtlMs', 'kind']);
// Other clients' names for the server list: a config pasted from one of them gets told the name here.
const OTHER_CLIENTS_LISTS: Record<string, string> = {
  servers: 'VS Code',
  context_servers: 'Zed',
  mcp_servers: 'Codex',
};

/**
 * Keys other clients write into a server entry, which a pasted entry brings along: what each is,
 * and what to write here instead (a plain "unknown key" left the user guessing).
 */
const OTHER_CLIENTS_ENTRY_KEYS: Record<string, string> = {
  source: '"source" is Zed\'s ("custom" for a server it starts): remove it',
  settings: '"settings" is Zed\'s, for its extensions: remove it (a server\'s settings go in its "args" or "env")',
  enabled: '"enabled" is not read here: a server runs unless its entry has "disabled": true; remove "enabled"',
  envFile:
    '"envFile" (VS Code, Cursor) is not read here: put the variables in "env", and secrets as ' +
    '"${secret:NAME}" (stored with: switchboard secrets set NAME)',
  trust: '"trust" (Gemini CLI) has no meaning here: remove it',
  includeTools: '"includeTools" (Gemini CLI) is written "tools": {"allow": [...]} here',
  excludeTools: '"excludeTools" (Gemini CLI) is written "tools": {"deny": [...]} here',
};

function unknownKeyMessage(key: string, container: PathSegment[], value: unknown): string {
  const client = container.length === 0 ? OTHER_CLIENTS_LISTS[key] : undefined;
  if (client) return `"${key}" is ${client}'s name for the server list: Switchboard's is "mcpServers"`;
  if (container.length === 0 && key === 'inputs')
    return (
      '"inputs" is VS Code\'s list of values it asks you for; Switchboard keeps such values in the keychain: ' +
      'store each with "switchboard secrets set NAME", write "${secret:NAME}" where "${input:NAME}" was, ' +
      'and remove "inputs"'
    );
  if (container.length === 2 && container[0] === 'mcpServers') {
    const foreign = Object.hasOwn(OTHER_CLIENTS_ENTRY_KEYS, key) ? OTHER_CLIENTS_ENTRY_KEYS[key] : undefined;
    if (foreign) return foreign;
    if (STDIO_ONLY.has(key)) return `"${key}" applies only to stdio servers (entries with "command")`;
    if (REMOTE_ONLY.has(key)) return `"${key}" applies only to remote servers (entries with "url")`;
    if (OVER_HTTP.has(key))
      return `"${key}" applies only to remote servers and handlers (entries with "url" or "handler")`;
    if (HANDLER_ONLY.has(key)) return `"${key}" applies only to JSON handlers (entries with "handler")`;
    const entry = at(value, container);
    if (key === 'type' && isPlainObject(entry) && 'handler' in entry) {
      return (
        '"type" is for "command" and "url" entries; a handler\'s kind is detected from "handler", or ' +
        'set with "kind": "handler-http" or "handler-fastcgi"'
      );
    }
  }
  const here = objectKeysAt(configSchema, container);
  const suggestion = closest(key, here);
  if (suggestion) return `unknown key "${key}" (did you mean "${suggestion}"?)`;
  // A key one level too high ("listen": {"port": 8080}): said where it goes.
  const parent = container.length > 0 && here.find((k) => objectKeysAt(configSchema, [...container, k]).includes(key));
  if (parent) return `unknown key "${key}": it goes inside "${parent}" (${[...container, parent, key].join('.')})`;
  return `unknown key "${key}"`;
}

// Walks the schema along a path to list the keys valid there, for "did you mean".
type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
};
const defOf = (schema: z.ZodType): Def => schema._zod.def as unknown as Def;

function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

function objectKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current = unwrap(schema);
  for (const segment of path) {
    current = current.flatMap((s) => {
      const def = defOf(s);
      if (def.type === 'object' && typeof segment === 'string')
        return def.shape?.[segment] ? unwrap(def.shape[segment]) : [];
      if (def.type === 'record' && def.valueType) return unwrap(def.valueType);
      if (def.type === 'array' && def.element) return unwrap(def.element);
      return [];
    });
  }
  return [...new Set(current.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/** The candidate within a small edit distance, for typo hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = word.length <= 4 ? 1 : 2;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits between two words, a swap of two neighbouring letters counting as one ("evn" is one from "env"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

// ---- rules that span fields ----

function crossFieldIssues(config: ParsedConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const separator = config.namespaceSeparator;

  for (const [name, entry] of Object.entries(config.mcpServers)) {
    const base: PathSegment[] = ['mcpServers', name];
    if (name.includes(separator)) {
      issues.push({
        path: base,
        atKey: true,
        message:
          `server name "${name}" contains the namespace separator "${separator}", which would make ` +
          `its tool names ambiguous`,
      });
    }
    for (const problem of checkServerReferences(entry))
      issues.push({ path: [...base, ...problem.path], message: problem.message });
    issues.push(...transportIssues(entry, base));
    if ('handler' in entry) issues.push(...handlerIssues(entry, base));
    if (!('command' in entry))
      issues.push(...headerCaseIssues(entry, base), ...forwardingIssues(entry, base), ...urlIssues(entry, base));
    issues.push(...aliasIssues(entry.tools?.aliases, [...base, 'tools', 'aliases']));
    issues.push(...aliasIssues(entry.prompts?.aliases, [...base, 'prompts', 'aliases']));
  }

  const known = Object.keys(config.mcpServers);
  for (const [profile, { servers }] of Object.entries(config.profiles ?? {})) {
    servers.forEach((server, index) => {
      if (Object.hasOwn(config.mcpServers, server)) return;
      const suggestion = closest(server, known);
      issues.push({
        path: ['profiles', profile, 'servers', index],
        message:
          `profile "${profile}" names server "${server}", which is not in ` +
          `mcpServers${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      });
    });
  }

  const http = config.listen?.http;
  if (typeof http === 'object' && http.token !== undefined && http.token.includes('${')) {
    const parsed = parseTemplate(http.token);
    if (!parsed.ok) issues.push({ path: ['listen', 'http', 'token'], message: parsed.message });
  }
  if (typeof http === 'object' && !isLoopbackHost(http.host) && http.token === undefined) {
    issues.push({
      path: ['listen', 'http', 'host'],
      message:
        `"${http.host}" is not a loopback address, so listen.http.token is required: without it ` +
        `anyone on the network could use your tools`,
    });
  }
  if (typeof http === 'object' && http.limits) issues.push(...httpLimitIssues(http.limits));
  return issues;
}

function httpLimitIssues(limits: {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  maxPendingConnections: number;
  maxConnectionsPerClient: number;
}): PathIssue[] {
  const base: PathSegment[] = ['listen', 'http', 'limits'];
  const issues: PathIssue[] = [];
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    issues.push({
      path: [...base, 'headersTimeoutMs'],
      message:
        `headersTimeoutMs (${limits.headersTimeoutMs}) is longer than requestTimeoutMs ` +
        `(${limits.requestTimeoutMs}), which already covers the headers; make it shorter or equal`,
    });
  for (const key of ['maxPendingConnections', 'maxConnectionsPerClient'] as const) {
    if (limits[key] > limits.maxConnections)
      issues.push({
        path: [...base, key],
        message: `${key} (${limits[key]}) is above maxConnections (${limits.maxConnections}); it must not be`,
      });
  }
  return issues;
}

/** Headers Switchboard sets itself on every handler request (a static value would break the exchange). */
const RESERVED_HANDLER_HEADERS = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);

function handlerIssues(entry: Extract<ParsedServerEntry, { handler: string }>, base: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  // The address is used as written: a reference in it reached the handler as its literal text.
  const parsed = parseTemplate(entry.handler);
  const reference = parsed.ok ? parsed.parts.find((part) => typeof part !== 'string') : undefined;
  if (reference) {
    const written = `\${${reference.kind}:${reference.name}}`;
    return [
      {
        path: [...base, 'handler'],
        message:
          `"handler" is used as written, without references: ${written} would reach the handler as that ` +
          (reference.kind === 'secret'
            ? `text. Send the secret in a header instead, e.g. "headers": {"X-Api-Key": "${written}"}`
            : 'text. Write the address itself'),
      },
    ];
  }
  const address = parseHandlerAddress(entry.handler, entry.kind);
  if ('error' in address) return [{ path: [...base, 'handler'], message: address.error }];
  if (address.kind === 'handler-fastcgi') {
    if (entry.entrypoint === undefined) {
      issues.push({
        path: [...base, 'handler'],
        message:
          `a FastCGI handler needs "entrypoint": the absolute path of the script the FastCGI server ` +
          `runs (SCRIPT_FILENAME), e.g. "/srv/app/mcp.php"`,
      });
    }
    if (entry.insecure)
      issues.push({
        path: [...base, 'insecure'],
        message: '"insecure" turns off HTTPS certificate checks; a FastCGI handler has no HTTPS',
      });
  } else if (entry.entrypoint !== undefined) {
    issues.push({
      path: [...base, 'entrypoint'],
      message: '"entrypoint" applies only to FastCGI handlers (an HTTP handler is its URL)',
    });
  }
  for (const header of Object.keys(entry.headers ?? {})) {
    if (RESERVED_HANDLER_HEADERS.has(header.toLowerCase())) {
      issues.push({
        path: [...base, 'headers', header],
        atKey: true,
        message: `"${header}" is set by Switchboard on every handler request and cannot be configured`,
      });
    }
  }
  return issues;
}

type OverHttpEntry = Exclude<ParsedServerEntry, { command: string }>;

/**
 * One header written twice in different case ("Authorization" and "authorization"): header names
 * ignore case, so both went out, joined into one value ("Bearer a, Bearer b") the server refused.
 */
function headerCaseIssues(entry: OverHttpEntry, base: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const first = new Map<string, string>();
  for (const header of Object.keys(entry.headers ?? {})) {
    const written = first.get(header.toLowerCase());
    if (written === undefined) first.set(header.toLowerCase(), header);
    else
      issues.push({
        path: [...base, 'headers', header],
        atKey: true,
        message:
          `"${header}" is the header "${written}" again (header names ignore case, and both would be sent as ` +
          `one value): keep one of them`,
      });
  }
  return issues;
}

/** forwardHeaders / overridableHeaders: names that can be forwarded, and overrides of headers that exist. */
function forwardingIssues(entry: OverHttpEntry, base: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  (entry.forwardHeaders ?? []).forEach((name, index) => {
    const why = name === FORWARD_ALL ? undefined : neverForwarded(name);
    if (why) issues.push({ path: [...base, 'forwardHeaders', index], message: `"${name}" is never forwarded: ${why}` });
  });
  const configured = new Set(Object.keys(entry.headers ?? {}).map((h) => h.toLowerCase()));
  (entry.overridableHeaders ?? []).forEach((name, index) => {
    const path = [...base, 'overridableHeaders', index];
    const why = neverForwarded(name);
    if (why) issues.push({ path, message: `"${name}" is never taken from a client: ${why}` });
    else if (!configured.has(name.toLowerCase()))
      issues.push({
        path,
        message:
          `"${name}" is not set in "headers", so there is nothing to override; to pass the client's ` +
          `${name} on, list it in "forwardHeaders"`,
      });
  });
  return issues;
}

const CREDENTIALS_IN_URL =
  'has a user name or password in it, which would sit in this file in plain text and show wherever the URL is ' +
  'shown: remove "user:password@" and send them in a header from the keychain, e.g. "headers": ' +
  '{"Authorization": "Basic ${secret:NAME}"} with the base64 of "user:password" stored by: switchboard secrets ' +
  'set NAME (switchboard adopt does this for the servers it takes over)';

/** Credentials written into a URL, and addresses the egress policy refuses whatever DNS says. */
function urlIssues(entry: OverHttpEntry, base: PathSegment[]): PathIssue[] {
  const field = 'url' in entry ? 'url' : 'handler';
  const text = 'url' in entry ? entry.url : entry.handler;
  if (!/^https?:\/\//i.test(text.trim())) {
    if ('handler' in entry && entry.allowPrivateNetwork)
      return [
        {
          path: [...base, 'allowPrivateNetwork'],
          message:
            '"allowPrivateNetwork" applies to URLs (remote servers, handlers over HTTP); a FastCGI handler ' +
            'connects to the address in "handler" as written',
        },
      ];
    return [];
  }
  if (literalUrlCredentials(text.trim())) return [{ path: [...base, field], message: `the URL ${CREDENTIALS_IN_URL}` }];
  if (text.includes('${')) return [];
  const refused = urlRefusal(text.trim(), { allowPrivateNetwork: entry.allowPrivateNetwork });
  return refused ? [{ path: [...base, field], message: `Switchboard will not connect there: ${refused}` }] : [];
}

function transportIssues(entry: ParsedServerEntry, base: PathSegment[]): PathIssue[] {
  if ('command' in entry || 'handler' in entry || !entry.type || !entry.transport || entry.type === 'http') return [];
  if (entry.type === entry.transport) return [];
  return [
    {
      path: [...base, 'transport'],
      message: `"${entry.transport}" conflicts with "type": "${entry.type}"; keep one of them`,
    },
  ];
}

function aliasIssues(aliases: Record<string, string> | undefined, path: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const owner = new Map<string, string>();
  for (const [original, alias] of Object.entries(aliases ?? {})) {
    const first = owner.get(alias);
    if (first !== undefined)
      issues.push({ path: [...path, original], message: `alias "${alias}" is already used for "${first}"` });
    else owner.set(alias, original);
  }
  return issues;
}
