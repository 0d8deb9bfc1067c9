import { randomToken, sha256 } from './core/crypto.ts';
import { operatorPolicy } from './core/registration/client-metadata.ts';
import type { Services } from './compose.ts';
import { CONSOLE_CLIENT_ID } from './http/console/console-session.ts';
import { endpointUrl } from './http/context.ts';

/** RFC 8252 §7.3 loopback redirect of the demo public client (a native app's local listener). */
export const DEMO_REDIRECT_URI = 'http://127.0.0.1:8400/callback';
export const DEMO_SCOPE = 'openid profile email offline_access';
export const DEMO_USERNAME = 'demo';

/**
 * Development first start. When the store has no client yet: a demo confidential client
 * (client_credentials) and a demo public client (code + PKCE, loopback redirect URI). When it has
 * no user yet: a demo user with a random password. Secrets and the password are printed once;
 * only their hashes are stored, so they cannot be shown again (`gatehouse clients rotate-secret`,
 * `gatehouse users set-password`). Never runs in production.
 */
export async function bootstrapDevelopment(ctx: Services, out: (text: string) => void): Promise<void> {
  if (ctx.config.env !== 'development') return;
  const { tenantId } = ctx;
  const lines: string[] = [];
  // The console's built-in client (provisioned at start) does not count as a client of the operator's.
  const clients = (await ctx.storage.clients.page(tenantId, { limit: 2, sort: 'client_id', order: 'asc' })).items.filter(
    (c) => c.clientId !== CONSOLE_CLIENT_ID,
  );
  if (clients.length === 0) lines.push(...(await demoClients(ctx)));
  if ((await ctx.storage.users.page(tenantId, { limit: 1, sort: 'username', order: 'asc' })).items.length === 0) lines.push(...(await demoUser(ctx)));
  if (lines.length) out(['', ...lines].join('\n'));
}

async function demoClients(ctx: Services): Promise<string[]> {
  const policy = operatorPolicy(ctx.config);
  const service = await ctx.clientService.create({
    metadata: {
      client_name: 'Demo service (development)',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'demo:read demo:write',
    },
    policy,
    via: 'bootstrap',
  });
  // A public native app (RFC 8252): no secret, PKCE S256 required, loopback redirect.
  const app = await ctx.clientService.create({
    metadata: {
      client_name: 'Demo app (development)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [DEMO_REDIRECT_URI],
      scope: DEMO_SCOPE,
      first_party: false,
    },
    policy,
    via: 'bootstrap',
  });
  const { clientId } = service.client;
  const clientSecret = service.clientSecret;
  const verifier = randomToken();
  const authorize = new URL(endpointUrl(ctx.config, '/authorize'));
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: app.client.clientId,
    redirect_uri: DEMO_REDIRECT_URI,
    scope: DEMO_SCOPE,
    // OIDC Core §11: offline_access needs prompt=consent to yield a refresh token.
    prompt: 'consent',
    state: randomToken(8),
    code_challenge: sha256(verifier),
    code_challenge_method: 'S256',
  }).toString();
  return [
    'Gatehouse created a demo client (shown once; only its hash is stored):',
    `  client_id:     ${clientId}`,
    `  client_secret: ${clientSecret}`,
    `  try: curl -s -u '${clientId}:${clientSecret}' -d grant_type=client_credentials ${endpointUrl(ctx.config, '/token')}`,
    '',
    'Gatehouse created a demo public client (authorization code + PKCE S256, no secret):',
    `  public client_id: ${app.client.clientId}`,
    `  redirect_uri:     ${DEMO_REDIRECT_URI}`,
    `  try: open ${authorize.href}`,
    `       then: curl -s -d grant_type=authorization_code -d client_id=${app.client.clientId} -d redirect_uri=${DEMO_REDIRECT_URI} -d code_verifier=${verifier} -d code=CODE ${endpointUrl(ctx.config, '/token')}`,
    '',
  ];
}

async function demoUser(ctx: Services): Promise<string[]> {
  const password = randomToken(15);
  await ctx.userService.create({
    username: DEMO_USERNAME,
    password,
    roles: ['user'],
    via: 'bootstrap',
    claims: { name: 'Demo User', preferred_username: DEMO_USERNAME, email: 'demo@example.com', email_verified: false },
  });
  return [
    'Gatehouse created a demo user (password shown once; only its argon2id hash is stored):',
    `  username: ${DEMO_USERNAME}`,
    `  password: ${password}`,
    '',
  ];
}
