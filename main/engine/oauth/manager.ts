/**
 * The gateway's OAuth sessions, one per remote server URL that uses OAuth (entries for the same
 * URL and settings share it). A session outlives config reloads that do not change its server's
 * URL or OAuth settings, so a reload never logs anyone out; what a removed server held stays in
 * the keychain until `logout`.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { HttpServerConfig } from '../config/schema.ts';
import { OAuthSession, type BrowserOpener, type OAuthSettings, type OAuthStatus } from './session.ts';
import type { OAuthVault } from './vault.ts';

export interface OAuthManagerOptions {
  vault: OAuthVault;
  clientInfo: { name: string; version: string };
  /** Unattended logins (conformance runs only). */
  autoLogin?: BrowserOpener;
  loginTimeoutMs?: number;
  log?: (line: string) => void;
  /** A session's state changed (the servers view shows it). */
  onChange?: (server: string, status: OAuthStatus) => void;
  /** The token values held changed (the redactor hides them). */
  onSecrets?: () => void;
}

export class OAuthManager {
  private readonly opts: OAuthManagerOptions;
  /**
   * Sessions by what they are for (URL, settings, egress rule): entries for the same URL share one,
   * as they share its keychain record, so a rotating refresh token is used once, not twice.
   */
  private readonly byKey = new Map<string, OAuthSession>();
  private readonly keyOf = new Map<string, string>();

  constructor(opts: OAuthManagerOptions) {
    this.opts = opts;
  }

  /**
   * The session for a remote server (kept from before when nothing about it changed), or
   * undefined when it does not use OAuth: `oauth: false`, or left out with an Authorization
   * header configured.
   */
  sessionFor(server: HttpServerConfig, fetch: FetchLike): OAuthSession | undefined {
    const settings = settingsOf(server);
    if (!settings) {
      this.release(server.name);
      return undefined;
    }
    // The egress rule is the session's too (its requests to the authorization server follow it).
    const key = JSON.stringify([server.url, settings, server.allowPrivateNetwork]);
    if (this.keyOf.get(server.name) !== key) this.release(server.name);
    this.keyOf.set(server.name, key);
    let session = this.byKey.get(key);
    if (!session) {
      session = new OAuthSession({
        name: server.name,
        resource: server.url,
        settings,
        vault: this.opts.vault,
        fetch,
        clientInfo: this.opts.clientInfo,
        ...(this.opts.autoLogin ? { autoLogin: this.opts.autoLogin } : {}),
        ...(this.opts.loginTimeoutMs ? { loginTimeoutMs: this.opts.loginTimeoutMs } : {}),
        ...(this.opts.log ? { log: this.opts.log } : {}),
        // Every entry using it shows the change (the servers view is rebuilt from all of them).
        onChange: (status) => this.opts.onChange?.(server.name, status),
        onSecrets: () => this.opts.onSecrets?.(),
      });
      this.byKey.set(key, session);
    }
    return session;
  }

  get(name: string): OAuthSession | undefined {
    const key = this.keyOf.get(name);
    return key === undefined ? undefined : this.byKey.get(key);
  }

  /** Forgets the sessions of servers no longer configured (their logins stay in the keychain). */
  retain(names: ReadonlySet<string>): void {
    for (const name of [...this.keyOf.keys()]) if (!names.has(name)) this.release(name);
  }

  /** Every token value held (for the redactor). */
  secretValues(): { label: string; value: string }[] {
    return [...this.byKey.values()].flatMap((session) =>
      session.secretValues().map((value) => ({ label: `oauth token of ${session.name}`, value })),
    );
  }

  /** `name` stops using its session; a session nobody uses any more is given up. */
  private release(name: string): void {
    const key = this.keyOf.get(name);
    if (key === undefined) return;
    this.keyOf.delete(name);
    if ([...this.keyOf.values()].includes(key)) return;
    this.byKey.get(key)?.cancel();
    this.byKey.delete(key);
  }
}

function hasUrlCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/** What a server's entry says about OAuth, resolved; undefined when it does not use it. */
export function settingsOf(server: HttpServerConfig): OAuthSettings | undefined {
  if (server.oauth === false) return undefined;
  if (server.oauth === 'on-demand') {
    // Credentials of its own (an Authorization header, or a user and password in the URL): not OAuth's.
    const staticAuth =
      Object.keys(server.headers).some((h) => h.toLowerCase() === 'authorization') || hasUrlCredentials(server.url);
    return staticAuth ? undefined : { grant: 'authorization_code', onDemand: true };
  }
  const o = server.oauth;
  return {
    grant: o.grant,
    ...(o.clientId ? { clientId: o.clientId } : {}),
    ...(o.clientSecret ? { clientSecret: o.clientSecret } : {}),
    ...(o.scopes ? { scopes: [...o.scopes] } : {}),
    ...(o.clientMetadataUrl ? { clientMetadataUrl: o.clientMetadataUrl } : {}),
    ...(o.redirectPort ? { redirectPort: o.redirectPort } : {}),
  };
}
