import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import { LIST_OPTIONS, LIST_USAGE, isoTime, listInput, printList, printRecord } from '../output.ts';
import type { CliCommand } from '../types.ts';

export const consentsCommand: CliCommand = {
  name: 'consents',
  summary: "List a user's remembered consents; revoke one",
  usage: [
    `Usage: gatehouse consents list USER ${LIST_USAGE}`,
    '       gatehouse consents revoke USER CLIENT_ID [--json]',
    '',
    'list    one page of the clients the user consented to, with the scopes and claims granted.',
    '        --sort client_id, --q is a client id prefix.',
    'revoke  forgets the consent: the next authorization request of that client asks the user',
    '        again. Tokens already issued stay valid (`gatehouse tokens revoke …` revokes them).',
    '',
    'See docs/operations.md.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, LIST_OPTIONS);
    const [action, user, client, ...extra] = positionals;
    const paging = Object.keys(LIST_OPTIONS).find((o) => o in values);
    if (action === 'list' ? !user || client !== undefined : action === 'revoke' ? !user || !client || paging !== undefined : true) {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `consents list USER [paging]` or `consents revoke USER CLIENT_ID` (see gatehouse consents --help)');
    }
    if (extra.length) throw new GatehouseError('GH_CLI_USAGE', `consents ${action}: unexpected ${extra[0]}`);
    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      const json = values.json === true;
      if (action === 'list') {
        printList(
          io,
          json,
          await app.consents.list(actor, { user: user!, ...listInput(values) }),
          [
            { head: 'CLIENT_ID', cell: (c) => c.client_id },
            { head: 'SCOPES', cell: (c) => c.scopes.join(' ') || '-' },
            { head: 'CLAIMS', cell: (c) => c.claims.join(' ') || '-' },
            { head: 'GIVEN', cell: (c) => isoTime(c.created_at) },
            { head: 'UPDATED', cell: (c) => isoTime(c.updated_at) },
          ],
          'no remembered consents',
        );
      } else {
        printRecord(io, json, await app.consents.revoke(actor, { user: user!, client_id: client! }));
      }
      return 0;
    } finally {
      await close();
    }
  },
};
