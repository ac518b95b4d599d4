/**
 * The renderer's one way to the gateway: the control API over whichever binding this page has —
 * the preload's bridge (`window.switchboard`) in the desktop app, HTTP under /api in a browser.
 * In a browser a login link (`/ui/#login=CODE`) is traded for a session secret first, kept in this
 * tab's sessionStorage (this origin only; a reload keeps it) and sent as a bearer token.
 */
import {
  DESKTOP_METHODS,
  EXPOSED_BRIDGE_KEY,
  GatewayApiError,
  createApiClient,
  fieldMessage,
  type ApiBridge,
  type DesktopApi,
  type GatewayApi,
  type GatewayEvents,
} from '../../../preload/contract/index.ts';
import { createHttpBridge, type StreamState } from '../../../preload/contract/http-bridge.ts';

export type Api = GatewayApi & GatewayEvents;

export interface Connection {
  api: Api;
  mode: 'desktop' | 'browser';
  /** The desktop app's own methods (its theme); desktop only. */
  desktop?: DesktopApi;
  /** Why the login link did not work (browser only). */
  loginError?: string;
  /** How the live event stream fares (browser only: the desktop app's channel does not break). */
  onStream?: (listener: (state: StreamState, why?: string) => void) => void;
}

function desktopBridge(): ApiBridge | undefined {
  return (window as unknown as Record<string, ApiBridge | undefined>)[EXPOSED_BRIDGE_KEY];
}

/** Whether this page is the desktop app's window (its preload exposed the bridge before any script ran). */
export function inDesktopApp(): boolean {
  return desktopBridge() !== undefined;
}

export async function connect(): Promise<Connection> {
  const exposed = desktopBridge();
  if (exposed)
    return {
      api: createApiClient(exposed),
      mode: 'desktop',
      desktop: createApiClient<DesktopApi>(exposed, DESKTOP_METHODS),
    };
  const loginError = await redeemLoginLink();
  const watchers = new Set<(state: StreamState, why?: string) => void>();
  const session = sessionStorage.getItem(SESSION_KEY);
  const bridge = createHttpBridge({
    baseUrl: new URL('../api', location.href).href,
    ...(session ? { token: session } : {}),
    // One live connection for all of this browser's tabs here: it allows six connections to an address.
    share: 'switchboard-events',
    onStreamState: (state, why) => {
      for (const watch of watchers) watch(state, why);
    },
  });
  return {
    api: createApiClient(bridge),
    mode: 'browser',
    onStream: (listener) => watchers.add(listener),
    ...(loginError ? { loginError } : {}),
  };
}

/** Where this tab keeps its session secret. */
const SESSION_KEY = 'switchboard-session';

/**
 * A new login link for this gateway, made with this page's session: after the HTTP port moved,
 * the page continues there (another origin, which has no session yet). Undefined when refused.
 */
export async function newLoginLink(origin: string): Promise<string | undefined> {
  const session = sessionStorage.getItem(SESSION_KEY);
  if (!session) return undefined;
  try {
    const res = await fetch(`${origin}/ui/login-link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}` },
    });
    return res.ok ? ((await res.json()) as { url?: string }).url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends this tab's login at the gateway (its secret opens nothing any more, wherever it was copied, nor do the
 * logins opened by links it asked for) and forgets it here. Undefined when done; otherwise why not, and the tab
 * stays logged in.
 */
export async function logOut(): Promise<string | undefined> {
  const session = sessionStorage.getItem(SESSION_KEY);
  if (session) {
    try {
      const res = await fetch(new URL('logout', location.href), {
        method: 'POST',
        headers: { authorization: `Bearer ${session}` },
      });
      if (!res.ok) return `The gateway refused to log out (HTTP ${res.status}).`;
    } catch (err) {
      return `The gateway could not be reached to log out: ${errorText(err)}`;
    }
  }
  sessionStorage.removeItem(SESSION_KEY);
  return undefined;
}

/** Trades `#login=CODE` for a session secret, and takes the code out of the address bar. */
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
    if (res.ok) {
      const { session } = (await res.json()) as { session?: unknown };
      if (typeof session === 'string') sessionStorage.setItem(SESSION_KEY, session);
      return undefined;
    }
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

/** A failure as said at the field it is about: in the field's words, without the API method's name. */
export function fieldErrorText(err: unknown): string {
  return err instanceof GatewayApiError ? fieldMessage(err) : errorText(err);
}

/** The field an API error names, if any (a question's form field, an argument). */
export function errorField(err: unknown): string | undefined {
  return err instanceof GatewayApiError ? err.field : undefined;
}

/** A refusal because the config file could not be read or did not pass its checks (it may be fixed by hand). */
export function isConfigProblem(err: unknown): boolean {
  return err instanceof GatewayApiError && (err.code === 'config_invalid' || err.code === 'config_unreadable');
}

/** The API's code for a failure (`name_taken`, `not_found`, …), if it came from the gateway. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof GatewayApiError ? err.code : undefined;
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof GatewayApiError && err.code === 'unauthorized';
}
