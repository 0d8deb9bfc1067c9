import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import type { EventPublisher } from '../events.ts';
import type { IdTokenIssuer } from '../id-token/types.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import type { CodeStore } from '../ports/code-store.ts';
import type { DeviceCodeStore } from '../ports/device-code-store.ts';
import type { Random } from '../ports/random.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { LifetimeConfig } from '../tokens/grant-revocation.ts';
import { createAuthorizationCodeGrant } from './grants/authorization-code.ts';
import { createClientCredentialsGrant } from './grants/client-credentials.ts';
import { createDeviceCodeGrant } from './grants/device-code.ts';
import { createRefreshTokenGrant } from './grants/refresh-token.ts';
import { createExchangeProfiles, type ExchangeProfilesDeps } from './grants/exchange-profiles.ts';
import { createJwtBearerGrant } from './grants/jwt-bearer.ts';
import { createTokenExchangeGrant } from './grants/token-exchange.ts';
import type { ClientStore } from '../ports/client-store.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { AccessTokenIssuer } from '../tokens/issue-access-token.ts';
import type { RefreshMintConfig } from '../tokens/refresh-tokens.ts';
import type { TokenGrant } from './types.ts';
import type { UserSubjects } from '../tokens/user-subject.ts';
import type { ReplayCache } from '../ports/replay-cache.ts';
import type { TrustedIssuerRegistry } from '../trusted-issuers/trusted-issuer.ts';

/**
 * What a grant factory may draw on. Grants that need more (codes, refresh tokens, users) add
 * their port here and pick only what they use (S6).
 */
export interface GrantDeps {
  readonly accessTokens: AccessTokenIssuer;
  /** authorization_code, refresh_token: ID tokens and the `sub` a client sees. */
  readonly idTokens: IdTokenIssuer;
  readonly subjects: UserSubjects;
  /** Roles, groups and custom attributes by scope (the access token's mapped claims). */
  readonly claimCatalog?: ClaimCatalog;
  readonly codes: Pick<CodeStore, 'find' | 'take'>;
  /** urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4). */
  readonly deviceCodes: Pick<DeviceCodeStore, 'poll' | 'consume' | 'slowDown'>;
  /** `get`: user grants; `findByUsername`: the JWT bearer grant's subject mapping. */
  readonly users: Pick<UserStore, 'get' | 'findByUsername'>;
  /** Token exchange (RFC 8693): the subject and actor tokens' clients must still be enabled. */
  readonly clients: Pick<ClientStore, 'get'>;
  /** Token exchange: verifies our own JWT access tokens presented as subject or actor tokens; signs ID-JAGs and transaction tokens. */
  readonly keys: Pick<KeyRing, 'verifyAsync' | 'signer'>;
  readonly tokens: Pick<TokenStore, 'insert' | 'find' | 'consume' | 'revokeGrant'>;
  readonly denylist: Pick<TokenDenylist, 'add' | 'has'>;
  /** RFC 7523 §3 item 7: the JWT bearer grant spends each assertion's jti once. */
  readonly replay: ReplayCache;
  /** Trusted external issuers (config `trustedIssuers`): JWT bearer grant, ID-JAG, token exchange. */
  readonly trustedIssuers: TrustedIssuerRegistry;
  readonly clock: Clock;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
  readonly config: RefreshMintConfig &
    LifetimeConfig & { readonly issuer: string } & Omit<ExchangeProfilesDeps['config'], 'issuer' | 'tokens'> & {
      readonly tokens: ExchangeProfilesDeps['config']['tokens'];
      readonly clientAuth: { readonly clockSkew: number };
      readonly resources: readonly { readonly identifier: string }[];
    };
}

/**
 * One factory per grant file (S1): adding a grant is a file plus one line here. A factory returns
 * null when config leaves its grant with nothing to do (S17: it is then neither served nor listed).
 */
const GRANT_FACTORIES: readonly ((deps: GrantDeps) => TokenGrant | null)[] = [
  createClientCredentialsGrant,
  createAuthorizationCodeGrant,
  createRefreshTokenGrant,
  createDeviceCodeGrant,
  (deps) => createTokenExchangeGrant({ ...deps, profiles: createExchangeProfiles(deps) }),
  createJwtBearerGrant,
];

/** The token endpoint's grants keyed by their wire name (`grant_type`). */
export function createGrantRegistry(deps: GrantDeps): ReadonlyMap<string, TokenGrant> {
  const map = new Map<string, TokenGrant>();
  for (const factory of GRANT_FACTORIES) {
    const grant = factory(deps);
    if (grant) map.set(grant.type, grant);
  }
  return map;
}
