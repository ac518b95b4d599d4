/**
 * `switchboard login SERVER` and `switchboard logout SERVER`: OAuth logins of remote servers,
 * done by the running gateway (which keeps the tokens in the keychain). `login` prints the URL to
 * open, opens it in the browser when there is one (--no-browser: never), and waits until the
 * browser has come back to the gateway.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connectRunningGateway, errorMessage, type ServerView } from '../engine/index.ts';

export interface LoginOptions {
  server: string;
  logout: boolean;
  browser: boolean;
  timeoutMs: number;
}

const log = (line: string) => process.stderr.write(`switchboard: ${line}\n`);

export async function login(opts: LoginOptions): Promise<number> {
  const running = await connectRunningGateway(process.env, (why) =>
    log(
      why === undefined
        ? 'the gateway takes the live connection now'
        : `the gateway refuses the live connection, so the login's end cannot be seen here: ${why} (trying again)`,
    ),
  );
  if (!running)
    throw new Error(
      `no Switchboard gateway is running: start it ("switchboard serve", or the app), then ` +
        `${opts.logout ? 'log out' : 'log in'}`,
    );
  const { api } = running;
  try {
    if (opts.logout) {
      await api.logoutServer(opts.server);
      log(`logged out of "${opts.server}": no login tokens of it are left in the keychain`);
      return 0;
    }
    // The logins that ended so far: this one has ended once the count passes it.
    const before = (await api.listServers()).find((s) => s.name === opts.server)?.auth?.loginsDone ?? 0;
    // Subscribed before the login starts, so its outcome cannot be missed.
    const outcome = waitForLogin(api, opts.server, before, opts.timeoutMs);
    const start = await api.loginServer(opts.server).catch((err: unknown) => {
      outcome.cancel();
      throw err;
    });
    let view: ServerView | undefined;
    if (start.authorizationUrl) {
      process.stdout.write(
        `Open this address in your browser to log in to "${opts.server}":\n\n  ${start.authorizationUrl}\n\n`,
      );
      if (!start.opened && opts.browser) openInBrowser(start.authorizationUrl);
      process.stdout.write(
        'If the browser cannot reach the gateway (it runs on another machine, and the browser ends on an\n' +
          'error page at http://127.0.0.1:…), paste the address the browser ended on here and press Enter.\n',
      );
      log('waiting for the browser to come back (Ctrl-C to give up)…');
      const pasted = takePastedAddresses((address) => api.completeLogin(opts.server, address));
      // The gateway holds the login (its callback address, the code verifier): one that stops or is replaced
      // ends it, and the browser coming back finds nobody. Said at once, not after --timeout (5 minutes).
      const ended = running.gone.then((why) => {
        throw new Error(
          `${why} while waiting for the browser: this login cannot complete. Start Switchboard again ` +
            `("switchboard serve", or the app), then run switchboard login ${opts.server} again`,
        );
      });
      try {
        view = await Promise.race([outcome.done, ended]);
      } finally {
        outcome.cancel();
        pasted.close();
      }
    } else {
      // No browser step (client credentials): the token is there already.
      outcome.cancel();
      view = (await api.listServers()).find((s) => s.name === opts.server);
    }
    log(`logged in to "${opts.server}"${view?.auth?.scope ? ` (scope: ${view.auth.scope})` : ''}`);
    return 0;
  } finally {
    running.close();
  }
}

/** Hands each line typed or piped in to `complete`; says when one is not taken. */
function takePastedAddresses(complete: (address: string) => Promise<void>): { close(): void } {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    complete(line.trim()).then(
      () => log('address taken'),
      (err: unknown) => log(`that address was not taken: ${errorMessage(err)}`),
    );
  });
  return { close: () => lines.close() };
}

/**
 * Resolves when the login started after `before` logins had ended is in; rejects saying why it did not complete.
 * Told by the count and loginFailed, not by the state: a login that fails on a server logged in before leaves it
 * logged in with its old tokens, and was taken for a success ("logged in to …", exit 0).
 */
function waitForLogin(
  api: NonNullable<Awaited<ReturnType<typeof connectRunningGateway>>>['api'],
  server: string,
  before: number,
  timeoutMs: number,
): { done: Promise<ServerView>; cancel(): void } {
  let unsubscribe = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<ServerView>((resolve, reject) => {
    unsubscribe = api.on('servers', (servers) => {
      const view = servers.find((s) => s.name === server);
      const auth = view?.auth;
      if (!view || !auth || (auth.loginsDone ?? 0) <= before) return;
      if (auth.loginFailed !== undefined) reject(new Error(`the login failed: ${auth.loginFailed}`));
      else resolve(view);
    });
    timer = setTimeout(() => reject(new Error(`no login within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  const stop = (): void => {
    clearTimeout(timer);
    unsubscribe();
  };
  const settled = done.finally(stop);
  // Observed here too: a login given up (cancel) leaves nobody awaiting `done`.
  void Promise.allSettled([settled]);
  return { done: settled, cancel: stop };
}

/** The platform's way to open a URL; only http(s) ever gets here. Failing to is not an error: the URL is printed. */
function openInBrowser(url: string): void {
  if (!/^https?:\/\//i.test(url)) return;
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => log('could not open a browser here: open the address above yourself'));
    child.unref();
  } catch {
    log('could not open a browser here: open the address above yourself');
  }
}
