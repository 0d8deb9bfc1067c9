/**
 * Single-use values across instances (client assertion `jti`, RFC 7523 §3 item 7; DPoP proof
 * `jti`, RFC 9449 §11.1). Never backed by one instance's memory when instances share a store.
 * Adapters guarantee: `useOnce` is ONE atomic insert (S4); of concurrent callers with the same key
 * exactly one gets `true`, on every instance sharing the store, until `expiresAt` has passed.
 */
export interface ReplayCache {
  useOnce(key: string, expiresAt: number): Promise<boolean>;
  purgeExpired(before: number): Promise<number>;
}
