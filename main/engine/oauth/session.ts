/**
 * OAuth for one remote server, as the MCP authorization spec describes it: the client side of
 * the authorization-code flow with PKCE through the system browser and a loopback redirect, and
 * client credentials for machine-to-machine servers. The MCP SDK's client functions do the
 * protocol steps (discovery, registration, PKCE, token requests); this module decides when they
 * run and keeps their results in the vault.
 *
 * - Tokens are refreshed shortly before they expire, and once per expiry however many requests
 *   are waiting (single-flight): fifty calls on an expired token cause one refresh.
 * - A 401 (or a 403 asking for more scope) is recovered from once: a refresh, a new client
 *   credentials token, or a new token another request already got. What cannot be recovered
 *   without the user marks the server "needs login" instead of failing every call with a 401.
 * - Logging in is the user's action (`login`), through a browser opened on an http(s) URL only.
 * - Before the authorization server is used: its metadata must name the issuer it was found at,
 *   and it must offer PKCE S256; the browser's answer must carry the state this login made and,
 *   where the server says it sends one, the right `iss` (RFC 9207).
 */
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  AuthorizationServerMetadata,
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { OAuthConfig } from '../config/schema.ts';
import { USER_URL_RULE, userUrlRefusal } from '../egress/user-url.ts';
import { GatewayError, errorMessage } from '../protocol/errors.ts';
import { describeNetworkFailure, isNetworkFailure } from '../egress/network-errors.ts';
import { listenForCallback } from './loopback.ts';
import type { OAuthRecord, OAuthVault, StoredTokens } from './vault.ts';
import { rebuilt } from '../egress/response-body.ts';
import { htmlGist, isHtml } from '../egress/html-gist.ts';

/**
 * What the config says about a server's OAuth (config/schema.ts `oauth`, its `clientSecret`
 * resolved from `${secret:NAME}`: never logged).
 */
export interface OAuthSettings extends OAuthConfig {
  /**
   * Not configured, only allowed: the server gets no token (and the keychain is not read) until it
   * answers 401 with a Bearer challenge.
   */
  onDemand?: boolean;
}

/** Opens an authorization URL in a browser (or, without a person at hand, plays one). */
export type BrowserOpener = (url: URL) => Promise<void>;

export type LoginState = 'logged-in' | 'needs-login' | 'logging-in' | 'unknown';

export interface OAuthStatus {
  state: LoginState;
  /** The authorization server in use. */
  issuer?: string;
  /** Granted scopes, space-separated. */
  scope?: string;
  /** When the access token expires (epoch ms), when the server said. */
  expiresAt?: number;
  /** Why a login is needed. */
  reason?: string;
  /** Why the last login started did not complete (until the next one starts). */
  loginFailed?: string;
  /** How many logins have ended (in or failed) since the gateway started. */
  loginsDone?: number;
}

export interface OAuthSessionOptions {
  /** The server's name in the config (for messages). */
  name: string;
  /** The server URL: the protected resource. */
  resource: string;
  settings: OAuthSettings;
  vault: OAuthVault;
  /** The egress-checked fetch (the same rules as the server's own requests, redirects included). */
  fetch: FetchLike;
  clientInfo: { name: string; version: string };
  /** Without a person at hand (conformance runs): a needed login runs at once through this. */
  autoLogin?: BrowserOpener;
  /** How long a login waits for the browser. Default 5 minutes. */
  loginTimeoutMs?: number;
  log?: (line: string) => void;
  /** Told of every change of state (for the servers view and the tray). */
  onChange?: (status: OAuthStatus) => void;
  /** Told of the token values to hide from logs and records (after each change). */
  onSecrets?: (values: string[]) => void;
  now?: () => number;
}

/** Refreshed this long before the access token expires (a tenth of its life for short-lived ones). */
const REFRESH_AHEAD_MS = 60_000;
const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

const sdk = () => import('@modelcontextprotocol/sdk/client/auth.js');

/** How often a login that could not be saved is tried again (at a request, not by a timer). */
const RESAVE_MS = 30_000;

export class OAuthSession {
  private readonly opts: OAuthSessionOptions;
  private record?: OAuthRecord;
  private loading?: Promise<OAuthRecord>;
  /** The one recovery (refresh, new token, login) in flight; everyone who needs one waits for it. */
  private flight?: Promise<string>;
  private state: LoginState = 'unknown';
  private reason?: string;
  private loginFailed?: string;
  /** Logins ended, in or not: a view tells the end of the one it started (OAuthStatus). */
  private loginsDone = 0;
  /** What the server's last challenge said: where its metadata is, and which scope it wants. */
  private challenge: { resourceMetadataUrl?: URL; scope?: string } = {};
  private login_?: Promise<void>;
  /** An on-demand session has seen the server ask for a token. */
  private engaged = false;
  /**
   * The "needs login" now is for a wider scope the server asked for (403 insufficient_scope): only a
   * login grants it, so neither an answer to the narrower token nor a renewal of it ends it. False
   * whenever the state is anything else (setState).
   */
  private stepUpWanted = false;
  private cancelLogin?: () => void;
  private deliverLogin?: (address: string) => void;
  /**
   * Where the login under way sends the browser, once known; undefined when it ends without one
   * (client credentials); its error when it fails first.
   */
  private loginUrl?: { promise: Promise<URL | undefined>; resolve(url: URL | undefined): void };
  /** Bumped by logout: work begun before it (a refresh, a login) must not save anything after it. */
  private epoch = 0;
  /** The record in use could not be saved (the keychain was locked): saved again at a later request. */
  private unsaved = false;
  private resaving?: Promise<void>;
  private nextResave = 0;

