/**
 * One back-channel logout notification (Back-Channel Logout 1.0 §2.5): the core builds and signs
 * the Logout Token; an adapter (src/logout/backchannel-delivery.ts) POSTs it.
 */
export interface BackchannelLogoutMessage {
  readonly tenantId: string;
  readonly clientId: string;
  /** The client's registered `backchannel_logout_uri`. */
  readonly uri: string;
  readonly logoutToken: string;
  readonly jti: string;
  /** The token's `exp` (epoch seconds): no attempt starts after it. */
  readonly expiresAt: number;
}

/**
 * Port: sends logout tokens to relying parties.
 * Adapters guarantee: `notify` returns at once and never throws (the user's response never waits
 * for a relying party); each message is POSTed as `logout_token=<jwt>` form data with a per-attempt
 * timeout and retried with exponential back-off on network errors, timeouts and 5xx/429 answers,
 * up to a configured number of retries and never after `expiresAt`; every message ends in exactly
 * one `backchannel_logout.delivered` or `backchannel_logout.failed` event.
 */
export interface LogoutNotifier {
  notify(message: BackchannelLogoutMessage): void;
}
