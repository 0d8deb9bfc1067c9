import { hash } from 'node:crypto';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';

export interface SubjectConfig {
  readonly tokens: {
    readonly subjectType: 'public' | 'pairwise';
    readonly pairwiseSalt?: string | undefined;
  };
}

function hostOf(uri: string): string | null {
  try {
    const url = new URL(uri);
    // A native app's private-use scheme (`com.example.app:/cb`) has no host: its scheme names it.
    return url.host || url.protocol.replace(/:$/, '') || null;
  } catch {
    return null;
  }
}

/**
 * The Sector Identifier of a client (OIDC Core §8.1): "the host component of the URL used by the
 * Relying Party's organization that is an input to the computation of pairwise Subject
 * Identifiers for that Relying Party" — the host of `sector_identifier_uri` when registered,
 * otherwise of the redirect URIs. OIDC Registration §2: "If there are multiple hostnames in the
 * registered redirect_uris, the Client MUST register a sector_identifier_uri."
 */
export function sectorIdentifier(client: Pick<Client, 'metadata' | 'redirectUris' | 'clientId'>): string {
  const registered = oidcMetadata(client).sectorIdentifierUri;
  if (registered) {
    const host = hostOf(registered);
    if (host) return host;
    throw OAuthError.unauthorizedClient('the client sector_identifier_uri is not a valid URL', `client ${client.clientId}`);
  }
  const hosts = new Set(client.redirectUris.map(hostOf).filter((h): h is string => h !== null));
  if (hosts.size === 1) return [...hosts][0]!;
  throw OAuthError.unauthorizedClient(
    'a pairwise subject needs one redirect URI host or a sector_identifier_uri',
    `client ${client.clientId}: ${hosts.size} redirect hosts`,
  );
}

/** Whether this client gets pairwise subjects: its `subject_type`, else `tokens.subjectType`. */
export function usesPairwise(client: Pick<Client, 'metadata'>, config: SubjectConfig): boolean {
  return (oidcMetadata(client).subjectType ?? config.tokens.subjectType) === 'pairwise';
}

/**
 * The `sub` a client sees for a user (OIDC Core §8). Public: the user id. Pairwise (§8.1):
 * "sub = SHA-256 ( sector_identifier || local_account_id || salt )", base64url — stable for one
 * sector, unrelated across sectors, not reversible without the salt.
 */
export function subjectFor(client: Pick<Client, 'metadata' | 'redirectUris' | 'clientId'>, userId: string, config: SubjectConfig): string {
  if (!usesPairwise(client, config)) return userId;
  const salt = config.tokens.pairwiseSalt;
  if (!salt) throw OAuthError.serverError('tokens.pairwiseSalt is not set but a client uses pairwise subjects');
  return hash('sha256', sectorIdentifier(client) + userId + salt, 'base64url');
}
