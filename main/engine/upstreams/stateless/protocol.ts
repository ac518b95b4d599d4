/**
 * Vocabulary of the stateless 2026-07-28 revision as a client speaks it: the per-request `_meta`
 * envelope, the standard HTTP headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`,
 * `Mcp-Param-*`) and their value encoding. Pure functions; no I/O.
 */
import type { Params } from '../../protocol/jsonrpc.ts';
import { STATELESS_REVISION } from '../../protocol/versions.ts';

export { STATELESS_REVISION };

import { META, StatelessCode } from '../../protocol/stateless.ts';

export { META, StatelessCode };

/** Revisions are dates; every one from 2026-07-28 on is stateless. */
export function isStatelessRevision(version: unknown): version is string {
  return typeof version === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= STATELESS_REVISION;
}

/** The envelope keys we put on every request. Built once per upstream. */
export function baseEnvelope(
  clientInfo: { name: string; version: string },
  capabilities: Record<string, unknown>,
): Record<string, unknown> {
  return {
    [META.protocolVersion]: STATELESS_REVISION,
    [META.clientCapabilities]: capabilities,
    [META.clientInfo]: clientInfo,
  };
}

/**
 * `params` with the envelope in `_meta`. The caller's other `_meta` keys (progressToken, ...) are
 * kept. The version is always ours. Capabilities and client info are ours unless the caller
 * brings its own: a stateless client's request forwarded as it is, whose questions (an
 * input_required result) go back to that client, so the server must see what *it* can answer.
 * A caller's own logLevel wins over the remembered one: it is the more specific request.
 */
export function withEnvelope(
  params: Params | undefined,
  envelope: Record<string, unknown>,
  logLevel: string | undefined,
): Params {
  const callerMeta = params?._meta;
  const meta: Record<string, unknown> =
    typeof callerMeta === 'object' && callerMeta !== null && !Array.isArray(callerMeta)
      ? {
          ...envelope,
          ...(callerMeta as Record<string, unknown>),
          [META.protocolVersion]: envelope[META.protocolVersion],
        }
      : { ...envelope };
  if (logLevel !== undefined && meta[META.logLevel] === undefined) meta[META.logLevel] = logLevel;
  return { ...params, _meta: meta };
}

/** Which body field `Mcp-Name` mirrors, per method. */
const MCP_NAME_SOURCE: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** The `Mcp-Name` value for a request, or undefined when the method has none. */
export function mcpNameOf(method: string, params: Params | undefined): string | undefined {
  const field = Object.hasOwn(MCP_NAME_SOURCE, method) ? MCP_NAME_SOURCE[method] : undefined;
  if (field === undefined) return undefined;
  const value = params?.[field];
  return typeof value === 'string' ? value : undefined;
}

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';

/**
 * A header value as the spec's encoding rule wants it: plain when it is safe visible ASCII,
 * otherwise `=?base64?<UTF-8 in Base64>?=` (also when it has edge whitespace, which header
 * parsing would strip, or already looks like the sentinel).
 */
export function encodeHeaderValue(value: string): string {
  return needsBase64(value)
    ? `${SENTINEL_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${SENTINEL_SUFFIX}`
    : value;
}

function needsBase64(s: string): boolean {
  if (s === '') return true;
  if (s.startsWith(SENTINEL_PREFIX) && s.endsWith(SENTINEL_SUFFIX)) return true;
  if (s !== s.trim()) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || (c >= 0x20 && c <= 0x7e)) continue;
    return true;
  }
  return false;
}

/** A tool argument the server wants mirrored in an `Mcp-Param-{header}` header (`x-mcp-header`). */
export interface ParamHeader {
  path: string[];
  header: string;
}

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Numbers are not allowed: their text form is ambiguous (1 vs 1.0), so servers could not compare it.
const HEADER_TYPES = new Set(['string', 'integer', 'boolean']);

/** The `x-mcp-header` declarations of one input schema (reachable through `properties` only). */
export function paramHeadersOf(inputSchema: unknown): ParamHeader[] {
  const out: ParamHeader[] = [];
  const visit = (node: unknown, path: string[], depth: number): void => {
    if (depth > 32 || typeof node !== 'object' || node === null) return;
    const schema = node as Record<string, unknown>;
    const header = schema['x-mcp-header'];
    if (
      path.length > 0 &&
      typeof header === 'string' &&
      HEADER_TOKEN.test(header) &&
      HEADER_TYPES.has(String(schema.type))
    ) {
      out.push({ path, header });
    }
    const properties = schema.properties;
    if (typeof properties === 'object' && properties !== null) {
      for (const [key, child] of Object.entries(properties)) visit(child, [...path, key], depth + 1);
    }
  };
  visit(inputSchema, [], 0);
  return out;
}

/**
 * Why a tool's `x-mcp-header` annotations are unusable, or undefined when they are fine. Such a
 * tool must not be offered: its calls could not carry the headers the server will check.
 */
export function invalidParamHeaders(inputSchema: unknown): string | undefined {
  const seen = new Set<string>();
  let problem: string | undefined;
  const visit = (node: unknown, path: string[], depth: number): void => {
    if (problem || depth > 32 || typeof node !== 'object' || node === null) return;
    const schema = node as Record<string, unknown>;
    if (path.length > 0 && 'x-mcp-header' in schema) {
      const header = schema['x-mcp-header'];
      const where = `x-mcp-header of "${path.join('.')}"`;
      if (typeof header !== 'string' || header === '') problem = `${where} is empty`;
      else if (!HEADER_TOKEN.test(header))
        problem = `${where} (${JSON.stringify(header)}) has characters a header name cannot`;
      else if (!HEADER_TYPES.has(String(schema.type)))
        problem = `${where} is on a ${String(schema.type)} parameter (only string, integer and boolean)`;
      else if (seen.has(header.toLowerCase())) problem = `${where} repeats "${header}"`;
      else seen.add(header.toLowerCase());
    }
    const properties = schema.properties;
    if (typeof properties === 'object' && properties !== null) {
      for (const [key, child] of Object.entries(properties)) visit(child, [...path, key], depth + 1);
    }
  };
  visit(inputSchema, [], 0);
  return problem;
}

/** The `Mcp-Param-*` headers for one tools/call. Absent, null and non-primitive values send none. */
export function paramHeaderValues(declarations: readonly ParamHeader[], args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const decl of declarations) {
    let value: unknown = args;
    for (const key of decl.path)
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    let text: string | undefined;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'boolean') text = value ? 'true' : 'false';
    else if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!Number.isInteger(value) || Number.isSafeInteger(value))
    )
      text = String(value);
    if (text !== undefined) out[`mcp-param-${decl.header.toLowerCase()}`] = encodeHeaderValue(text);
  }
  return out;
}
