import { sha256 } from '../crypto.ts';

/** The origin an RP's check_session iframe posts from (OIDC Session Management §3: "origin URL of the Authentication Response"). */
function redirectOrigin(redirectUri: string): string {
  try {
    return new URL(redirectUri).origin;
  } catch {
    return 'null';
  }
}

/**
 * OIDC Session Management 1.0 §3 session_state: "JSON [sic] string that represents the End-User's
 * login state at the OP" computed, as §3.1's example does, as
 * `base64url(SHA-256(client_id + " " + origin + " " + browser_state + " " + salt)) + "." + salt`,
 * the formula the OP iframe (`/assets/check-session.js`) recomputes. The salt makes the value
 * differ per response, so it cannot be used to track the browser across RPs.
 */
export function sessionState(clientId: string, redirectUri: string, browserState: string, salt: string): string {
  return `${sha256(`${clientId} ${redirectOrigin(redirectUri)} ${browserState} ${salt}`)}.${salt}`;
}
