import type { EventPublisher } from '../../events.ts';
import type { KeyRing } from '../../keys/key-ring.ts';
import type { SigningAlg } from '../../model/key.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { ClientStore } from '../../ports/client-store.ts';
import type { Random } from '../../ports/random.ts';
import type { UserStore } from '../../ports/user-store.ts';
import type { UserSubjects } from '../../tokens/user-subject.ts';
import type { ExchangeProfile } from './exchange-profile.ts';
import { createIdJagProfile, type IdJagConfig } from './id-jag-issuance.ts';
import { createTransactionTokenProfile, type TransactionTokenConfig } from './transaction-token.ts';

export interface ExchangeProfilesDeps {
  readonly keys: Pick<KeyRing, 'signer' | 'verifyAsync'>;
  readonly clients: Pick<ClientStore, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly subjects: UserSubjects;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
  readonly config: {
    readonly issuer: string;
    /** Absent (unit tests): the profile is off. */
    readonly idJag?: IdJagConfig;
    readonly transactionTokens?: TransactionTokenConfig;
    readonly tokens: { readonly idTokenSigningAlg?: SigningAlg; readonly accessTokenSigningAlg?: SigningAlg };
  };
}

/** The token-exchange profiles the configuration turns on (each is off by default). */
export function createExchangeProfiles(deps: ExchangeProfilesDeps): ExchangeProfile[] {
  const { issuer, idJag, transactionTokens, tokens } = deps.config;
  const out: (ExchangeProfile | null)[] = [
    idJag ? createIdJagProfile({ ...deps, config: { issuer, idJag, tokens: { idTokenSigningAlg: tokens.idTokenSigningAlg ?? 'RS256' } } }) : null,
    transactionTokens
      ? createTransactionTokenProfile({
          ...deps,
          config: { issuer, transactionTokens, tokens: { accessTokenSigningAlg: tokens.accessTokenSigningAlg ?? 'ES256' } },
        })
      : null,
  ];
  return out.filter((p): p is ExchangeProfile => p !== null);
}
