import { sha256 } from '../../crypto.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../device-authorization/device-authorization.ts';
import { OAuthError } from '../../errors.ts';
import { parseScope } from '../../model/scope.ts';
import type { Clock } from '../../ports/clock.ts';
import type { DeviceCodeStore } from '../../ports/device-code-store.ts';
import type { Random } from '../../ports/random.ts';
import type { UserStore } from '../../ports/user-store.ts';
import { revokeWholeGrant, type GrantRevocationDeps, type LifetimeConfig } from '../../tokens/grant-revocation.ts';
import { createTimeOrderedIds } from '../../tokens/random-ids.ts';
import type { RefreshMintConfig } from '../../tokens/refresh-tokens.ts';
import type { TokenGrant } from '../types.ts';
import { issueUserGrantTokens, narrowResources, planUserGrant, type UserGrantDeps } from '../../tokens/user-grant-tokens.ts';
import { mayRefresh } from './authorization-code.ts';

export interface DeviceCodeGrantDeps extends Omit<UserGrantDeps, 'id' | 'tokens'>, GrantRevocationDeps {
  readonly deviceCodes: Pick<DeviceCodeStore, 'poll' | 'consume' | 'slowDown'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly tokens: UserGrantDeps['tokens'] & GrantRevocationDeps['tokens'];
  readonly clock: Clock;
  readonly random: Random;
  readonly config: RefreshMintConfig & LifetimeConfig;
}

/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds" on slow_down. */
export const SLOW_DOWN_STEP = 5;
/** Device codes are 43 characters of base64url; anything much longer is not ours. */
const DEVICE_CODE = /^[A-Za-z0-9_-]{16,256}$/;

/** RFC 6749 §5.2 errors are 400 (the generic access_denied status is the authorization endpoint's). */
const pollError = (code: 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token', d: string) => new OAuthError(code, d, { status: 400 });

/**
 * RFC 8628 §3.4–§3.5: the device_code grant. The device polls with its device code; each poll
 * records its time in one atomic store call. Polling sooner than `interval` seconds after the
 * previous poll is answered with slow_down, and the code's stored interval grows by
 * SLOW_DOWN_STEP seconds for this and every later poll (RFC 8628 §3.5), so a device that keeps
 * polling too fast keeps getting slow_down and an ever longer interval. An approved code is consumed once (S4) and yields an
 * access token, a refresh token (OIDC Core §11 rules, as for authorization codes) and, for
 * `openid`, an ID token. Public clients may poll (RFC 8628 §3.4 authenticates only those that
 * have credentials).
 */
export function createDeviceCodeGrant(deps: DeviceCodeGrantDeps): TokenGrant {
  const id = createTimeOrderedIds(deps.random, deps.clock);
  const { config } = deps;
  return {
    type: DEVICE_CODE_GRANT_TYPE,
    params: ['device_code'],
    allowsPublicClients: true,
    async handle({ client, params, resources, dpopJkt = null }) {
      const deviceCode = params.device_code;
      // RFC 8628 §3.4: "device_code: REQUIRED. The device verification code".
      if (deviceCode === undefined) throw OAuthError.invalidRequest('device_code is required');
      if (!DEVICE_CODE.test(deviceCode)) throw OAuthError.invalidGrant('the device code is invalid');
      const now = Math.floor(deps.clock.now() / 1000);
      const hash = sha256(deviceCode);
      const record = await deps.deviceCodes.poll(deps.tenantId, hash, now);
      if (!record) throw OAuthError.invalidGrant('the device code is invalid');
      // RFC 8628 §3.4: client authentication as in RFC 6749 §3.2.1, which binds the code to the
      // client it was issued to: another client's device code is not valid for this one.
      if (record.clientId !== client.clientId)
        throw OAuthError.invalidGrant('the device code was not issued to this client', `device code of ${record.clientId}`);
      if (record.status === 'consumed') {
        // S4 / RFC 6749 §4.1.2 applied to device codes: a second redemption revokes what the first issued.
        await revokeWholeGrant(deps, config, { grantId: record.grantId, clientId: record.clientId, now, reason: 'code_reuse' });
        throw OAuthError.invalidGrant('the device code has already been used', `device code reuse, grant revoked for client ${record.clientId}`);
      }
      // RFC 8628 §3.5: "expired_token: The "device_code" has expired, and the device authorization
      // session has concluded. The client MAY commence a new device authorization request".
      if (record.expiresAt <= now) throw pollError('expired_token', 'the device code has expired');
      // RFC 8628 §3.5: "access_denied: The authorization request was denied."
      if (record.status === 'denied') throw pollError('access_denied', 'the user denied the request');
      if (record.status === 'pending') {
        if (record.lastPolledAt !== null && now - record.lastPolledAt < record.interval) {
          // RFC 8628 §3.5: "slow_down: A variant of "authorization_pending", the authorization
          // request is still pending and polling should continue, but the interval MUST be
          // increased by 5 seconds for this and all subsequent requests."
          await deps.deviceCodes.slowDown(deps.tenantId, hash, SLOW_DOWN_STEP);
          throw pollError('slow_down', `poll again in ${record.interval + SLOW_DOWN_STEP} seconds or more`);
        }
        // RFC 8628 §3.5: "authorization_pending: The authorization request is still pending as
        // the end user hasn't yet completed the user-interaction steps".
        throw pollError('authorization_pending', 'the user has not yet approved the request');
      }
      if (record.auth === null || record.grantedScope === null) throw OAuthError.serverError(`approved device code without a decision for ${record.clientId}`);
      const scope = parseScope(record.grantedScope) ?? [];
      const plan = planUserGrant(deps, { client, grantedScope: scope, requestedScope: undefined, resources: narrowResources(resources, record.resources) });
      const user = await deps.users.get(deps.tenantId, record.auth.userId);
      if (!user || user.disabled) throw OAuthError.invalidGrant('the user is no longer available', `user ${record.auth.userId}`);
      // S4: exactly one poll turns an approval into tokens. Every check that can fail (resource,
      // scope, ID token alg, user) comes first, so a corrected retry is not taken for a reuse.
      if ((await deps.deviceCodes.consume(deps.tenantId, hash)) !== 'consumed') throw OAuthError.invalidGrant('the device code has already been used');
      return issueUserGrantTokens({ ...deps, id }, config, {
        client,
        grantType: DEVICE_CODE_GRANT_TYPE,
        user,
        grantedScope: scope,
        plan,
        grantId: record.grantId,
        nonce: null,
        snapshot: { auth: record.auth, resources: record.resources, claims: null, familyIat: now },
        refresh: mayRefresh(client, scope) ? { parentHash: null } : null,
        dpopJkt,
        now,
      });
    },
  };
}
