/**
 * The renderer's one way to the gateway: the control API over whichever binding this page has —
 * the preload's bridge (`window.switchboard`) in the desktop app, HTTP under /api in a browser.
 * In a browser a login link (`/ui/#login=CODE`) is traded for a session cookie first.
 */
import {
  EXPOSED_BRIDGE_KEY,
  GatewayApiError,
  createApiClient,
  type ApiBridge,
  type GatewayApi,
  type GatewayEvents,
} from '../../../preload/contract/index.ts';
import { createHttpBridge, type StreamState } from '../../../preload/contract/http-bridge.ts';

export type Api = GatewayApi & GatewayEvents;

export interface Connection {
  api: Api;
  mode: 'desktop' | 'browser';
  /** Why the login link did not work (browser only). */
  loginError?: string;
  /** How the live event stream fares (browser only: the desktop app's channel does not break). */
  onStream?: (listener: (state: StreamState) => void) => void;
}

export async function connect(): Promise<Connection> {
  const exposed = (window as unknown as Record<string, ApiBridge | undefined>)[EXPOSED_BRIDGE_KEY];
  if (exposed) return { api: createApiClient(exposed), mode: 'desktop' };
  const loginError = await redeemLoginLink();
  const watchers = new Set<(state: StreamState) => void>();
  const bridge = createHttpBridge({
    baseUrl: new URL('../api', location.href).href,
    onStreamState: (state) => {
      for (const watch of watchers) watch(state);
    },
  });
  return {
    api: createApiClient(bridge),
    mode: 'browser',
    onStream: (listener) => watchers.add(listener),
    ...(loginError ? { loginError } : {}),
  };
}

/** Trades `#login=CODE` for the session cookie, and takes the code out of the address bar. */
async function redeemLoginLink(): Promise<string | undefined> {
  const match = /^#login=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  try {
    const res = await fetch(new URL('login', location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: match[1] }),
    });
    if (res.ok) return undefined;
    let said: string | undefined;
    try {
      said = ((await res.json()) as { error?: string }).error;
    } catch {
      // Not our JSON (a proxy's page): the status says enough.
    }
    return said ?? `The login link was refused (HTTP ${res.status}).`;
  } catch (err) {
    return `The gateway could not be reached to log in: ${errorText(err)}`;
  }
}

/** A failure as a sentence for the user. */
export function errorText(err: unknown): string {
  if (err instanceof GatewayApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The field an API error names, if any (a question's form field, an argument). */
export function errorField(err: unknown): string | undefined {
  return err instanceof GatewayApiError ? err.field : undefined;
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof GatewayApiError && err.code === 'unauthorized';
}
