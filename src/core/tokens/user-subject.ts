import { GatehouseError } from '../errors.ts';
import { decryptWithKek, deriveKey, encryptWithKek } from '../keys/kek.ts';
import type { Client } from '../model/client.ts';

import { SEALED_USER_CLAIM } from './user-token-claims.ts';

export { SEALED_USER_CLAIM };

export interface UserSubjects {
  /**
   * The `sub` of a token for `userId` issued to `client`, plus the claims that let this server
   * find the user again: none when `sub` is the user id (public), the sealed user id when it is
   * pairwise.
   */
  forToken(client: Client, userId: string): { readonly subject: string; readonly claims: Readonly<Record<string, unknown>> };
  /** The user id behind a token's `sub` and claims, or null when it cannot be recovered. */
  userIdOf(clientId: string, subject: string, claims: Readonly<Record<string, unknown>>): string | null;
}

/**
 * Pairwise subjects (OIDC Core §8.1) are one-way hashes, yet UserInfo and the refresh grant must
 * find the user behind a token. Tokens with a pairwise `sub` therefore also carry the user id
 * sealed with AES-256-GCM under a key derived from the KEK (HKDF-SHA256, its own `info`, so the
 * KEK itself never encrypts token data), bound to the client id as additional data: the client
 * and resource servers see only ciphertext, so pairwise subjects stay unlinkable across sectors.
 * Public subjects are the user id and carry nothing extra.
 */
export function createUserSubjects(kek: Buffer, subjectFor: (client: Client, userId: string) => string, kekPrevious: readonly Buffer[] = []): UserSubjects {
  const key = deriveKey(kek, 'gatehouse token user id v1');
  // During a KEK rotation, tokens issued before it carry the id sealed under an earlier KEK.
  const earlier = kekPrevious.map((k) => deriveKey(k, 'gatehouse token user id v1'));
  return {
    forToken(client, userId) {
      const subject = subjectFor(client, userId);
      if (subject === userId) return { subject, claims: {} };
      return { subject, claims: { [SEALED_USER_CLAIM]: encryptWithKek(key, userId, `uid:${client.clientId}`) } };
    },
    userIdOf(clientId, subject, claims) {
      const sealed = claims[SEALED_USER_CLAIM];
      if (sealed === undefined) return subject;
      if (typeof sealed !== 'string') return null;
      for (const k of [key, ...earlier]) {
        try {
          return decryptWithKek(k, sealed, `uid:${clientId}`);
        } catch (e) {
          if (!(e instanceof GatehouseError)) throw e;
        }
      }
      return null;
    },
  };
}
