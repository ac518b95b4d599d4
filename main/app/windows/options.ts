/**
 * Window rules, free of Electron values so they can be unit-tested: webPreferences for every app
 * window, the Content-Security-Policy of app pages, and the navigation / window.open policy.
 * App pages are served from our own privileged scheme (`switchboard://app/...`, see
 * main-window.ts), never from file:// or the network.
 */
import { userUrlRefusal } from '../../engine/index.ts';
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

export const APP_SCHEME = 'switchboard';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Strict CSP for app pages: our own scripts and styles only, no inline script, no eval, no
 * network (the renderer talks to the gateway over IPC only), no frames, no plugins, no forms.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function appWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

export function mainWindowOptions(
  preloadPath: string,
  bounds: { x?: number; y?: number; width: number; height: number } = { width: 1100, height: 720 },
): BrowserWindowConstructorOptions {
  return {
    title: 'Switchboard',
    ...bounds,
    minWidth: 720,
    minHeight: 480,
    // Shown on 'ready-to-show' to avoid a blank flash.
    show: false,
    // Windows and Linux: the menu bar (Edit, View) shows while Alt is held, as in a tray app's window.
    autoHideMenuBar: true,
    webPreferences: appWebPreferences(preloadPath),
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The app page showing one screen (the renderer's router reads the fragment: `#/questions`). */
export function appScreenUrl(screen?: string): string {
  return screen === undefined ? APP_ENTRY_URL : `${APP_ENTRY_URL}#/${encodeURIComponent(screen)}`;
}

/** True for pages of our own app (`switchboard://app/...`). */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/**
 * A URL we are willing to hand to the OS browser: the engine's rule for links a person is sent to
 * (https anywhere, http only on this machine in any spelling, never with a user name or password),
 * so a link the Questions screen shows is never one the window then refuses. Everything else
 * (file:, javascript:, custom schemes that launch other apps) is refused.
 */
export function isSafeExternalUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.hostname !== '' && userUrlRefusal(u) === undefined;
}

export type NavigationDecision = 'allow' | 'deny';

/** `will-navigate` / `will-redirect`: app windows may only move between app pages. */
export function navigationPolicy(url: string): NavigationDecision {
  return isAppUrl(url) ? 'allow' : 'deny';
}

export interface WindowOpenDecision {
  /** Always deny: the app never opens Electron windows on a page's request. */
  action: 'deny';
  /** Set when the URL may be shown in the user's browser instead. */
  openExternally?: string;
}

/** `setWindowOpenHandler`: no new app windows; safe links go to the OS browser. */
export function windowOpenPolicy(url: string): WindowOpenDecision {
  return isSafeExternalUrl(url) ? { action: 'deny', openExternally: new URL(url).href } : { action: 'deny' };
}

/** Browser permissions app pages may use; everything else (camera, geolocation, ...) is refused. */
const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** Permission request/check handlers: granted only to app pages, and only from the short list. */
export function permissionPolicy(permission: string, requestingUrl: string): boolean {
  return GRANTED_PERMISSIONS.has(permission) && isAppUrl(requestingUrl);
}
