/**
 * node-oidc-provider 9 configured like Gatehouse: client_credentials, RFC 7662 introspection,
 * client_secret_basic, RFC 8707 resource indicators choosing the access token format
 * (ES256 JWT or opaque in its default memory adapter), an ES256 + RS256 signing JWKS.
 * Run directly (`node --import tsx bench/servers/oidc-provider.ts`) it serves and prints its port.
 */
import { randomBytes } from 'node:crypto';
import {
  ACCESS_TOKEN_TTL,
  BENCH_OIDC_SCOPE,
  BENCH_PASSWORD,
  BENCH_REDIRECT_URI,
  BENCH_SCOPE,
  BENCH_USERNAME,
  RESOURCE_JWT,
  RESOURCE_OPAQUE,
} from '../lib/fixtures.ts';
import { mountInteractions } from './oidc-provider-interactions.ts';
import { announce, isMain, packageVersion, peerTarget } from '../lib/peer.ts';

const version = packageVersion('oidc-provider');
const CLIENT_ID = 'bench-client';
// Fixed for the benchmark only: the peer runs on loopback for the length of one run.
const CLIENT_SECRET = 'bench-oidc-provider-secret-0123456789abcdef0123456789';
const WEB_CLIENT_ID = 'bench-web';
const WEB_CLIENT_SECRET = 'bench-oidc-provider-web-secret-0123456789abcdef01234';

export const oidcProviderTarget = peerTarget({
  id: 'oidc-provider',
  label: `node-oidc-provider ${version}`,
  version,
  moduleUrl: import.meta.url,
  readyPath: '/.well-known/openid-configuration',
  capabilities: {
    tokenPath: '/token',
    introspectionPath: '/token/introspection',
    jwksPath: '/jwks',
    jwtClient: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: BENCH_SCOPE, extraParams: { resource: RESOURCE_JWT } },
    // features.dPoP (on by default in 9.x, stated below): ES256 proofs, no nonce, jti kept in memory.
    dpop: true,
    opaqueClient: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: BENCH_SCOPE, extraParams: { resource: RESOURCE_OPAQUE } },
    authorizationPath: '/auth',
    webClient: { clientId: WEB_CLIENT_ID, clientSecret: WEB_CLIENT_SECRET, scope: BENCH_OIDC_SCOPE, extraParams: { resource: RESOURCE_JWT } },
    user: { username: BENCH_USERNAME, password: BENCH_PASSWORD },
  },
});

async function signingKeys(): Promise<Record<string, unknown>[]> {
  const { exportJWK, generateKeyPair } = await import('jose');
  const out: Record<string, unknown>[] = [];
  for (const alg of ['ES256', 'RS256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    out.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` });
  }
  return out;
}

async function serve(): Promise<void> {
  const { createServer } = await import('node:http');
  const { default: Provider, errors } = await import('oidc-provider');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: BENCH_SCOPE,
      },
      {
        client_id: WEB_CLIENT_ID,
        client_secret: WEB_CLIENT_SECRET,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [BENCH_REDIRECT_URI],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: BENCH_OIDC_SCOPE,
      },
    ],
    // Equivalent to Gatehouse: sign-in pages of our own that verify an argon2id password hash
    // (OWASP parameters), consent already granted (first-party), refresh tokens rotated on use.
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    loadExistingGrant: async (ctx: {
      oidc: {
        client: { clientId: string };
        session: { accountId: string; grantIdFor(c: string): string | undefined };
        provider: {
          Grant: {
            find(id: string): Promise<unknown>;
            new (i: {
              clientId: string;
              accountId: string;
            }): { addOIDCScope(s: string): void; addResourceScope(r: string, s: string): void; save(): Promise<string> };
          };
        };
      };
    }) => {
      const { client, session, provider: p } = ctx.oidc;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return p.Grant.find(existing);
      const grant = new p.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(BENCH_OIDC_SCOPE);
      grant.addResourceScope(RESOURCE_JWT, BENCH_SCOPE);
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    jwks: { keys: await signingKeys() },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', BENCH_SCOPE],
    ttl: { ClientCredentials: ACCESS_TOKEN_TTL },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9449, as Gatehouse's defaults: proofs accepted, server nonces not required.
      dPoP: { enabled: true },
      introspection: {
        enabled: true,
        // Same policy as Gatehouse's default (`own-or-audience`).
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId: string; aud?: string | string[] }) =>
          token.clientId === client.clientId || [token.aud ?? []].flat().includes(client.clientId),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          if (resource === RESOURCE_JWT) {
            return { scope: BENCH_SCOPE, audience: RESOURCE_JWT, accessTokenTTL: ACCESS_TOKEN_TTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
          }
          if (resource === RESOURCE_OPAQUE) {
            return { scope: BENCH_SCOPE, audience: RESOURCE_OPAQUE, accessTokenTTL: ACCESS_TOKEN_TTL, accessTokenFormat: 'opaque' };
          }
          throw new errors.InvalidTarget();
        },
      },
    },
  });
  const passwordHash = await (await import('@node-rs/argon2')).hash(BENCH_PASSWORD, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  server.on('request', mountInteractions(provider, provider.callback(), { username: BENCH_USERNAME, passwordHash }));
  announce(port);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (isMain(import.meta.url)) await serve();