  /** The fetch the SDK's OAuth functions get (see sdkResponses). */
  private readonly fetch: FetchLike;
  /**
   * While a login runs: its requests that got no answer to use, in words naming each URL (the SDK's
   * own errors rarely say which request failed, and skip a refused one without a word).
   */
  private misses?: { url: string; text: string }[];

  constructor(opts: OAuthSessionOptions) {
    this.opts = opts;
    this.fetch = sdkResponses(opts.fetch, (miss) => this.misses?.push(miss));
  }

  get name(): string {
    return this.opts.name;
  }

  get resource(): string {
    return this.opts.resource;
  }

  status(): OAuthStatus {
    const tokens = this.record?.tokens;
    const s: OAuthStatus = { state: this.state };
    if (tokens?.issuer) s.issuer = tokens.issuer;
    if (tokens?.scope) s.scope = tokens.scope;
    if (tokens?.expiresAt !== undefined) s.expiresAt = tokens.expiresAt;
    if (this.reason !== undefined && this.state === 'needs-login') s.reason = this.reason;
    if (this.loginFailed !== undefined) s.loginFailed = this.loginFailed;
    if (this.loginsDone > 0) s.loginsDone = this.loginsDone;
    return s;
  }

  /** While requests cannot succeed until the user logs in (so retrying them is pointless): what to tell them. */
  loginMessage(): string | undefined {
    return this.state === 'needs-login' ? this.needsLoginText(this.reason ?? 'not logged in') : undefined;
  }

  private needsLoginText(why: string): string {
    return (
      `server "${this.opts.name}" needs you to log in (${why}): use Log in in Switchboard, or run ` +
      `"switchboard login ${this.opts.name}"`
    );
  }

  /**
   * The server took a request (a 2xx answer): a "needs login" it said before is over. Sent without a
   * token, the server needs none now (it was fixed, or a proxy in front said 401 for a while); an
   * on-demand session goes back to sending requests as they are. Without this, the server stayed
   * "needs login", and its next outage was taken for one and never retried.
   */
  accepted(sent: string | undefined): void {
    // A wider scope asked for is not granted by answers to what the narrower token covers.
    if (this.state !== 'needs-login' || this.login_ || this.stepUpWanted) return;
    if (sent !== undefined) {
      // Only with the token in use: one sent before a logout proves nothing about now.
      if (sent === this.record?.tokens?.access_token) this.setState('logged-in');
      return;
    }
    if (this.opts.settings.onDemand) this.engaged = false;
    this.setState('unknown');
  }

  /** An on-demand session the server has not asked for a token yet: requests go as they are. */
  dormant(): boolean {
    return this.opts.settings.onDemand === true && !this.engaged;
  }

  /**
   * The access token to send now, refreshed first when it is about to expire; undefined when
   * there is none yet (the request goes without, and the server's 401 says how to get one).
   */
  async accessToken(): Promise<string | undefined> {
    if (this.dormant()) return undefined;
    const record = await this.load();
    if (this.unsaved) this.saveAgain();
    const tokens = record.tokens;
    if (this.opts.settings.grant === 'client_credentials') {
      if (tokens && !this.expiring(tokens)) return tokens.access_token;
      return this.once(() => this.clientCredentials());
    }
    if (!tokens) return undefined;
    if (!this.expiring(tokens) || !tokens.refresh_token) return tokens.access_token;
    try {
      return await this.once(() => this.refresh(tokens));
    } catch (err) {
      // Renewing ahead of time failed for now (the network, the server busy): the token still works.
      if (tokens.expiresAt !== undefined && tokens.expiresAt > this.now() && this.state !== 'needs-login')
        return tokens.access_token;
      throw err;
    }
  }

  /**
   * Whether this refusal is OAuth's to answer: always for a configured session; for an on-demand
   * one only with a Bearer challenge (a 401 for wrong Basic credentials is the server's answer).
   */
  answers(response: Response): boolean {
    if (!this.opts.settings.onDemand) return true;
    return /(?:^|,)\s*Bearer\b/i.test(response.headers.get('www-authenticate') ?? '');
  }

