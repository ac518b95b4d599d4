import { describe, expect, it } from 'vitest';
import { neverForwarded } from '../../../../../main/engine/config/header-rules.ts';
import type { ForwardRule } from '../../../../../main/engine/upstreams/client-headers.ts';
import {
  fastcgiHeaderParams,
  handlerHeaderPolicy,
  headerListFromRaw,
  httpHandlerHeaders,
  type HeaderList,
} from '../../../../../main/engine/upstreams/handler/headers.ts';

const CLIENT: HeaderList = [
  ['Host', '127.0.0.1:8787'],
  ['Connection', 'keep-alive, X-Private'],
  ['Keep-Alive', 'timeout=5'],
  ['Transfer-Encoding', 'chunked'],
  ['TE', 'trailers'],
  ['Trailer', 'X-Checksum'],
  ['Upgrade', 'h2c'],
  ['Proxy-Authorization', 'Basic x'],
  ['Proxy-Connection', 'keep-alive'],
  ['Proxy', 'http://evil.example:8080'],
  ['Content-Type', 'application/json'],
  ['Content-Length', '42'],
  ['Content-Encoding', 'gzip'],
  ['X-Private', 'named in Connection'],
  ['X_Real_IP', '10.0.0.1'],
  ['Authorization', 'Bearer switchboard-token'],
  ['Accept-Language', 'en'],
  ['X-Tenant', 'acme'],
  ['x-tenant', 'beta'],
  ['Cookie', 'a=1'],
  ['cookie', 'b=2'],
  ['Mcp-Session-Id', 'sess'],
];

const ALL: ForwardRule = { forwardHeaders: ['*'], overridableHeaders: [] };
const policy = (staticHeaders: Record<string, string>, rule = ALL) => handlerHeaderPolicy(staticHeaders, rule);

describe('which client headers reach a handler', () => {
  it('by default only the safe set: Accept-Language, User-Agent and the trace context', () => {
    const client: HeaderList = [
      ...CLIENT,
      ['User-Agent', 'claude-desktop/1'],
      ['traceparent', '00-abc-def-01'],
      ['X-Forwarded-For', '1.2.3.4'],
    ];
    expect(httpHandlerHeaders({}, client)).toEqual({
      'Accept-Language': 'en',
      'User-Agent': 'claude-desktop/1',
      traceparent: '00-abc-def-01',
    });
  });

  it('"*" passes all but hop-by-hop, Connection-named, Host, Content-*, Proxy, "_", credentials and MCP', () => {
    expect(httpHandlerHeaders({}, CLIENT, policy({}))).toEqual({
      'Accept-Language': 'en',
      'X-Tenant': 'acme, beta',
    });
  });

  it('a listed header goes on; a never-forwarded one stays back even when listed', () => {
    const rule = { forwardHeaders: ['x-tenant', 'Cookie', 'Authorization', 'Mcp-Session-Id'], overridableHeaders: [] };
    expect(httpHandlerHeaders({}, CLIENT, policy({}, rule))).toEqual({ 'X-Tenant': 'acme, beta' });
  });

  it('says why a header is never forwarded', () => {
    expect(neverForwarded('Upgrade')).toMatch(/hop-by-hop/);
    expect(neverForwarded('HOST')).toMatch(/Host/);
    expect(neverForwarded('content-md5')).toMatch(/Content-\*/);
    expect(neverForwarded('Proxy')).toMatch(/httpoxy/);
    expect(neverForwarded('Script_Filename')).toMatch(/"_"/);
    expect(neverForwarded('bad header')).toMatch(/not a valid header name/);
    expect(neverForwarded('Authorization')).toMatch(/credential/);
    expect(neverForwarded('Cookie')).toMatch(/cookies/);
    expect(neverForwarded('Mcp-Session-Id')).toMatch(/MCP session/);
    expect(neverForwarded('X-Anything')).toBeUndefined();
  });

  it('a configured header keeps its value, unless the entry lets clients override it', () => {
    const configured = { 'X-Tenant': 'config', 'X-Api-Key': 'k' };
    const client: HeaderList = [
      ['x-tenant', 'client'],
      ['X-Api-Key', 'stolen'],
    ];
    expect(httpHandlerHeaders(configured, client, policy(configured))).toEqual({
      'X-Tenant': 'config',
      'X-Api-Key': 'k',
    });
    const overridable = policy(configured, { forwardHeaders: [], overridableHeaders: ['X-Tenant'] });
    expect(httpHandlerHeaders(configured, client, overridable)).toEqual({ 'X-Tenant': 'client', 'X-Api-Key': 'k' });
    expect(httpHandlerHeaders({ 'X-Tenant': 'config' })).toEqual({ 'X-Tenant': 'config' });
    // A static header is trusted config: even a name the client could not send stays.
    expect(httpHandlerHeaders({ Host: 'app.internal' }, [['Host', 'evil']], policy({ Host: 'app.internal' }))).toEqual({
      Host: 'app.internal',
    });
  });

  it('FastCGI: HTTP_* params, values joined with ", ", never a CGI control param', () => {
    const params = new Map(fastcgiHeaderParams({ 'X-Api-Key': 'k' }, CLIENT, policy({ 'X-Api-Key': 'k' })));
    expect(Object.fromEntries(params)).toEqual({
      HTTP_X_API_KEY: 'k',
      HTTP_ACCEPT_LANGUAGE: 'en',
      HTTP_X_TENANT: 'acme, beta',
    });
    const hostile: HeaderList = [
      ['Script-Filename', '/etc/passwd'],
      ['Document-Root', '/'],
      ['PHP-Value', 'auto_prepend_file=/tmp/x'],
      ['PHP_ADMIN_VALUE', 'x'],
    ];
    const names = fastcgiHeaderParams({}, hostile, policy({})).map(([n]) => n);
    expect(names).toEqual(['HTTP_SCRIPT_FILENAME', 'HTTP_DOCUMENT_ROOT', 'HTTP_PHP_VALUE']);
    for (const name of names) expect(name.startsWith('HTTP_')).toBe(true);
  });

  it('FastCGI: a static "X_Foo" and a client "X-Foo" are one param; the client wins only when allowed to', () => {
    const configured = { X_Foo: 'static' };
    expect(fastcgiHeaderParams(configured, [['X-Foo', 'client']], policy(configured))).toEqual([
      ['HTTP_X_FOO', 'static'],
    ]);
    const overridable = policy(configured, { forwardHeaders: [], overridableHeaders: ['X_Foo'] });
    expect(fastcgiHeaderParams(configured, [['X-Foo', 'client']], overridable)).toEqual([['HTTP_X_FOO', 'client']]);
  });

  it('reads node rawHeaders', () => {
    expect(headerListFromRaw(['Host', 'h', 'X-A', '1', 'X-A', '2'])).toEqual([
      ['Host', 'h'],
      ['X-A', '1'],
      ['X-A', '2'],
    ]);
  });

  it('nothing from a client without headers (stdio)', () => {
    expect(httpHandlerHeaders({}, undefined)).toEqual({});
    expect(fastcgiHeaderParams({}, [])).toEqual([]);
  });
});
