/**
 * Where OAuth state lives between runs: one record per protected resource (a remote server's
 * URL), in the keychain under Switchboard's OAuth service (never in the config, a file or a log).
 * A record holds the client registration and the tokens, each stamped with the authorization
 * server (issuer) that issued them, so credentials from one issuer are never shown to another, and
 * the discovery results, which are not secret but save a round of requests at the next start.
 */
import { createHash } from 'node:crypto';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { SecretStore } from '../secrets/store.ts';

/** Tokens as stored: what the token endpoint said, the issuer, and when the access token came and expires. */
export type StoredTokens = OAuthTokens & { issuer?: string; obtainedAt?: number; expiresAt?: number };

export interface OAuthRecord {
  /** The protected resource (the server URL) this record is for. */
  resource: string;
  client?: OAuthClientInformationMixed & { issuer?: string };
  tokens?: StoredTokens;
  discovery?: OAuthDiscoveryState;
  /** The loopback redirect URI registered with the client (its port is reused at the next login). */
  redirectUri?: string;
}

export class OAuthVault {
  private readonly store: SecretStore;

  constructor(store: SecretStore) {
    this.store = store;
  }

  get kind(): string {
    return this.store.kind;
  }

  async read(resource: string): Promise<OAuthRecord> {
    const text = await this.store.get(keyOf(resource));
    if (text === undefined) return { resource };
    try {
      const record = JSON.parse(text) as OAuthRecord;
      // A record under this key for another resource would be a hash collision: start afresh.
      return record.resource === resource ? record : { resource };
    } catch {
      // Unreadable (written by a broken build?): as if logged out, which a new login repairs.
      return { resource };
    }
  }

  async write(record: OAuthRecord): Promise<void> {
    await this.store.set(keyOf(record.resource), JSON.stringify(record));
  }

  async remove(resource: string): Promise<boolean> {
    return this.store.delete(keyOf(resource));
  }
}

/** The keychain account for a resource: a hash, since URLs are not valid account names everywhere. */
export function keyOf(resource: string): string {
  return `oauth-${createHash('sha256').update(resource).digest('hex').slice(0, 40)}`;
}
