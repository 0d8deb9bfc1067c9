import type { ClientView, ClientWithSecretView } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import { LIST_OPTIONS, LIST_USAGE, listInput, printList, printRecord, requireYes } from '../output.ts';
import type { CliCommand, CliIo } from '../types.ts';
import { METADATA_OPTIONS, metadataFromFlags } from './client-flags.ts';

const OPTIONS = { ...METADATA_OPTIONS, ...LIST_OPTIONS, yes: { type: 'boolean' } } as const;

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
  '                                [--strict-assertion-audience] [--dpop-bound-access-tokens]',
  '                                [--claim-mappings JSON|FILE] [--token-exchange JSON] [--json]',
  '       gatehouse clients update CLIENT_ID [any create option] [--unset MEMBER]... [--json]',
  '       gatehouse clients list ${LIST_USAGE}',
  '       gatehouse clients show|disable|enable|rotate-secret CLIENT_ID [--json]',
  '       gatehouse clients delete CLIENT_ID --yes [--json]',
  '',
  'create         registers a client (RFC 7591 and OpenID Connect Registration §2 metadata, validated as',
  '               for dynamic registration but any grant type the server supports and any RFC 6749 §3.3',
  '               scope token). Secret-based methods (client_secret_basic, the default; client_secret_post;',
  '               client_secret_jwt) get a 256-bit client_secret, printed ONCE: only its hash is stored.',
  '               Defaults: grant type authorization_code (which needs --redirect-uris), response type code.',
  '               --response-types is comma-separated (values may hold spaces: "code,code id_token");',
  '               id_token/token response types need the implicit grant type beside authorization_code.',
  '               --first-party (a Gatehouse extension) marks a trusted app of your own: consent is skipped.',
  '               --claim-mappings (a Gatehouse extension): per source (roles, groups, an attribute) the claim',
  '               name and destinations for this client, e.g. \'{"roles":{"claim":"app_roles","destinations":',
  '               ["id_token","access_token"]}}\' (docs/users.md).',
  '               --strict-assertion-audience (a Gatehouse extension): JWT client assertions must name the',
  '               issuer identifier as their only aud (draft-ietf-oauth-rfc7523bis).',
  '               --dpop-bound-access-tokens (RFC 9449 §5.2): token requests without a DPoP proof are refused.',
  '               --token-exchange (a Gatehouse extension, RFC 8693 policy): whose tokens the client may',
  '               exchange and for which audiences, e.g. \'{"subject_clients":["web"],"audiences":',
  '               ["https://api.example"]}\' (docs/token-exchange.md).',
  '               Logout URIs must be https (loopback http is accepted in development).',
  '               --scope "a b" (space-separated) and --redirect-uri U (repeatable) take values that',
  '               themselves contain commas.',
  'update         changes only the members given (flags as for create; --unset client_uri removes one, so',
  '               its default applies); the result is validated exactly as at creation. Switching to a',
  '               secret-based method issues a client_secret, printed once.',
  'list           one page of clients (default 50, at most 500; --sort client_id|client_name|created_at,',
  '               --q PREFIX of the client id, or of the name with --sort client_name).',
  'show           prints one client (never its secret).',
  'disable|enable refuses or re-allows the client at every endpoint, at once.',
  'rotate-secret  issues a new client_secret (printed once); the old one stops working at once.',
  "delete         removes the client, its users' consents, and revokes every grant and token issued to it.",
  '               Needs --yes.',
  '',
  'See docs/operations.md.',
].join('\n');

/** The client, with the secret just issued (once) as `client_secret`. */
function print(io: CliIo, json: boolean, client: ClientView, secret: string | null = null): void {
  if (json) return printRecord(io, true, secret ? { ...client, client_secret: secret } : client);
  printRecord(io, false, client);
  if (secret)
    io.out(
      `${'client_secret'.padEnd(26)}  ${secret}\n\nThe client_secret is shown once: only its hash is stored (\`gatehouse clients rotate-secret\` issues a new one).`,
    );
}

const printIssued = (io: CliIo, json: boolean, r: ClientWithSecretView) => print(io, json, r.client, r.client_secret);

/** Which options each action accepts (besides --config/--json). */
const METADATA = Object.keys(METADATA_OPTIONS).filter((o) => o !== 'unset');
const ALLOWED: Record<string, readonly string[]> = {
  create: METADATA,
  update: [...METADATA, 'unset'],
  list: Object.keys(LIST_OPTIONS),
  delete: ['yes'],
};
const WITH_ID = ['show', 'update', 'disable', 'enable', 'rotate-secret', 'delete'];

export const clientsCommand: CliCommand = {
  name: 'clients',
  summary: 'Create, update, list, show, disable, enable, delete clients and rotate their secrets',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCli(args, OPTIONS);
    const [action, id, ...extra] = positionals;
    if (action === 'create' || action === 'list') {
      if (id !== undefined) throw new GatehouseError('GH_CLI_USAGE', `clients ${action} takes no positional argument`);
    } else if (!action || !WITH_ID.includes(action) || !id || extra.length) {
      throw new GatehouseError(
        'GH_CLI_USAGE',
        'expected `clients create|list` or `clients show|update|disable|enable|rotate-secret|delete CLIENT_ID` (see gatehouse clients --help)',
      );
    }
    const stray = Object.keys(OPTIONS).find((o) => o in values && !(ALLOWED[action] ?? []).includes(o));
    if (stray) throw new GatehouseError('GH_CLI_USAGE', `--${stray} does not apply to \`clients ${action}\``);
    if (action === 'delete') requireYes(values.yes, `clients delete ${id}`);
    // Read everything the operator gave before opening the store, so bad input writes nothing.
    const metadata = action === 'create' || action === 'update' ? await metadataFromFlags(values, { create: action === 'create' }) : {};
    if (action === 'update' && Object.keys(metadata).length === 0)
      throw new GatehouseError('GH_CLI_USAGE', 'clients update needs at least one option to change (see gatehouse clients --help)');
    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      const json = values.json === true;
      const client_id = id!;
      switch (action) {
        case 'create':
          printIssued(io, json, await app.clients.create(actor, metadata));
          break;
        case 'update':
          printIssued(io, json, await app.clients.update(actor, { client_id, metadata }));
          break;
        case 'list':
          printList(
            io,
            json,
            await app.clients.list(actor, listInput(values)),
            [
              { head: 'CLIENT_ID', cell: (c) => c.client_id },
              { head: 'NAME', cell: (c) => c.client_name || '-' },
              { head: 'AUTH METHOD', cell: (c) => c.token_endpoint_auth_method },
              { head: 'GRANT TYPES', cell: (c) => c.grant_types.join(',') },
              { head: 'STATUS', cell: (c) => (c.disabled ? 'disabled' : 'enabled') },
            ],
            'no clients (gatehouse clients create --help)',
          );
          break;
        case 'show':
          print(io, json, await app.clients.show(actor, { client_id }));
          break;
        case 'rotate-secret':
          printIssued(io, json, await app.clients.rotateSecret(actor, { client_id }));
          break;
        case 'disable':
          print(io, json, await app.clients.disable(actor, { client_id }));
          break;
        case 'enable':
          print(io, json, await app.clients.enable(actor, { client_id }));
          break;
        default:
          printRecord(io, json, await app.clients.delete(actor, { client_id }));
      }
      return 0;
    } finally {
      await close();
    }
  },
};