  /**
   * After a 401, or a 403 with `insufficient_scope`: a token to try once more, or GatewayError
   * 'unauthorized' saying the server needs a login (and the server is marked so).
   */
  async recover(response: Response, sent: string | undefined): Promise<string> {
    const { extractWWWAuthenticateParams } = await sdk();
    const { resourceMetadataUrl, scope, error } = extractWWWAuthenticateParams(response);
    const stepUp = error === 'insufficient_scope';
    this.engaged = true;
    this.challenge = {
      ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
      ...(stepUp ? { scope: union(this.record?.tokens?.scope, scope) } : scope ? { scope } : {}),
    };
    return this.once(async () => {
      const tokens = (await this.load()).tokens;
      // Another request already got a new token while this one was on its way.
      if (tokens && tokens.access_token !== sent && !stepUp && !this.expiring(tokens)) return tokens.access_token;
      if (this.opts.settings.grant === 'client_credentials') return this.clientCredentials();
      // A refresh that cannot help has marked the server "needs login" with its own reason (the refresh token
      // refused, the login not renewable): that reason stays, not "the server no longer accepts the saved token".
      if (tokens?.refresh_token && !stepUp) return this.refresh(tokens);
      const why = stepUp
        ? `the server asks for more access (scope ${this.challenge.scope ?? 'unspecified'})`
        : tokens
          ? 'the server no longer accepts the saved token'
          : 'the server requires a login';
      return this.loginNeeded(why, stepUp);
    });
  }

  /**
   * The server answered 401 to the token recover() just gave, too: a renewal cannot help (the server
   * now trusts another authorization server, or no token of this login), only a login. Marks the
   * server "needs login" and fails with how to give it one; resolves (nothing to say) for client
   * credentials, whose next token is fetched on the next 401, and for a token no longer in use.
   */
  async refusedAgain(response: Response, sent: string | undefined): Promise<void> {
    if (this.opts.settings.grant === 'client_credentials' || sent === undefined) return;
    if (sent !== this.record?.tokens?.access_token) return;
    const { extractWWWAuthenticateParams } = await sdk();
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(response);
    // Where it says its login is described now: where to look when the login that fixes it fails too.
    const named = resourceMetadataUrl ? `; its challenge points to ${String(resourceMetadataUrl)}` : '';
    await this.once(() => this.loginNeeded(`the server refuses the renewed token too${named}`));
  }

  /**
   * Logs in: the authorization-code flow through `open` (the system browser), or a client
   * credentials token. Resolves once the new tokens are saved. A second call while one runs
   * joins it.
   */
  login(open: BrowserOpener): Promise<void> {
    this.engaged = true;
    if (!this.login_) {
      let resolve!: (url: URL | undefined) => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<URL | undefined>((res, rej) => ((resolve = res), (reject = rej)));
      // Read only by whoever asks for the URL; a failure nobody asked about is the login's to report.
      void Promise.allSettled([promise]);
      this.loginUrl = { promise, resolve };
      this.login_ = this.runLogin(open)
        .then(
          () => resolve(undefined),
          (err: unknown) => {
            reject(err);
            throw err;
          },
        )
        .finally(() => {
          this.login_ = undefined;
          this.loginUrl = undefined;
          this.cancelLogin = undefined;
          this.deliverLogin = undefined;
        });
    }
    return this.login_;
  }

  /** Whether a login is under way. */
  pendingLogin(): boolean {
    return this.login_ !== undefined;
  }

  /** See `loginUrl`; undefined when no login runs. */
  pendingUrl(): Promise<URL | undefined> {
    return this.loginUrl?.promise ?? Promise.resolve(undefined);
  }

  /** Gives up a login waiting for the browser. */
  cancel(): void {
    this.cancelLogin?.();
  }

  /**
   * Finishes the login waiting for the browser with the address the browser ended on, pasted by
   * the user when it could not reach the loopback listener (a gateway on another machine).
   */
  complete(address: string): void {
    if (!this.deliverLogin)
      throw new GatewayError('invalid_request', `no login to server "${this.opts.name}" is waiting for an answer`);
    this.deliverLogin(address);
  }

  /** Forgets the tokens (and the registration made for them); the server needs a login again. */
  async logout(): Promise<void> {
    this.epoch++;
    this.cancel();
    this.loading = undefined;
    this.record = { resource: this.opts.resource };
    this.unsaved = false;
    await this.opts.vault.remove(this.opts.resource);
    this.opts.onSecrets?.([]);
    this.setState('needs-login', 'logged out');
  }

  /** Token values held now (to hide them from logs and records). */
  secretValues(): string[] {
    const t = this.record?.tokens;
    const registered = (this.record?.client as { client_secret?: string } | undefined)?.client_secret;
    return [t?.access_token, t?.refresh_token, registered].filter((v): v is string => !!v);
  }

  // ---- internals ------------------------------------------------------------------------

  private async load(): Promise<OAuthRecord> {
    if (this.record) return this.record;
    const epoch = this.epoch;
    const loading = (this.loading ??= this.opts.vault.read(this.opts.resource).then(
      (record) => {
        if (this.loading === loading) this.loading = undefined;
        // A logout came first: what was read is gone.
        if (epoch !== this.epoch) return this.record ?? { resource: this.opts.resource };
        this.record = record;
        if (this.state === 'unknown' && record.tokens) this.setState('logged-in');
        this.opts.onSecrets?.(this.secretValues());
        return record;
      },
      (err: unknown) => {
        // Not kept: the keychain may be unlocked by the next try.
        if (this.loading === loading) this.loading = undefined;
        throw err;
      },
    ));
    return loading;
  }

