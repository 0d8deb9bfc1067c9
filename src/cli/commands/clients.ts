import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createClient, rotateClientSecret, setClientDisabled, type ClientServiceDeps } from '../../core/clients/client-service.ts';
import { GatehouseError, OAuthError } from '../../core/errors.ts';
import type { Client } from '../../core/model/client.ts';
import { clientInformation } from '../../core/registration/client-information.ts';
import { operatorPolicy } from '../../core/registration/client-metadata.ts';
import { openCliContext, parseCli, type CliContext } from '../context.ts';
import type { CliCommand, CliIo } from '../types.ts';

const OPTIONS = {
  name: { type: 'string' },
  'grant-types': { type: 'string' },
  'redirect-uris': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  scopes: { type: 'string' },
  scope: { type: 'string' },
  'token-endpoint-auth-method': { type: 'string' },
  'jwks-uri': { type: 'string' },
  jwks: { type: 'string' },
  'application-type': { type: 'string' },
  'access-token-format': { type: 'string' },
  'response-types': { type: 'string' },
  'post-logout-redirect-uris': { type: 'string' },
  'first-party': { type: 'boolean' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'frontchannel-logout-uri': { type: 'string' },
  'frontchannel-logout-session-required': { type: 'boolean' },
  'id-token-signed-response-alg': { type: 'string' },
  'subject-type': { type: 'string' },
  'sector-identifier-uri': { type: 'string' },
  'request-object-signing-alg': { type: 'string' },
  'require-par': { type: 'boolean' },
  'default-max-age': { type: 'string' },
  'require-auth-time': { type: 'boolean' },
  'strict-assertion-audience': { type: 'boolean' },
} as const;

/** OpenID Connect flags stored as-is under their wire names (OIDC Registration §2 and the logout specs). */
const OIDC_STRING_FLAGS = {
  'backchannel-logout-uri': 'backchannel_logout_uri',
  'frontchannel-logout-uri': 'frontchannel_logout_uri',
  'id-token-signed-response-alg': 'id_token_signed_response_alg',
  'subject-type': 'subject_type',
  'sector-identifier-uri': 'sector_identifier_uri',
  'request-object-signing-alg': 'request_object_signing_alg',
} as const;
const OIDC_BOOLEAN_FLAGS = {
  'first-party': 'first_party',
  'backchannel-logout-session-required': 'backchannel_logout_session_required',
  'frontchannel-logout-session-required': 'frontchannel_logout_session_required',
  'require-par': 'require_pushed_authorization_requests',
  'require-auth-time': 'require_auth_time',
  'strict-assertion-audience': 'strict_assertion_audience',
} as const;

const USAGE = [
  'Usage: gatehouse clients create --name NAME [--grant-types a,b] [--response-types a,b] [--redirect-uris u1,u2]',
  '                                [--scopes s1,s2] [--token-endpoint-auth-method M] [--jwks-uri URL | --jwks FILE]',
  '                                [--application-type web|native] [--access-token-format jwt|opaque]',
  '                                [--post-logout-redirect-uris u1,u2] [--first-party]',
  '                                [--backchannel-logout-uri URL] [--backchannel-logout-session-required]',
  '                                [--frontchannel-logout-uri URL] [--frontchannel-logout-session-required]',
  '                                [--id-token-signed-response-alg ALG] [--subject-type public|pairwise]',
  '                                [--sector-identifier-uri URL] [--request-object-signing-alg ALG]',
  '                                [--require-par] [--default-max-age SECONDS] [--require-auth-time]',
  '                                [--strict-assertion-audience] [--json]',
  '       gatehouse clients list [--json]',
  '       gatehouse clients show|disable|enable|rotate-secret CLIENT_ID [--json]',
  '',
  'create         registers a client (RFC 7591 and OpenID Connect Registration §2 metadata, validated as',
  '               for dynamic registration but any grant type the server supports and any RFC 6749 §3.3',
  '               scope token). Secret-based methods (client_secret_basic, the default; client_secret_post;',
  '               client_secret_jwt) get a 256-bit client_secret, printed ONCE: only its hash is stored.',
  '               Defaults: grant type authorization_code (which needs --redirect-uris), response type code.',
  '               --response-types is comma-separated (values may hold spaces: "code,code id_token");',
  '               id_token/token response types need the implicit grant type beside authorization_code.',
  '               --first-party (a Gatehouse extension) marks a trusted app of your own: consent is skipped.',
  '               --strict-assertion-audience (a Gatehouse extension): JWT client assertions must name the',
  '               issuer identifier as their only aud (draft-ietf-oauth-rfc7523bis).',
  '               Logout URIs must be https (loopback http is accepted in development).',
  '               --scope "a b" (space-separated) and --redirect-uri U (repeatable) take values that',
  '               themselves contain commas.',
  'list           lists every client.',
  'show           prints one client (never its secret).',
  'disable|enable refuses or re-allows the client at every endpoint, at once.',
  'rotate-secret  issues a new client_secret (printed once); the old one stops working at once.',
].join('\n');

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(/[,\s]+/).filter(Boolean));

