import { hash } from 'node:crypto';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import { hasSharedHost } from '../registration/redirect-uris.ts';

export interface SubjectConfig {
  readonly tokens: {
    readonly subjectType: 'public' | 'pairwise';
    readonly pairwiseSalt?: string | undefined;
  };
}

function hostOf(uri: string): string | null {
  try {
    const url = new URL(uri);
    return url.host || url.protocol.replace(/:$/, '') || null;
  } catch {
    return null;
  }
}

/**
 * Prefix of a sector derived from the client id. A `/` never occurs in a URL host, so such a
 * sector can never equal a host-derived one.
 */
export const CLIENT_ID_SECTOR_PREFIX = 'client_id/';

/** What the registered redirect URIs make of the sector (OIDC Core §8.1). */
export type RedirectSector =
  | { readonly kind: 'host'; readonly host: string }
  | { readonly kind: 'client-id' }
  | { readonly kind: 'ambiguous'; readonly hosts: number };

/**
 * The sector that redirect URIs give a client that registered no `sector_identifier_uri`.
 *
 * OIDC Core §8.1: "If the Client has not provided a value for sector_identifier_uri in Dynamic
 * Client Registration, the Sector Identifier used for pairwise identifier calculation is the host
 * component of the registered redirect_uri." That rests on a host belonging to one Relying
 * Party's organization. A loopback host (`http://127.0.0.1/cb`, RFC 8252 §7.3) or a private-use
 * scheme (`com.example.app:/cb`, §7.1, no host at all) belongs to nobody: every native app
 * registers the same loopback URI, and any app may claim any scheme. Taking them as the sector
 * would give unrelated apps the same `sub` for a user, which is the correlation pairwise
 * identifiers exist to prevent. So when EVERY redirect URI is of that kind, the sector is the
 * client id: the only identifier that is unique to the client. A client mixing such URIs with
 * https ones still counts its hosts (several → it must register a sector_identifier_uri).
 */
export function redirectSector(redirectUris: readonly string[]): RedirectSector {
  if (redirectUris.length > 0 && redirectUris.every(hasSharedHost)) return { kind: 'client-id' };
  const hosts = new Set(redirectUris.map(hostOf).filter((h): h is string => h !== null));
  if (hosts.size === 1) return { kind: 'host', host: [...hosts][0]! };
  return { kind: 'ambiguous', hosts: hosts.size };
}

/**
 * The Sector Identifier of a client (OIDC Core §8.1): "the host component of the URL used by the
 * Relying Party's organization that is an input to the computation of pairwise Subject
 * Identifiers for that Relying Party" — the host of `sector_identifier_uri` when registered (an
 * operator's choice, authoritative; dynamic registration cannot set one for native redirect URIs),
 * otherwise what `redirectSector` derives from the redirect URIs. OIDC Registration §2: "If there
 * are multiple hostnames in the registered redirect_uris, the Client MUST register a
 * sector_identifier_uri."
 */
export function sectorIdentifier(client: Pick<Client, 'metadata' | 'redirectUris' | 'clientId'>): string {
  const registered = oidcMetadata(client).sectorIdentifierUri;
  if (registered) {
    const host = hostOf(registered);
    if (host) return host;
    throw OAuthError.unauthorizedClient('the client sector_identifier_uri is not a valid URL', `client ${client.clientId}`);
  }
  const sector = redirectSector(client.redirectUris);
  if (sector.kind === 'host') return sector.host;
  if (sector.kind === 'client-id') return CLIENT_ID_SECTOR_PREFIX + client.clientId;
  throw OAuthError.unauthorizedClient(
    'a pairwise subject needs one redirect URI host or a sector_identifier_uri',
    `client ${client.clientId}: ${sector.hosts} redirect hosts`,
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
