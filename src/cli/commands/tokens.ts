import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import { LIST_OPTIONS, LIST_USAGE, isoTime, listInput, printList, printRecord } from '../output.ts';
import type { CliCommand } from '../types.ts';

const OPTIONS = { user: { type: 'string' }, client: { type: 'string' }, grant: { type: 'string' }, ...LIST_OPTIONS } as const;

export const tokensCommand: CliCommand = {
  name: 'tokens',
  summary: 'List and revoke grants (and their tokens) of a user or a client',
  usage: [
    `Usage: gatehouse tokens list --user USER | --client CLIENT_ID ${LIST_USAGE}`,
    '       gatehouse tokens revoke --grant GRANT_ID | --user USER | --client CLIENT_ID [--json]',
    '',
    'list    one page of grants: an authorization a user gave a client (refresh token and the',
    '        tokens derived from it), or a client_credentials issuance, with its live stored tokens.',
    '        JWT access tokens are not stored: a grant without a live refresh or opaque token is',
    '        not listed. --sort issued_at (the only key), --q is a grant id prefix.',
    "revoke  --grant: that grant's refresh and opaque tokens are revoked and its grant_id is",
    '        denylisted, so its JWT access tokens fail introspection and UserInfo too.',
    '        --user / --client: the same for every grant of that user / issued to that client.',
    '',
    'See docs/operations.md.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, OPTIONS);
    const [action, ...extra] = positionals;
    if ((action !== 'list' && action !== 'revoke') || extra.length)
      throw new GatehouseError('GH_CLI_USAGE', 'expected `tokens list` or `tokens revoke` (see gatehouse tokens --help)');
    const targets = (['user', 'client', 'grant'] as const).filter((o) => values[o] !== undefined);
    if (action === 'list' && values.grant !== undefined) throw new GatehouseError('GH_CLI_USAGE', '--grant applies to `tokens revoke` only');
    if (targets.length !== 1)
      throw new GatehouseError('GH_CLI_USAGE', `tokens ${action} needs exactly one of ${action === 'revoke' ? '--grant, ' : ''}--user, --client`);
    const paging = Object.keys(LIST_OPTIONS).find((o) => o in values);
    if (action === 'revoke' && paging) throw new GatehouseError('GH_CLI_USAGE', `--${paging} applies to \`tokens list\` only`);
    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      const json = values.json === true;
      if (action === 'list') {
        const who = values.user !== undefined ? { user: values.user } : { client_id: values.client! };
        printList(
          io,
          json,
          await app.grants.list(actor, { ...who, ...listInput(values) }),
          [
            { head: 'GRANT_ID', cell: (g) => g.grant_id },
            { head: 'CLIENT_ID', cell: (g) => g.client_id },
            { head: 'USER_ID', cell: (g) => g.user_id ?? '-' },
            { head: 'SCOPE', cell: (g) => g.scope || '-' },
            { head: 'ISSUED', cell: (g) => isoTime(g.created_at) },
            { head: 'LAST USED', cell: (g) => isoTime(g.last_used_at) },
            { head: 'EXPIRES', cell: (g) => isoTime(g.expires_at) },
            { head: 'TOKENS', cell: (g) => String(g.active_tokens) },
          ],
          'no live grants',
        );
      } else if (values.grant !== undefined) {
        printRecord(io, json, await app.grants.revoke(actor, { grant_id: values.grant }));
      } else if (values.user !== undefined) {
        printRecord(io, json, await app.grants.revokeForUser(actor, { user: values.user }));
      } else {
        printRecord(io, json, await app.grants.revokeForClient(actor, { client_id: values.client! }));
      }
      return 0;
    } finally {
      await close();
    }
  },
};
