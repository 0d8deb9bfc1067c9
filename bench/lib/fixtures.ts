/** Values every target is configured with, so the servers do equivalent work. */
export const BENCH_SCOPE = 'api:read';
/** Resource (RFC 8707) whose access tokens are ES256-signed JWTs (RFC 9068). */
export const RESOURCE_JWT = 'https://api.bench.example/jwt';
/** Resource whose access tokens are opaque and stored server-side. */
export const RESOURCE_OPAQUE = 'https://api.bench.example/opaque';
/** Access token lifetime on every target, in seconds. */
export const ACCESS_TOKEN_TTL = 3600;
