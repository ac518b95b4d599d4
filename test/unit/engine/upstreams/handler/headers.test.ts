import { describe, expect, it } from 'vitest';
import {
  droppedBecause,
  fastcgiHeaderParams,
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

describe('which client headers reach a handler', () => {
  it('drops hop-by-hop, Connection-named, Host, Content-*, Proxy, "_" names and Authorization', () => {
    expect(httpHandlerHeaders({}, CLIENT)).toEqual({
      'Accept-Language': 'en',
      'X-Tenant': 'acme, beta',
      Cookie: 'a=1; b=2',
      'Mcp-Session-Id': 'sess',
    });
  });

  it('says why a header is dropped', () => {
    expect(droppedBecause('Upgrade')).toBe('hop-by-hop');
    expect(droppedBecause('X-Private', new Set(['x-private']))).toBe('named in Connection');
    expect(droppedBecause('HOST')).toBe('Host');
    expect(droppedBecause('content-md5')).toBe('Content-*');
    expect(droppedBecause('Proxy')).toBe('Proxy (httpoxy)');
    expect(droppedBecause('Script_Filename')).toBe('contains "_"');
    expect(droppedBecause('bad header')).toBe('not a valid header name');
    expect(droppedBecause('Authorization')).toBe('a client credential');
    expect(droppedBecause('X-Anything')).toBeUndefined();
  });

  it('static headers first; a client value wins (case-insensitively), keeping the static spelling', () => {
    expect(httpHandlerHeaders({ 'X-Tenant': 'config', 'X-Api-Key': 'k' }, [['x-tenant', 'client']])).toEqual({
      'X-Tenant': 'client',
      'X-Api-Key': 'k',
    });
    expect(httpHandlerHeaders({ 'X-Tenant': 'config' })).toEqual({ 'X-Tenant': 'config' });
    // A static header is trusted config: even a name the client could not send stays.
    expect(httpHandlerHeaders({ Host: 'app.internal' }, [['Host', 'evil']])).toEqual({ Host: 'app.internal' });
  });

  it('FastCGI: HTTP_* params, values joined with ", ", never a CGI control param', () => {
    const params = new Map(fastcgiHeaderParams({ 'X-Api-Key': 'k' }, CLIENT));
    expect(Object.fromEntries(params)).toEqual({
      HTTP_X_API_KEY: 'k',
      HTTP_ACCEPT_LANGUAGE: 'en',
      HTTP_X_TENANT: 'acme, beta',
      HTTP_COOKIE: 'a=1; b=2',
      HTTP_MCP_SESSION_ID: 'sess',
    });
    const hostile: HeaderList = [
      ['Script-Filename', '/etc/passwd'],
      ['Document-Root', '/'],
      ['PHP-Value', 'auto_prepend_file=/tmp/x'],
      ['PHP_ADMIN_VALUE', 'x'],
    ];
    const names = fastcgiHeaderParams({}, hostile).map(([n]) => n);
    expect(names).toEqual(['HTTP_SCRIPT_FILENAME', 'HTTP_DOCUMENT_ROOT', 'HTTP_PHP_VALUE']);
    for (const name of names) expect(name.startsWith('HTTP_')).toBe(true);
  });

  it('FastCGI: a static "X_Foo" and a client "X-Foo" are one param and the client wins', () => {
    expect(fastcgiHeaderParams({ X_Foo: 'static' }, [['X-Foo', 'client']])).toEqual([['HTTP_X_FOO', 'client']]);
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
