/**
 * The control API of the gateway that runs for this user, for the CLI: found through its lock in
 * the runtime directory (its HTTP address) and the API token beside it, and reached with the same
 * HTTP bridge the renderer uses in a browser.
 */
import { createApiClient, type GatewayApi, type GatewayEvents } from '../../../preload/contract/index.ts';
import { createHttpBridge } from '../../../preload/contract/http-bridge.ts';
import { readGatewayLock, type GatewayInfo } from '../../shared/gateway-lock.ts';
import { runtimePaths } from '../../shared/paths.ts';
import { GatewayError } from '../protocol/errors.ts';
import { apiTokenPath, readApiToken } from './api-token.ts';

export interface RunningGatewayApi {
  api: GatewayApi & GatewayEvents;
  info: GatewayInfo;
  /**
   * Settles with why, once the live event stream finds this gateway gone: stopped, or replaced
   * by another (whose login this one's token is not). A break while it still runs is waited out.
   */
  gone: Promise<string>;
  close(): void;
}

/**
 * The running gateway's API; undefined when none runs. Fails, saying why, when one runs but
 * cannot be reached (no HTTP listener, or a token that is not in the runtime directory).
 */
export async function connectRunningGateway(
  env: NodeJS.ProcessEnv = process.env,
  /**
   * Told when the gateway refuses the live event stream (it serves 16 at most), with what it said, and when
   * the stream opens after that: a follower would otherwise wait without a word.
   */
  onLiveRefused?: (why: string | undefined) => void,
): Promise<RunningGatewayApi | undefined> {
  const paths = runtimePaths(env);
  const state = await readGatewayLock(paths.lock);
  const info = state?.running ? state.info : undefined;
  if (!info) return undefined;
  if (!info.http) throw noHttpListener(info, 'its control API');
  const token = await readApiToken(paths.dir);
  if (!token) throw noApiToken(paths.dir, info);
  let goneWith: (why: string) => void = () => {};
  let refused = false;
  const gone = new Promise<string>((resolve) => (goneWith = resolve));
  const bridge = createHttpBridge({
    baseUrl: `${new URL(info.http).origin}/api`,
    token,
    onStreamState: (state, why) => {
      if (state === 'unauthorized') return goneWith(`the gateway (pid ${info.pid}) was replaced by another`);
      if (state === 'open' && refused) onLiveRefused?.(undefined);
      refused = state === 'unreachable' && why !== undefined;
      if (refused) return onLiveRefused?.(why);
      if (state !== 'unreachable') return;
      void readGatewayLock(paths.lock).then(
        (now) => {
          if (now?.running && now.info?.pid === info.pid) return;
          goneWith(`the gateway (pid ${info.pid}) stopped`);
        },
        (err: unknown) => goneWith(`the gateway's lock cannot be read: ${(err as Error).message}`),
      );
    },
  });
  // A refused token is the file's, read now: it changed after the gateway started (which reads it then).
  const call: typeof bridge.call = async (method, args) => {
    const reply = await bridge.call(method, args);
    if (reply.ok || reply.error.code !== 'unauthorized') return reply;
    return { ok: false, error: { code: 'unauthorized', message: notItsToken(paths.dir, info).message } };
  };
  return { api: createApiClient({ call, on: bridge.on }), info, gone, close: () => bridge.close() };
}

/**
 * A fresh one-time login link to the running gateway's web UI (`switchboard ui`); undefined when
 * no gateway runs. Fails, saying why, when it cannot be asked.
 */
export async function requestUiLoginLink(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const paths = runtimePaths(env);
  const state = await readGatewayLock(paths.lock);
  const info = state?.running ? state.info : undefined;
  if (!info) return undefined;
  if (!info.http) throw noHttpListener(info, 'the web UI');
  const token = await readApiToken(paths.dir);
  if (!token) throw noApiToken(paths.dir, info);
  const res = await fetch(`${new URL(info.http).origin}/ui/login-link`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { url?: string; error?: string };
  if (res.status === 401) throw notItsToken(paths.dir, info);
  if (!res.ok || !body.url)
    throw new GatewayError('internal', `the gateway refused a login link: ${body.error ?? `HTTP ${res.status}`}`);
  return body.url;
}

/** The runtime directory has no valid API token file, though a gateway runs. */
function noApiToken(dir: string, info: GatewayInfo): GatewayError {
  return new GatewayError(
    'unauthorized',
    `no API token in ${dir}: the running gateway (pid ${info.pid}) keeps it elsewhere (it was started with ` +
      'another SWITCHBOARD_RUNTIME_DIR), or its api-token file was removed after it started (restart the gateway: ' +
      '"switchboard stop", then start it; it makes a new one)',
  );
}

/** The API token file holds another token than the running gateway's (it reads the file when it starts). */
function notItsToken(dir: string, info: GatewayInfo): GatewayError {
  return new GatewayError(
    'unauthorized',
    `the API token in ${apiTokenPath(dir)} is not the running gateway's (pid ${info.pid}): the file changed after ` +
      'it started, and a gateway reads it when it starts (restart the gateway to use the one in the file)',
  );
}

/** What to do about a gateway running without the HTTP listener `what` is served on. */
function noHttpListener(info: GatewayInfo, what: string): GatewayError {
  // Meant to have one (the config asks for it), but it could not open: that, not how to ask for one.
  if (info.httpProblem)
    return new GatewayError(
      'upstream_unavailable',
      `the running gateway (pid ${info.pid}) has no HTTP listener, which ${what} needs: ${info.httpProblem}; ` +
        `then restart it ("switchboard stop", then start it again)`,
    );
  return new GatewayError(
    'upstream_unavailable',
    `the running gateway (pid ${info.pid}) has no HTTP listener, which ${what} needs: stop it ` +
      `("switchboard stop") and start it without --no-http, with listen.http on in ${info.configPath}`,
  );
}
