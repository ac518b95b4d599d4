import { describe, expect, it } from 'vitest';
import {
  checkAuthorizationServer,
  checkedBrowserUrl,
  checkIssuerParameter,
  union,
} from '../../../../main/engine/oauth/session.ts';

const metadata = (extra: Record<string, unknown> = {}) => ({
  issuer: 'https://as.example.com',
  authorization_endpoint: 'https://as.example.com/authorize',
  token_endpoint: 'https://as.example.com/token',
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
  ...extra,
});

describe('what an authorization server must be before it is used', () => {
  it('names the issuer it was found at: exactly, when the resource named it', () => {
    const named = { authorization_servers: ['https://as.example.com'] };
    expect(() =>
      checkAuthorizationServer(
        {
          authorizationServerUrl: 'https://as.example.com',
          authorizationServerMetadata: metadata(),
          resourceMetadata: named,
        },
        'server "x"',
        { pkce: true },
      ),
    ).not.toThrow();
    expect(() =>
      checkAuthorizationServer(
        {
          authorizationServerUrl: 'https://as.example.com',
          authorizationServerMetadata: metadata({ issuer: 'https://as.example.com/' }),
          resourceMetadata: named,
        },
        'server "x"',
        { pkce: true },
      ),
    ).toThrow(/calls itself https:\/\/as\.example\.com\/; its metadata is not used \(RFC 8414 §3\.3\)/);
    expect(() =>
      checkAuthorizationServer(
        {
          authorizationServerUrl: 'https://as.example.com',
          authorizationServerMetadata: metadata({ issuer: 'https://evil.example' }),
        },
        'server "x"',
        { pkce: true },
      ),
    ).toThrow(/calls itself https:\/\/evil\.example/);
  });

  it('offers PKCE with S256 for a browser login (absent or another method: refused)', () => {
    const without = metadata({ code_challenge_methods_supported: undefined });
    const plain = metadata({ code_challenge_methods_supported: ['plain'] });
    for (const m of [without, plain])
      expect(() =>
        checkAuthorizationServer(
          { authorizationServerUrl: 'https://as.example.com', authorizationServerMetadata: m },
          'server "x"',
          {
            pkce: true,
          },
        ),
      ).toThrow(/does not offer PKCE with S256/);
    // Client credentials use no PKCE.
    expect(() =>
      checkAuthorizationServer(
        { authorizationServerUrl: 'https://as.example.com', authorizationServerMetadata: without },
        'x',
        {
          pkce: false,
        },
      ),
    ).not.toThrow();
  });
});

describe('the iss parameter of the answer (RFC 9207)', () => {
  const params = (iss?: string) =>
    new URLSearchParams({ code: 'c', state: 's', ...(iss === undefined ? {} : { iss }) });
  it('must come when promised, and must match whenever it comes, compared as written', () => {
    const promised = metadata({ authorization_response_iss_parameter_supported: true });
    expect(() => checkIssuerParameter(params('https://as.example.com'), promised)).not.toThrow();
    expect(() => checkIssuerParameter(params(), promised)).toThrow(/promised an iss parameter and sent none/);
    expect(() => checkIssuerParameter(params('https://as.example.com/'), promised)).toThrow(
      /not https:\/\/as\.example\.com$/,
    );
    expect(() => checkIssuerParameter(params(), metadata())).not.toThrow();
    expect(() => checkIssuerParameter(params('https://other.example'), metadata())).toThrow(
      /issuer https:\/\/other\.example/,
    );
  });
});

describe('what a browser is sent to', () => {
  it('https anywhere, plain http on this machine only, nothing else', () => {
    expect(checkedBrowserUrl(new URL('https://as.example.com/authorize?x=1')).href).toBe(
      'https://as.example.com/authorize?x=1',
    );
    expect(checkedBrowserUrl(new URL('http://127.0.0.1:9000/authorize')).hostname).toBe('127.0.0.1');
    expect(checkedBrowserUrl(new URL('http://[::ffff:127.0.0.1]:9000/authorize')).port).toBe('9000');
    expect(() => checkedBrowserUrl(new URL('http://as.example.com/authorize'))).toThrow(
      /refusing to open a plain http:\/\/ URL to as\.example\.com for a login/,
    );
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'vscode://x/y'])
      expect(() => checkedBrowserUrl(new URL(bad))).toThrow(/refusing to open a .*: URL for a login/);
    // A login page that only looks like the real one's at a glance.
    expect(() => checkedBrowserUrl(new URL('https://login.example.com@evil.example/authorize'))).toThrow(
      /a URL with a user name or password in it/,
    );
  });
});

describe('scopes', () => {
  it('joins two sets, each scope once', () => {
    expect(union('a b', 'b c')).toBe('a b c');
    expect(union(undefined, undefined)).toBeUndefined();
    expect(union('', 'x')).toBe('x');
  });
});
