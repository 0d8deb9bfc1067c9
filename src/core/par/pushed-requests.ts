import { sha256 } from '../crypto.ts';
import { GatehouseError, OAuthError } from '../errors.ts';
import type { EventPublisher } from '../events.ts';
import type { Client } from '../model/client.ts';
import type { ParRecord } from '../model/par-request.ts';
import type { TenantId } from '../model/tenant.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { ParStore } from '../ports/par-store.ts';
import type { Random } from '../ports/random.ts';
import { storedParams } from './stored-params.ts';

/** RFC 9126 §2.2: "urn:ietf:params:oauth:request_uri:<reference-value>". */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** 256 bits: RFC 9126 §7.1 asks for request_uri values that cannot be guessed. */
const REFERENCE_BYTES = 32;
const MAX_REQUEST_URI_LENGTH = 512;

/** Client authentication parameters of the push body: not part of the authorization request. */
const CLIENT_AUTH_PARAMS = ['client_secret', 'client_assertion', 'client_assertion_type'] as const;

type Params = Readonly<Record<string, string>>;

/**
 * Validates pushed parameters exactly as the authorization endpoint would (client, redirect URI,
 * response type, scope, PKCE, a `request` object…) and returns the parameters to store: those the
 * authorization endpoint will resolve again when the request_uri comes back. Throws OAuthError.
 */
export type PushValidator = (client: Client, params: Params) => Promise<Params>;

export interface PushedRequestDeps {
  readonly par: ParStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
}

export interface PushedRequestConfig {
  readonly authorization: { readonly parTtl: number; readonly parMaxStoredBytes: number };
}

/** RFC 9126 §2.2 successful response (201 Created). */
export interface PushResponse {
  readonly request_uri: string;
  readonly expires_in: number;
}

export interface PushedRequests {
  /**
   * RFC 9126 §2.1: stores the validated authorization request of an authenticated `client`
   * (only the SHA-256 of the request_uri is kept). `params` is the whole push body: client
   * authentication parameters are dropped here, and of the validated request only the
   * parameters the authorization endpoint reads are stored, within
   * `authorization.parMaxStoredBytes` (./stored-params.ts). `validate` is the authorization endpoint's
   * validation (passed per call: the authorization service itself takes pushed requests).
   * Throws OAuthError.
   */
  push(client: Client, params: Params, validate: PushValidator): Promise<PushResponse>;
  /**
   * RFC 9126 §4: the authorization endpoint takes a pushed request, once, for the client named by
   * its `client_id`. Unknown, used, expired and other clients' request_uris all fail the same way:
   * OAuthError `invalid_request_uri`. Shape of `PushedRequestTaker` (src/core/authorize/request-sources.ts).
   */
  takePushedRequest(client: Pick<Client, 'clientId'>, requestUri: string): Promise<Params>;
}

/** True for a request_uri this server issued at its PAR endpoint (by its form; unknown otherwise). */
export function isPushedRequestUri(value: string): boolean {
  return value.startsWith(REQUEST_URI_PREFIX);
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const invalidRequestUri = (detail: string) => OAuthError.of('invalid_request_uri', 'the request_uri is invalid, expired or already used', detail);

export function createPushedRequests(deps: PushedRequestDeps, config: PushedRequestConfig): PushedRequests {
  const { par, tenantId } = deps;
  const ttl = config.authorization.parTtl;

  return {
    async push(client, body, validate) {
      const params: Record<string, string> = Object.create(null);
      for (const [k, v] of Object.entries(body)) if (!(CLIENT_AUTH_PARAMS as readonly string[]).includes(k)) params[k] = v;
      // A pushed request_uri (RFC 9126 §2.1 "MUST NOT be provided") is refused by `validate`,
      // where every entry point's request sources are judged (check-request-source.ts).
      // RFC 9126 §2.1: the client_id of the request is that of the authenticated client.
      if (params.client_id !== undefined && params.client_id !== client.clientId) {
        throw OAuthError.invalidRequest('client_id does not match the authenticated client');
      }
      params.client_id = client.clientId;
      const stored = storedParams(await validate(client, params), config.authorization.parMaxStoredBytes);
      const now = epochSeconds(deps.clock);
      for (let attempt = 0; ; attempt++) {
        const requestUri = REQUEST_URI_PREFIX + b64(deps.random.bytes(REFERENCE_BYTES));
        const record: ParRecord = { tenantId, hash: sha256(requestUri), clientId: client.clientId, params: stored, expiresAt: now + ttl, consumedAt: null };
        try {
          await par.insert(record);
        } catch (e) {
          // A 256-bit collision means a broken Random: retry once, then fail loudly.
          if (e instanceof GatehouseError && e.code === 'GH_CONFLICT' && attempt === 0) continue;
          throw e;
        }
        deps.events.publish('authorization_request.pushed', { tenantId, clientId: client.clientId });
        return { request_uri: requestUri, expires_in: ttl };
      }
    },

    async takePushedRequest(client, requestUri) {
      if (!isPushedRequestUri(requestUri) || requestUri.length > MAX_REQUEST_URI_LENGTH) throw invalidRequestUri('not a pushed request_uri');
      const now = epochSeconds(deps.clock);
      // S4: one atomic take; RFC 9126 §4: the request_uri is used once.
      const taken = await par.take(tenantId, sha256(requestUri), now);
      if (taken.result === 'not-found') throw invalidRequestUri('unknown request_uri');
      if (taken.result === 'already-consumed') throw invalidRequestUri(`request_uri already used (client ${taken.record.clientId})`);
      const { record } = taken;
      // RFC 9126 §4: a pushed request is bound to the client that pushed it; the client_id of the
      // authorization request must be that client's.
      if (record.clientId !== client.clientId) throw invalidRequestUri(`request_uri of client ${record.clientId} presented for ${client.clientId}`);
      // RFC 9126 §2.2: "expires_in: A JSON number that represents the lifetime of the request URI in seconds".
      if (record.expiresAt <= now) throw invalidRequestUri('request_uri expired');
      return record.params;
    },
  };
}
