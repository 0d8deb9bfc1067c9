/** A protected resource known to the server (RFC 8707 `resource` values). */
export interface ResourceServer {
  /** The absolute URI clients send as `resource`. */
  readonly identifier: string;
  /** The `aud` value placed in tokens for this resource (defaults to the identifier). */
  readonly audience: string;
  /** Scopes this resource accepts; requested scopes outside this set are refused. Empty = any. */
  readonly scopes: readonly string[];
  /** Access token format for this resource; overrides client and global default. */
  readonly accessTokenFormat?: 'jwt' | 'opaque';
  /** Access token lifetime for this resource, in seconds. */
  readonly accessTokenTtl?: number;
}
