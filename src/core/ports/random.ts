/** Randomness is injected so tests can be deterministic where they need to be. */
export interface Random {
  /** `n` cryptographically secure random bytes. */
  bytes(n: number): Uint8Array;
}
