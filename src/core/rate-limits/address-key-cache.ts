import { addressKey } from '../address-key.ts';

const MAX = 4096;

/**
 * `addressKey` memoised for the request path: the limits look it up on every limited request and
 * a server sees the same few addresses again and again. Bounded: the map is dropped when full.
 */
export function createAddressKeys(): (address: string) => string {
  const seen = new Map<string, string>();
  return (address) => {
    let key = seen.get(address);
    if (key === undefined) {
      if (seen.size >= MAX) seen.clear();
      key = addressKey(address);
      seen.set(address, key);
    }
    return key;
  };
}
