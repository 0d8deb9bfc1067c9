/** Values every target is configured with, so the servers do equivalent work. */
export const BENCH_SCOPE = 'api:read';
/** Resource (RFC 8707) whose access tokens are ES256-signed JWTs (RFC 9068). */
export const RESOURCE_JWT = 'https://api.bench.example/jwt';
/** Resource whose access tokens are opaque and stored server-side. */
export const RESOURCE_OPAQUE = 'https://api.bench.example/opaque';
/** Access token lifetime on every target, in seconds. */
export const ACCESS_TOKEN_TTL = 3600;
/** The end user who signs in during the authorization-code flows (password hashed with argon2id on every server). */
export const BENCH_USERNAME = 'bench-user';
export const BENCH_PASSWORD = 'bench-password-correct-horse-battery';
/** Redirect URI of the web client; never contacted: the flow stops at the redirect. */
export const BENCH_REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** Scope of the authorization-code flows: an OpenID request with a refresh token. */
export const BENCH_OIDC_SCOPE = 'openid offline_access api:read';