  /** Saves a change made by work that began at `epoch`; work overtaken by a logout saves nothing. */
  private async save(change: Partial<OAuthRecord>, epoch = this.epoch): Promise<void> {
    if (epoch !== this.epoch)
      throw new GatewayError('request_cancelled', `server "${this.opts.name}" was logged out meanwhile`);
    const record = { ...(await this.load()), ...change };
    for (const key of Object.keys(change) as (keyof OAuthRecord)[]) if (change[key] === undefined) delete record[key];
    this.record = record;
    // Hidden from logs and records from now on, whether or not the keychain takes them.
    this.opts.onSecrets?.(this.secretValues());
    try {
      await this.opts.vault.write(record);
      this.unsaved = false;
    } catch (err) {
      this.unsaved = true;
      throw err;
    }
  }

  /** Tries once more to save the record in use; at most every RESAVE_MS, one at a time. */
  private saveAgain(): void {
    if (this.resaving || this.now() < this.nextResave) return;
    this.nextResave = this.now() + RESAVE_MS;
    const record = this.record;
    if (!record) return;
    this.resaving = this.opts.vault.write(record).then(
      () => {
        if (this.record === record) this.unsaved = false;
        this.opts.log?.(`server "${this.opts.name}": the renewed login is saved now`);
      },
      (err: unknown) =>
        this.opts.log?.(`server "${this.opts.name}": the login still could not be saved: ${errorMessage(err)}`),
    );
    void this.resaving.finally(() => (this.resaving = undefined));
  }

  /** Runs `work` unless a recovery is already under way, in which case its outcome is shared. */
  private once(work: () => Promise<string>): Promise<string> {
    this.flight ??= work().finally(() => {
      this.flight = undefined;
    });
    return this.flight;
  }

