/**
 * A 2026-07-28 client's `Mcp-Param-*` headers, checked as the revision asks of a server: a tool
 * parameter marked `x-mcp-header` travels in the body and in its header, and the two must agree
 * (a header value may be `=?base64?…?=`). Intermediaries route on the header, so a call whose
 * header says something else than its body is refused (HTTP 400, -32020) before it reaches a server.
 */
import { decodeHeaderValue } from '../downstream/stateless.ts';
import { GatewayError } from '../protocol/errors.ts';
import { StatelessCode } from '../protocol/stateless.ts';
import { paramHeadersOf, paramHeaderValues, type ParamHeader } from '../upstreams/stateless/protocol.ts';
import type { Item } from './catalog.ts';

/** Each listed tool's declarations, made once per list (most tools have none). */
const declared = new WeakMap<readonly Item[], Map<string, ParamHeader[]>>();

function declarationsOf(tools: readonly Item[], name: string): ParamHeader[] | undefined {
  let byName = declared.get(tools);
  if (!byName) {
    byName = new Map();
    for (const tool of tools) {
      const found = typeof tool.name === 'string' ? paramHeadersOf(tool.inputSchema) : [];
      if (found.length) byName.set(tool.name!, found);
    }
    declared.set(tools, byName);
  }
  return byName.get(name);
}

/** Throws the refusal when the call's `Mcp-Param-*` headers do not match its arguments. */
export function checkParamHeaders(
  tools: readonly Item[],
  name: string,
  args: unknown,
  headers: ReadonlyArray<readonly [string, string]>,
): void {
  const declarations = declarationsOf(tools, name);
  if (!declarations) return;
  for (const decl of declarations) {
    const header = `mcp-param-${decl.header.toLowerCase()}`;
    const expected = paramHeaderValues([decl], args)[header];
    const wanted = expected === undefined ? undefined : decodeHeaderValue(expected);
    const raw = headers.find(([n]) => n.toLowerCase() === header)?.[1];
    const got = raw === undefined ? undefined : decodeHeaderValue(raw);
    const where = `arguments.${decl.path.join('.')}`;
    let problem: string | undefined;
    if (raw !== undefined && got === undefined) problem = `Mcp-Param-${decl.header} is not valid base64`;
    else if (got === undefined && wanted !== undefined)
      problem = `the Mcp-Param-${decl.header} header is missing (${where} is given)`;
    else if (got !== wanted)
      problem =
        wanted === undefined
          ? `Mcp-Param-${decl.header} is given but ${where} is not`
          : `Mcp-Param-${decl.header} does not match ${where}`;
    if (problem) {
      const message = `Header mismatch: ${problem}`;
      throw new GatewayError('invalid_request', message, { rpc: { code: StatelessCode.HeaderMismatch, message } });
    }
  }
}
