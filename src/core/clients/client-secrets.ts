import { sha256 } from '../crypto.ts';
import { encryptWithKek } from '../keys/kek.ts';
import type { Client, ClientAuthMethod } from '../model/client.ts';
import type { Random } from '../ports/random.ts';

/** Methods that authenticate with a server-generated shared secret. */
export function usesSecret(method: ClientAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
}

/** 32 random bytes, base64url: a client_id (16 bytes) or a secret (32 bytes, 256 bits). */
export function randomId(random: Random, bytes: number): string {
  return Buffer.from(random.bytes(bytes)).toString('base64url');
}

export interface IssuedSecret {
  /** The secret itself: shown to the caller once, never stored. */
  readonly secret: string;
  readonly fields: Pick<Client, 'secretHash' | 'secretEncrypted' | 'secretExpiresAt'>;
}

/**
 * Generates a client secret of 256 bits and the fields that store it (S5: only its SHA-256).
 * For client_secret_jwt the secret is the HMAC key, which a hash cannot check, so it is also kept
 * sealed under the KEK (AES-256-GCM, bound to the client id).
 */
export function issueSecret(deps: { readonly random: Random; readonly kek: Buffer }, clientId: string, method: ClientAuthMethod): IssuedSecret {
  const secret = randomId(deps.random, 32);
  return {
    secret,
    fields: {
      secretHash: sha256(secret),
      secretEncrypted: method === 'client_secret_jwt' ? encryptWithKek(deps.kek, secret, clientId) : null,
      secretExpiresAt: null,
    },
  };
}

export const NO_SECRET: IssuedSecret['fields'] = { secretHash: null, secretEncrypted: null, secretExpiresAt: null };