  private expiring(tokens: StoredTokens): boolean {
    if (tokens.expiresAt === undefined) return false;
    const life = tokens.obtainedAt === undefined ? Infinity : tokens.expiresAt - tokens.obtainedAt;
    return tokens.expiresAt - this.now() < Math.min(REFRESH_AHEAD_MS, life / 10);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * `renewal`: a refresh's answer. Its refresh token may have replaced the old one for good, so it
   * is used even when the keychain cannot take it now (saved again at a later request).
   */
  private async storeTokens(
    tokens: OAuthTokens & { issuer?: string },
    epoch = this.epoch,
    with_: Partial<OAuthRecord> = {},
    { renewal = false } = {},
  ): Promise<string> {
    const previous = this.record?.tokens;
    const stored: StoredTokens = { ...tokens };
    // Stamped with the authorization server that issued them: only that one ever sees the refresh token.
    stored.issuer ??= (with_.discovery ?? this.record?.discovery)?.authorizationServerUrl;
    if (stored.issuer === undefined) delete stored.issuer;
    // A refresh answer without a new refresh token keeps the old one (RFC 6749 §6).
    if (!stored.refresh_token && previous?.refresh_token && previous.issuer === stored.issuer)
      stored.refresh_token = previous.refresh_token;
    if (typeof tokens.expires_in === 'number') {
      stored.obtainedAt = this.now();
      stored.expiresAt = stored.obtainedAt + tokens.expires_in * 1000;
    }
    try {
      await this.save({ ...with_, tokens: stored }, epoch);
    } catch (err) {
      if (!renewal || !(err instanceof GatewayError) || err.code !== 'secret_store_unavailable') throw err;
      this.opts.log?.(
        `server "${this.opts.name}": the renewed login is in use but could not be saved (${err.message}); ` +
          'it is saved again at a later request',
      );
    }
    // A renewal of the narrower token does not grant the wider scope the server asked for.
    if (!(renewal && this.stepUpWanted)) this.setState('logged-in');
    return stored.access_token;
  }

  private async refresh(tokens: StoredTokens): Promise<string> {
    const epoch = this.epoch;
    // Another process (a one-shot command, another entry for the same URL) may have renewed it.
    const stored = await this.opts.vault.read(this.opts.resource);
    if (epoch !== this.epoch)
      throw new GatewayError('request_cancelled', `server "${this.opts.name}" was logged out meanwhile`);
    if (stored.tokens && stored.tokens.access_token !== tokens.access_token && !this.expiring(stored.tokens)) {
      this.record = stored;
      this.opts.onSecrets?.(this.secretValues());
      return stored.tokens.access_token;
    }
    const record = await this.load();
    const discovery = record.discovery;
    const client = this.clientInformation(record);
    if (!discovery || !client || !tokens.refresh_token) return this.loginNeeded('the saved login cannot be renewed');
    // Never to another authorization server than the one that issued the token.
    if (tokens.issuer !== undefined && tokens.issuer !== discovery.authorizationServerUrl)
      return this.loginNeeded(
        `the server now names another authorization server (${discovery.authorizationServerUrl}) than the one ` +
          `this login came from (${tokens.issuer})`,
      );
    const { refreshAuthorization } = await sdk();
    try {
      const fresh = await refreshAuthorization(discovery.authorizationServerUrl, {
        ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
        clientInformation: client,
        refreshToken: tokens.refresh_token,
        ...(discovery.resourceMetadata?.resource ? { resource: discovery.resourceMetadata.resource } : {}),
        fetchFn: this.fetch,
      });
      this.opts.log?.(`server "${this.opts.name}": OAuth token renewed`);
      const renewed = { ...fresh, issuer: tokens.issuer ?? discovery.authorizationServerUrl };
      return await this.storeTokens(renewed, epoch, {}, { renewal: true });
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      // The authorization server refused the refresh token (revoked, expired): only a login helps.
      if (isOAuthRefusal(err)) {
        // Refused because another process renewed it first (a rotating refresh token works once)?
        const now = await this.opts.vault.read(this.opts.resource);
        if (epoch === this.epoch && now.tokens && now.tokens.refresh_token !== tokens.refresh_token) {
          this.record = now;
          this.opts.onSecrets?.(this.secretValues());
          return now.tokens.access_token;
        }
        await this.save({ tokens: undefined }, epoch);
        return this.loginNeeded(`renewing the login failed: ${oauthErrorText(err)}`);
      }
      const where = tokenEndpoint(discovery);
      throw new GatewayError(
        'upstream_unavailable',
        `server "${this.opts.name}": could not renew the OAuth token: ${tokenRequestFailure(err, where)}`,
        { cause: err },
      );
    }
  }

  private async clientCredentials(): Promise<string> {
    const { auth } = await sdk();
    const provider = this.provider(undefined);
    try {
      const result = await auth(provider, this.authOptions());
      if (result !== 'AUTHORIZED') throw new Error(`unexpected result ${result}`);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const text = `server "${this.opts.name}": getting a token with the configured client credentials failed: `;
      // Refused: only a config change helps. Anything else (network, a busy server) is tried again.
      if (!isOAuthRefusal(err)) {
        const where = tokenEndpoint(this.record?.discovery);
        throw new GatewayError('upstream_unavailable', text + tokenRequestFailure(err, where), { cause: err });
      }
      this.setState('needs-login', `the client credentials were refused: ${errorMessage(err)}`);
      throw new GatewayError('unauthorized', text + errorMessage(err), { cause: err });
    }
    return (await this.load()).tokens!.access_token;
  }

  /** Marks the server as needing a login and fails with how to give it one (or logs in at once, unattended). */
  private async loginNeeded(why: string, stepUp = false): Promise<string> {
    if (this.opts.autoLogin) {
      await this.runLogin(this.opts.autoLogin);
      return (await this.load()).tokens!.access_token;
    }
    // A login under way will bring a token: its state stays "logging in".
    if (this.login_)
      throw new GatewayError('unauthorized', `server "${this.opts.name}" is waiting for its login to finish`);
    this.setState('needs-login', why);
    this.stepUpWanted = stepUp;
    if (stepUp) throw new WiderScopeNeeded(this.needsLoginText(why));
    throw new GatewayError('unauthorized', this.needsLoginText(why));
  }

  private async runLogin(open: BrowserOpener): Promise<void> {
    if (this.opts.settings.grant === 'client_credentials') {
      await this.clientCredentials();
      return;
    }
    this.loginFailed = undefined;
    this.setState('logging-in');
    const misses: { url: string; text: string }[] = [];
    this.misses = misses;
    try {
      await this.authorize(open, misses);
      this.loginsDone++;
      this.opts.onChange?.(this.status());
      this.opts.log?.(`server "${this.opts.name}": logged in`);
    } catch (err) {
      const text = oauthErrorText(err);
      // Which request it was, when the SDK's words do not say.
      const miss = misses.at(-1);
      const where = miss !== undefined && !text.includes(miss.url) ? ` (${miss.text})` : '';
      const failure =
        err instanceof GatewayError
          ? err
          : new GatewayError('unauthorized', `the login to server "${this.opts.name}" failed: ${text}${where}`, {
              cause: err,
            });
      // Said with the state below (a login given up leaves the old tokens working: still logged in).
      this.loginFailed = failure.message;
      this.loginsDone++;
      if (this.record?.tokens) this.setState('logged-in');
      else this.setState('needs-login', failure.message);
      throw failure;
    } finally {
      if (this.misses === misses) this.misses = undefined;
    }
  }

  private async authorize(open: BrowserOpener, misses: { url: string; text: string }[]): Promise<void> {
    const { auth, discoverOAuthServerInfo } = await sdk();
    const record = await this.load();
    const state = randomBytes(24).toString('base64url');
    const label = `server "${this.opts.name}"`;
    const epoch = this.epoch;
    /**
     * What this login finds out (discovery, a registration) is kept here and saved only with the
     * tokens it gets: the saved login keeps working with what it was made with until then, and a
     * refresh never sends its refresh token to an authorization server a login was given up on.
     */
    const pending: PendingLogin = {};
    const configuredPort = this.opts.settings.redirectPort;
    const listener = await listenForCallback({
      port: configuredPort ?? portOf(record.redirectUri) ?? 0,
      // A port registered by hand must be that port: another one would be refused by the server.
      exactPort: configuredPort !== undefined,
      state,
      timeoutMs: this.opts.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS,
      label,
      check: (params) => checkIssuerParameter(params, pending.discovery?.authorizationServerMetadata),
    });
    this.cancelLogin = () => listener.close();
    this.deliverLogin = (address) => listener.deliver(address);
    try {
      // A registration made for another redirect URI (the old port is taken) is made again.
      const registeredElsewhere = record.redirectUri !== undefined && record.redirectUri !== listener.redirectUri;
      // Discovery afresh: the server may have moved to another authorization server.
      const info = await discoverOAuthServerInfo(this.opts.resource, {
        ...(this.challenge.resourceMetadataUrl ? { resourceMetadataUrl: this.challenge.resourceMetadataUrl } : {}),
        fetchFn: this.fetch,
      });
      // The metadata the challenge names could not be read: the SDK then takes the server's origin for its
      // authorization server (a 2025-03-26 server's default endpoints), and the login failed at a guessed /register.
      const named = this.challenge.resourceMetadataUrl;
      if (named && !info.resourceMetadata)
        throw new GatewayError(
          'unauthorized',
          `${label}: its login challenge names its OAuth metadata at ${named.href}, which ` +
            (await whatMetadataAnswered(this.fetch, named)),
        );
      // Named by the server's metadata (not a 2025-03-26 server's default endpoints), it must publish its own.
      if (info.resourceMetadata && !info.authorizationServerMetadata)
        throw new GatewayError(
          'unauthorized',
          `${label}: the authorization server ${info.authorizationServerUrl} publishes no metadata ` +
            `(${misses.map((miss) => miss.text).join('; ')})`,
        );
      checkAuthorizationServer(info, label, { pkce: true });
      pending.discovery = {
        ...info,
        ...(this.challenge.resourceMetadataUrl
          ? { resourceMetadataUrl: String(this.challenge.resourceMetadataUrl) }
          : {}),
      };
      pending.redirectUri = listener.redirectUri;
      if (registeredElsewhere && !this.opts.settings.clientId) pending.client = { value: undefined };
      const provider = this.provider({ state, redirectUri: listener.redirectUri, open, epoch, pending });
      const options = this.authOptions(info.authorizationServerMetadata, info.resourceMetadata?.scopes_supported);
      if ((await auth(provider, options)) === 'AUTHORIZED') return;
      const { code } = await listener.result;
      const result = await auth(provider, { ...options, authorizationCode: code });
      if (result !== 'AUTHORIZED') throw new Error(`the token request ended with ${result}`);
    } finally {
      listener.close();
    }
  }

  /**
   * The scope to ask for: the challenge's, else the resource's, else the configured one; and
   * offline_access where the authorization server offers it.
   */
  private authOptions(
    metadata?: AuthorizationServerMetadata,
    resourceScopes?: string[],
  ): { serverUrl: string; scope?: string; resourceMetadataUrl?: URL; fetchFn: FetchLike } {
    let scope = this.challenge.scope ?? resourceScopes?.join(' ') ?? this.opts.settings.scopes?.join(' ');
    // A refresh token is what keeps a login alive across days (SEP-2207): asked for where offered.
    if (this.opts.settings.grant === 'authorization_code' && metadata?.scopes_supported?.includes('offline_access'))
      scope = union(scope, 'offline_access');
    return {
      serverUrl: this.opts.resource,
      ...(scope ? { scope } : {}),
      ...(this.challenge.resourceMetadataUrl ? { resourceMetadataUrl: this.challenge.resourceMetadataUrl } : {}),
      fetchFn: this.fetch,
    };
  }

  private clientInformation(record: OAuthRecord): OAuthClientInformationMixed | undefined {
    const { clientId, clientSecret } = this.opts.settings;
    if (clientId) return clientSecret ? { client_id: clientId, client_secret: clientSecret } : { client_id: clientId };
    return record.client;
  }

  /** The SDK's view of this session; `login` is set while a browser login runs. */
  private provider(
    login:
      { state: string; redirectUri: string; open: BrowserOpener; epoch: number; pending: PendingLogin } | undefined,
  ): OAuthClientProvider {
    const pending = login?.pending;
    const settings = this.opts.settings;
    const epoch = login?.epoch ?? this.epoch;
    const save = (change: Partial<OAuthRecord>) => this.save(change, epoch);
    const clientCredentials = settings.grant === 'client_credentials';
    const redirectUri = login?.redirectUri;
    let verifier: string | undefined;
    const metadata: OAuthClientMetadata & { application_type?: string } = {
      client_name: this.opts.clientInfo.name,
      software_id: 'switchboard',
      software_version: this.opts.clientInfo.version,
      redirect_uris: redirectUri ? [redirectUri] : [],
      grant_types: clientCredentials ? ['client_credentials'] : ['authorization_code', 'refresh_token'],
      response_types: clientCredentials ? [] : ['code'],
      token_endpoint_auth_method: settings.clientSecret ? 'client_secret_basic' : 'none',
      application_type: 'native',
      ...(settings.scopes?.length ? { scope: settings.scopes.join(' ') } : {}),
    };
    return {
      get redirectUrl() {
        return clientCredentials ? undefined : redirectUri;
      },
      get clientMetadata() {
        return metadata;
      },
      ...(settings.clientMetadataUrl ? { clientMetadataUrl: settings.clientMetadataUrl } : {}),
      state: () => login?.state ?? randomBytes(24).toString('base64url'),
      clientInformation: () =>
        pending?.client && !settings.clientId
          ? pending.client.value
          : this.clientInformation(this.record ?? { resource: this.opts.resource }),
      saveClientInformation: async (client) => {
        // Pre-registered credentials come from the config every time; nothing to keep.
        if (settings.clientId) return;
        if (pending) pending.client = { value: client };
        else await save({ client });
      },
      // A browser login asks afresh: the SDK would otherwise renew the old tokens instead.
      tokens: () => (login ? undefined : this.record?.tokens),
      saveTokens: async (tokens) => {
        // A login's tokens are saved with what the login found out, never before.
        const found: Partial<OAuthRecord> = pending
          ? {
              ...(pending.discovery ? { discovery: pending.discovery } : {}),
              ...(pending.client ? { client: pending.client.value } : {}),
              ...(pending.redirectUri ? { redirectUri: pending.redirectUri } : {}),
            }
          : {};
        await this.storeTokens(tokens as OAuthTokens & { issuer?: string }, epoch, found);
      },
      redirectToAuthorization: async (url) => {
        if (!login) throw new GatewayError('unauthorized', `server "${this.opts.name}" needs a login`);
        const checked = checkedBrowserUrl(url);
        this.loginUrl?.resolve(checked);
        // Not awaited: a browser that never says it opened must not hold the login (the listener's
        // time limit does); a failure to open is logged, and the URL is there to open by hand.
        login.open(checked).then(
          () => undefined,
          (err: unknown) =>
            this.opts.log?.(`server "${this.opts.name}": could not open the browser: ${errorMessage(err)}`),
        );
      },
      saveCodeVerifier: (v) => {
        verifier = v;
      },
      codeVerifier: () => {
        if (!verifier) throw new Error('no login is under way');
        return verifier;
      },
      discoveryState: () => (pending ? pending.discovery : this.record?.discovery),
      saveDiscoveryState: async (discovery) => {
        checkAuthorizationServer(discovery, `server "${this.opts.name}"`, { pkce: !clientCredentials });
        if (pending) pending.discovery = discovery;
        else await save({ discovery });
      },
      invalidateCredentials: async (scope) => {
        if (pending) {
          // What the login found out is dropped; the saved login stays until new tokens come.
          if (scope === 'all' || scope === 'discovery') pending.discovery = undefined;
          if ((scope === 'all' || scope === 'client') && !settings.clientId) pending.client = { value: undefined };
          return;
        }
        if (scope === 'all') await save({ client: undefined, tokens: undefined, discovery: undefined });
        else if (scope === 'client' && !settings.clientId) await save({ client: undefined });
        else if (scope === 'tokens') await save({ tokens: undefined });
        else if (scope === 'discovery') await save({ discovery: undefined });
      },
      ...(clientCredentials
        ? {
            prepareTokenRequest: (scope?: string) =>
              new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
          }
        : {}),
    };
  }

  private setState(state: LoginState, reason?: string): void {
    // Set again by loginNeeded where a step-up is what the login is needed for.
    this.stepUpWanted = false;
    if (state === this.state && reason === this.reason) return;
    this.state = state;
    this.reason = reason;
    this.opts.onChange?.(this.status());
  }
}

/**
 * A request the server refused for want of a wider scope (403 insufficient_scope): a login grants
 * it, and meanwhile the token in use still serves every other request, so only this one fails.
 */
export class WiderScopeNeeded extends GatewayError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** What a browser login found out so far (see authorize). `client.value` undefined: registration dropped. */
interface PendingLogin {
  discovery?: OAuthDiscoveryState;
  client?: { value: OAuthClientInformationMixed | undefined };
  redirectUri?: string;
}

/**
 * The authorization server may be used: its metadata names the issuer it was found at (RFC 8414
 * §3.3; exactly, when the resource's metadata named that issuer) and offers PKCE with S256.
 */
export function checkAuthorizationServer(
  info: {
    authorizationServerUrl: string;
    authorizationServerMetadata?: AuthorizationServerMetadata;
    resourceMetadata?: { authorization_servers?: string[] };
  },
  label: string,
  need: { pkce: boolean },
): void {
  const metadata = info.authorizationServerMetadata;
  if (!metadata) return; // a 2025-03-26 server without metadata: its default endpoints are used
  const named = info.resourceMetadata?.authorization_servers?.includes(info.authorizationServerUrl) === true;
  const same = named
    ? metadata.issuer === info.authorizationServerUrl
    : metadata.issuer.replace(/\/$/, '') === info.authorizationServerUrl.replace(/\/$/, '');
  if (!same)
    throw new GatewayError(
      'unauthorized',
      `${label}: the authorization server at ${info.authorizationServerUrl} calls itself ${metadata.issuer}; ` +
        'its metadata is not used (RFC 8414 §3.3)',
    );
  if (need.pkce && !metadata.code_challenge_methods_supported?.includes('S256'))
    throw new GatewayError(
      'unauthorized',
      `${label}: the authorization server ${metadata.issuer} does not offer PKCE with S256, which a login requires`,
    );
}

/** RFC 9207: an `iss` the server promised must come and must match; one that comes anyway must match too. */
export function checkIssuerParameter(
  params: URLSearchParams,
  metadata: (AuthorizationServerMetadata & { authorization_response_iss_parameter_supported?: boolean }) | undefined,
): void {
  const iss = params.get('iss');
  const promised = metadata?.authorization_response_iss_parameter_supported === true;
  if (promised && iss === null) throw new Error('the authorization server promised an iss parameter and sent none');
  if (iss !== null && metadata && iss !== metadata.issuer)
    throw new Error(`the answer comes from issuer ${iss}, not ${metadata.issuer}`);
}

/**
 * What a browser may be sent to for a login (egress/user-url.ts): anything else an authorization
 * server's metadata says (javascript:, file:, a custom scheme that starts a program, plain http
 * across the network, a disguised link) is refused.
 */
export function checkedBrowserUrl(url: URL): URL {
  const why = userUrlRefusal(url);
  if (why === undefined) return url;
  throw new GatewayError('unauthorized', `refusing to open ${why} for a login: ${USER_URL_RULE} are opened`);
}

function portOf(uri: string | undefined): number | undefined {
  if (!uri) return undefined;
  const port = Number(new URL(uri).port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Answers as the global Response: the egress fetch answers with undici's own class, and the SDK
 * reads an OAuth error body only from an `instanceof Response` (anything else it stringifies, and
 * a refused refresh token would look like a network fault instead of "log in again").
 */
function sdkResponses(fetch: FetchLike, onMiss: (miss: { url: string; text: string }) => void): FetchLike {
  return async (url, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      onMiss({ url: String(url), text: `${method} ${describeNetworkFailure(err, url)}` });
      throw err;
    }
    if (!res.ok)
      onMiss({ url: String(url), text: `${method} ${url} answered HTTP ${res.status}${redirectText(res, url)}` });
    // Typed as the global Response, which undici's is not: checked on the value, not the type.
    if ((res as unknown) instanceof Response) return res;
    return rebuilt(res, res.body);
  };
}

/**
 * Why protected resource metadata the SDK could not use is no good, from a second look at it: its
 * status, a web page (a proxy's login page) or a body that is not JSON, or JSON of another shape.
 */
async function whatMetadataAnswered(fetch: FetchLike, url: URL): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    return `could not be read: ${describeNetworkFailure(err, url)}`;
  }
  if (!res.ok) {
    await Promise.allSettled([res.body?.cancel()]);
    return `answered HTTP ${res.status}${redirectText(res, url)}`;
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    return `could not be read: ${errorMessage(err)}`;
  }
  if (isHtml(text)) {
    const gist = htmlGist(text);
    return `answered a web page${gist ? ` (${gist})` : ''}, not JSON`;
  }
  try {
    JSON.parse(text);
  } catch {
    return 'answered something that is not JSON';
  }
  return 'answered JSON that is not OAuth protected resource metadata (RFC 9728)';
}

