/**
 * @node-oauth/oauth2-server 5 on bare node:http with an in-memory model: client_credentials,
 * client_secret_basic, opaque tokens in a bounded map (1000 entries, like node-oidc-provider's
 * memory adapter). The library has no JWT access tokens, no JWKS and no RFC 7662 introspection,
 * so those cells are "n/a" rather than imitated.
 * Run directly (`node --import tsx bench/servers/oauth2-server.ts`) it serves and prints its port.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type OAuth2Server from '@node-oauth/oauth2-server';
import { ACCESS_TOKEN_TTL, BENCH_SCOPE } from '../lib/fixtures.ts';
import { announce, isMain, packageVersion, peerTarget } from '../lib/peer.ts';

const version = packageVersion('@node-oauth/oauth2-server');
const CLIENT_ID = 'bench-client';
// Fixed for the benchmark only: the peer runs on loopback for the length of one run.
const CLIENT_SECRET = 'bench-oauth2-server-secret-0123456789abcdef0123456789';
const STORE_LIMIT = 1000;

export const oauth2ServerTarget = peerTarget({
  id: 'oauth2-server',
  label: `@node-oauth/oauth2-server ${version}`,
  version,
  moduleUrl: import.meta.url,
  readyPath: '/health',
  capabilities: {
    tokenPath: '/token',
    opaqueClient: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: BENCH_SCOPE },
    notes: {
      'cc-jwt': 'no JWT access tokens',
      'introspect-opaque': 'no RFC 7662 introspection',
      jwks: 'no JWKS (no signed tokens)',
    },
  },
});

async function serve(): Promise<void> {
  const { createServer } = await import('node:http');
  const { default: OAuth2 } = await import('@node-oauth/oauth2-server');
  type Token = OAuth2Server.Token;
  const tokens = new Map<string, Token>();
  const client: OAuth2Server.Client = { id: CLIENT_ID, grants: ['client_credentials'], accessTokenLifetime: ACCESS_TOKEN_TTL };
  const secret = Buffer.from(CLIENT_SECRET);

  const model: OAuth2Server.ClientCredentialsModel = {
    async getClient(clientId, clientSecret) {
      if (clientId !== CLIENT_ID || typeof clientSecret !== 'string') return false;
      const given = Buffer.from(clientSecret);
      return given.length === secret.length && timingSafeEqual(given, secret) ? client : false;
    },
    async getUserFromClient(c) {
      return { id: c.id };
    },
    async validateScope(_user, _client, scope) {
      const requested = scope ?? [BENCH_SCOPE];
      return requested.every((s) => s === BENCH_SCOPE) ? requested : false;
    },
    async generateAccessToken() {
      return randomBytes(32).toString('base64url');
    },
    async saveToken(token, c, user) {
      const saved: Token = { ...token, client: c, user };
      tokens.set(token.accessToken, saved);
      if (tokens.size > STORE_LIMIT) tokens.delete(tokens.keys().next().value!);
      return saved;
    },
    async getAccessToken(accessToken) {
      return tokens.get(accessToken) ?? false;
    },
  };
  const oauth = new OAuth2({ model });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/health') return send(res, 200, {}, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/token') return send(res, 404, {}, { error: 'not_found' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const request = new OAuth2.Request({ method: 'POST', headers: req.headers as Record<string, string>, query: {}, body });
    const response = new OAuth2.Response({ headers: {} });
    try {
      await oauth.token(request, response);
      send(res, response.status ?? 200, response.headers ?? {}, response.body);
    } catch (e) {
      const err = e as { code?: number; name?: string; message?: string };
      send(res, err.code ?? 500, {}, { error: err.name ?? 'server_error', error_description: err.message });
    }
  };
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  announce(typeof addr === 'object' && addr ? addr.port : 0);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

if (isMain(import.meta.url)) await serve();