async function metadataFromFlags(values: Record<string, unknown>): Promise<Record<string, unknown>> {
  const v = values as Partial<Record<keyof typeof OPTIONS, string>> & { 'redirect-uri'?: string[] };
  if (!v.name) throw new GatehouseError('GH_CLI_USAGE', 'clients create needs --name');
  if (v.scope !== undefined && v.scopes !== undefined) throw new GatehouseError('GH_CLI_USAGE', 'use --scope or --scopes, not both');
  if (v.jwks !== undefined && v['jwks-uri'] !== undefined) throw new GatehouseError('GH_CLI_USAGE', 'use --jwks or --jwks-uri, not both');
  const m: Record<string, unknown> = { client_name: v.name };
  const grants = list(v['grant-types']);
  if (grants) m['grant_types'] = grants;
  const redirects = [...(list(v['redirect-uris']) ?? []), ...(v['redirect-uri'] ?? [])];
  if (redirects.length) m['redirect_uris'] = redirects;
  const scopes = v.scope !== undefined ? v.scope.split(' ').filter(Boolean) : list(v.scopes);
  if (scopes) m['scope'] = scopes.join(' ');
  if (v['token-endpoint-auth-method']) m['token_endpoint_auth_method'] = v['token-endpoint-auth-method'];
  if (v['jwks-uri']) m['jwks_uri'] = v['jwks-uri'];
  if (v['application-type']) m['application_type'] = v['application-type'];
  if (v['access-token-format']) m['access_token_format'] = v['access-token-format'];
  if (v['response-types'] !== undefined) m['response_types'] = v['response-types'].split(',').map((t) => t.trim().split(/\s+/).join(' ')).filter(Boolean);
  const postLogout = list(v['post-logout-redirect-uris']);
  if (postLogout) m['post_logout_redirect_uris'] = postLogout;
  for (const [flag, name] of Object.entries(OIDC_STRING_FLAGS)) {
    const value = (values as Record<string, unknown>)[flag];
    if (typeof value === 'string') m[name] = value;
  }
  for (const [flag, name] of Object.entries(OIDC_BOOLEAN_FLAGS)) {
    if ((values as Record<string, unknown>)[flag] === true) m[name] = true;
  }
  if (v['default-max-age'] !== undefined) {
    if (!/^\d{1,9}$/.test(v['default-max-age'])) throw new GatehouseError('GH_CLI_USAGE', '--default-max-age takes a whole number of seconds');
    m['default_max_age'] = Number(v['default-max-age']);
  }
  if (v.jwks !== undefined) {
    try {
      m['jwks'] = JSON.parse(await readFile(v.jwks, 'utf8')) as unknown;
    } catch (e) {
      throw new GatehouseError('GH_CLI_USAGE', `--jwks ${v.jwks}: cannot read a JSON Web Key Set (${(e as Error).message})`);
    }
  }
  return m;
}

