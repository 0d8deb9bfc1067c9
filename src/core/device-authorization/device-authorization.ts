import { sha256, timePrefix } from '../crypto.ts';
import { GatehouseError, OAuthError } from '../errors.ts';
import type { EventPublisher } from '../events.ts';
import type { Client } from '../model/client.ts';
import type { DeviceCodeRecord } from '../model/device-code.ts';
import { formatScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { DeviceCodeStore } from '../ports/device-code-store.ts';
import type { Random } from '../ports/random.ts';
import type { AccessTokenIssuer } from '../tokens/issue-access-token.ts';
import { formatUserCode, generateUserCode, hashUserCode } from './user-code.ts';

/** RFC 8628 §3.4: the grant type a client polls the token endpoint with. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** Where the user goes (RFC 8628 §3.2 `verification_uri`), under the issuer. */
export const DEVICE_VERIFICATION_PATH = '/device';

/** RFC 8628 §3.2 Device Authorization Response. */
export interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

export interface DeviceAuthorizationDeps {
  readonly deviceCodes: DeviceCodeStore;
  readonly accessTokens: Pick<AccessTokenIssuer, 'plan'>;
  readonly clock: Clock;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
}

export interface DeviceAuthorizationConfig {
  readonly issuer: string;
  readonly device: { readonly codeTtl: number; readonly interval: number };
}

export interface DeviceAuthorizationRequest {
  /** The client, authenticated as at the token endpoint (public clients included). */
  readonly client: Client;
  readonly scope: string | undefined;
  readonly resources: readonly string[];
}

export interface DeviceAuthorization {
  /**
   * RFC 8628 §3.1–§3.2: checks the client may use the grant and the scope/resources it asks for,
   * stores the pending authorization (hashes only) and returns the response body.
   * Throws OAuthError unauthorized_client / invalid_scope / invalid_target.
   */
  authorize(request: DeviceAuthorizationRequest): Promise<DeviceAuthorizationResponse>;
}

/** Device code bytes: 256 bits (S5: a fast hash at rest is safe for values this strong). */
const DEVICE_CODE_BYTES = 32;
const GRANT_ID_BYTES = 16;
/** A fresh user code colliding with a live one is retried this many times (≈ 1 in 10^9 each). */
const USER_CODE_ATTEMPTS = 5;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** RFC 8628 §3.1–§3.2: validates a device authorization request and stores the pending grant. */
export function createDeviceAuthorization(deps: DeviceAuthorizationDeps, config: DeviceAuthorizationConfig): DeviceAuthorization {
  const verificationUri = config.issuer.replace(/\/$/, '') + DEVICE_VERIFICATION_PATH;

  return {
    async authorize({ client, scope, resources }) {
      // RFC 6749 §5.2 (via RFC 8628 §3.2): unauthorized_client: "The authenticated client is not
      // authorized to use this authorization grant type."
      if (!client.grantTypes.includes(DEVICE_CODE_GRANT_TYPE)) {
        throw OAuthError.unauthorizedClient('the client is not allowed to use the device_code grant', `client ${client.clientId}`);
      }
      // RFC 8628 §3.1: "scope: The scope of the access request as defined by Section 3.3 of
      // [RFC6749]." Judged as at the token endpoint (invalid_scope / invalid_target), up front.
      const plan = deps.accessTokens.plan(client, scope, resources);
      const now = epochSeconds(deps.clock);
      const { codeTtl, interval } = config.device;
      const deviceCode = b64(deps.random.bytes(DEVICE_CODE_BYTES));
      const grantId = timePrefix(deps.clock.now()) + b64(deps.random.bytes(GRANT_ID_BYTES));
      for (let attempt = 1; ; attempt++) {
        const userCode = generateUserCode(deps.random);
        const record: DeviceCodeRecord = {
          tenantId: deps.tenantId,
          hash: sha256(deviceCode),
          userCodeHash: hashUserCode(userCode),
          clientId: client.clientId,
          scope: formatScope(plan.scope),
          resources: [...resources],
          status: 'pending',
          auth: null,
          grantedScope: null,
          grantId,
          interval,
          lastPolledAt: null,
          issuedAt: now,
          expiresAt: now + codeTtl,
        };
        try {
          await deps.deviceCodes.insert(record);
        } catch (e) {
          // The store refuses a duplicate user code hash (a live code already has it): draw again.
          if (e instanceof GatehouseError && e.code === 'GH_CONFLICT' && attempt < USER_CODE_ATTEMPTS) continue;
          throw e;
        }
        deps.events.publish('device_code.issued', { tenantId: deps.tenantId, clientId: client.clientId });
        const shown = formatUserCode(userCode);
        return {
          device_code: deviceCode,
          user_code: shown,
          verification_uri: verificationUri,
          // RFC 8628 §3.2: "verification_uri_complete: OPTIONAL. A verification URI that includes
          // the "user_code" [...] designed for non-textual transmission."
          verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(shown)}`,
          expires_in: codeTtl,
          interval,
        };
      }
    },
  };
}