/** Where a redirect the SDK did not follow (to another origin) leads, without its query. */
function redirectText(res: Response, from: string | URL): string {
  const target = URL.parse(res.headers.get('location') ?? '', String(from));
  if (res.status < 300 || res.status >= 400 || !target) return '';
  target.search = target.hash = target.username = target.password = '';
  return `, a redirect to ${target.href} that is not followed`;
}

/**
 * An OAuth failure in words: the SDK's refusals without a description have no message, only their
 * error code ("the login … failed:" ended there); a body that was not JSON is said so.
 */
export function oauthErrorText(err: unknown): string {
  const message = errorMessage(err);
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  // The SDK's words for an error answer that is not OAuth's JSON: its schema's complaints, then the body.
  const odd = /^HTTP (\d+): Invalid OAuth error response: [\s\S]*?Raw body: ([\s\S]*)$/.exec(message);
  if (odd) return `HTTP ${odd[1]}, not an OAuth error answer: ${odd[2]!.slice(0, 200)}`;
  if (message && /Unexpected (?:end of JSON|token)|is not valid JSON/.test(message))
    return `the authorization server answered something that is not JSON (${message})`;
  if (message) return message;
  return typeof code === 'string' && code ? `the authorization server answered ${code}` : 'no reason given';
}

/** Where token requests go, as far as is known: the token endpoint, else the authorization server. */
function tokenEndpoint(discovery: OAuthDiscoveryState | undefined): string | undefined {
  return discovery?.authorizationServerMetadata?.token_endpoint ?? discovery?.authorizationServerUrl;
}

/**
 * Why a token request got no answer to use: a network failure in words, naming where it went ("cannot connect
 * to https://auth.example.com/token (connection refused)"), not fetch's "fetch failed"; else the answer.
 */
function tokenRequestFailure(err: unknown, where: string | undefined): string {
  return where !== undefined && isNetworkFailure(err) ? describeNetworkFailure(err, where) : oauthErrorText(err);
}

/** Space-separated scopes, both sets, each once. */
export function union(a: string | undefined, b: string | undefined): string | undefined {
  const all = new Set([...(a?.split(' ') ?? []), ...(b?.split(' ') ?? [])].filter(Boolean));
  return all.size ? [...all].join(' ') : undefined;
}

/** An OAuth error answer from the authorization server (not a network failure or a 5xx). */
function isOAuthRefusal(err: unknown): boolean {
  const code = (err as { errorCode?: unknown } | null)?.errorCode;
  return typeof code === 'string' && REFUSALS.has(code);
}

/** Error codes that mean the grant or the client is no good (RFC 6749 §5.2); others may pass. */
const REFUSALS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);