/** The client as JSON: RFC 7591 names, plus the operator's view (disabled, updated_at). */
function view(client: Client, secret?: string | null): Record<string, unknown> {
  return { ...clientInformation(client), ...(secret ? { client_secret: secret } : {}), disabled: client.disabled, updated_at: client.updatedAt };
}

function print(io: CliIo, json: boolean, client: Client, secret?: string | null): void {
  if (json) return io.out(JSON.stringify(view(client, secret)));
  const lines = Object.entries(view(client)).map(([k, v]) => `${k.padEnd(27)} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (secret) lines.push(`${'client_secret'.padEnd(27)} ${secret}`, '', 'The client_secret is shown once: only its hash is stored (`gatehouse clients rotate-secret` issues a new one).');
  io.out(lines.join('\n'));
}

async function allClients(ctx: CliContext): Promise<Client[]> {
  const out: Client[] = [];
  for (let after: string | undefined; ;) {
    const page = await ctx.storage.clients.list(ctx.tenantId, { limit: 100, ...(after === undefined ? {} : { after }) });
    out.push(...page);
    if (page.length < 100) return out;
    after = page[page.length - 1]!.clientId;
  }
}

function table(clients: readonly Client[]): string {
  const head = ['CLIENT_ID', 'NAME', 'AUTH METHOD', 'GRANT TYPES', 'STATUS'];
  const rows = clients.map((c) => [c.clientId, c.clientName || '-', c.tokenEndpointAuthMethod, c.grantTypes.join(','), c.disabled ? 'disabled' : 'enabled']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Metadata problems are the operator's input errors: a stable code, the spec's words. */
async function asCliError<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof OAuthError) throw new GatehouseError('GH_CLIENT_METADATA_INVALID', `${e.code}: ${e.description ?? ''}`);
    throw e;
  }
}

export const clientsCommand: CliCommand = {
  name: 'clients',
  summary: 'Create, list, show, disable, enable clients and rotate their secrets',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCli(args, OPTIONS);
    const [action, id, ...extra] = positionals;
    const needsId = ['show', 'disable', 'enable', 'rotate-secret'];
    if (action === 'create' || action === 'list') {
      if (id !== undefined) throw new GatehouseError('GH_CLI_USAGE', `clients ${action} takes no positional argument`);
    } else if (!action || !needsId.includes(action) || !id || extra.length) {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `clients create|list` or `clients show|disable|enable|rotate-secret CLIENT_ID` (see gatehouse clients --help)');
    }
    if (action !== 'create' && Object.keys(OPTIONS).some((o) => o in values)) {
      throw new GatehouseError('GH_CLI_USAGE', `client metadata options apply to \`clients create\` only`);
    }
    const metadata = action === 'create' ? await metadataFromFlags(values) : {};
    const ctx = await openCliContext(values.config, io);
    try {
      const deps: ClientServiceDeps = { clients: ctx.storage.clients, clock: ctx.clock, random: { bytes: (n) => randomBytes(n) }, events: ctx.events, kek: ctx.kek, tenantId: ctx.tenantId };
      const json = values.json === true;
      switch (action) {
        case 'create': {
          const { client, clientSecret } = await asCliError(createClient(deps, { metadata, policy: operatorPolicy(ctx.config), via: 'cli' }));
          print(io, json, client, clientSecret);
          break;
        }
        case 'list': {
          const clients = await allClients(ctx);
          if (json) io.out(JSON.stringify({ clients: clients.map((c) => view(c)) }));
          else io.out(clients.length ? table(clients) : 'no clients yet (gatehouse clients create --help)');
          break;
        }
        case 'show': {
          const client = await ctx.storage.clients.get(ctx.tenantId, id!);
          if (!client) throw new GatehouseError('GH_CLIENT_NOT_FOUND', `no client ${id}`);
          print(io, json, client);
          break;
        }
        case 'rotate-secret': {
          const { client, clientSecret } = await rotateClientSecret(deps, id!, 'cli');
          print(io, json, client, clientSecret);
          break;
        }
        default:
          print(io, json, await setClientDisabled(deps, id!, action === 'disable', 'cli'));
      }
      return 0;
    } finally {
      await ctx.close();
    }
  },
};
