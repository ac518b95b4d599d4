import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  appWebPreferences,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  isSafeExternalUrl,
  mainWindowOptions,
  navigationPolicy,
  permissionPolicy,
  windowOpenPolicy,
} from '../../../../main/app/windows/options.ts';

describe('window options', () => {
  it('isolates and sandboxes every app window', () => {
    expect(appWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(mainWindowOptions('/p.cjs')).toMatchObject({
      show: false,
      autoHideMenuBar: true,
      webPreferences: { sandbox: true, contextIsolation: true, preload: '/p.cjs' },
    });
  });

  it('has a strict CSP', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'none'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });
});

describe('navigation policy', () => {
  it('recognises app pages only', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('switchboard://app/servers#github')).toBe(true);
    expect(isAppUrl('switchboard://other/index.html')).toBe(false);
    expect(isAppUrl('switchboard://user:pw@app/index.html')).toBe(false);
    expect(isAppUrl('file:///app/renderer/dist/index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it.each([
    ['switchboard://app/index.html', 'allow'],
    ['https://example.com/', 'deny'],
    ['http://127.0.0.1:7777/api', 'deny'],
    ['file:///etc/passwd', 'deny'],
    ['javascript:alert(1)', 'deny'],
    ['data:text/html,<script>1</script>', 'deny'],
  ] as const)('navigating to %s: %s', (url, decision) => {
    expect(navigationPolicy(url)).toBe(decision);
  });

  it.each([
    ['https://modelcontextprotocol.io/docs', 'https://modelcontextprotocol.io/docs'],
    ['http://localhost:3000/callback', 'http://localhost:3000/callback'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080/'],
    ['http://[::1]:8080/', 'http://[::1]:8080/'],
    // Every spelling of this machine the engine lets a question show.
    ['http://127.0.0.2:8080/', 'http://127.0.0.2:8080/'],
    ['http://[::ffff:127.0.0.1]/cb', 'http://[::ffff:7f00:1]/cb'],
    ['http://example.com/', undefined],
    ['https://user:secret@example.com/', undefined],
    ['file:///etc/passwd', undefined],
    ['javascript:alert(1)', undefined],
    ['vscode://extension/install', undefined],
    ['switchboard://app/index.html', undefined],
    ['', undefined],
  ])('window.open(%s) is denied; opened in the browser: %s', (url, external) => {
    const decision = windowOpenPolicy(url);
    expect(decision.action).toBe('deny');
    expect(decision.openExternally).toBe(external);
    expect(isSafeExternalUrl(url)).toBe(external !== undefined);
  });

  it('grants only the clipboard write permission, and only to app pages', () => {
    expect(permissionPolicy('clipboard-sanitized-write', 'switchboard://app/index.html')).toBe(true);
    expect(permissionPolicy('clipboard-sanitized-write', 'switchboard://app')).toBe(true);
    expect(permissionPolicy('clipboard-sanitized-write', 'https://example.com')).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'usb']) {
      expect(permissionPolicy(p, 'switchboard://app/index.html')).toBe(false);
    }
  });
});
