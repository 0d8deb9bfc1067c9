import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import { LIST_OPTIONS, LIST_USAGE, isoTime, listInput, printList, printRecord } from '../output.ts';
import type { CliCommand } from '../types.ts';

const OPTIONS = { sid: { type: 'string' }, user: { type: 'string' }, ...LIST_OPTIONS } as const;

export const sessionsCommand: CliCommand = {
  name: 'sessions',
  summary: "List a user's signed-in sessions; sign one or all of them out",
  usage: [
    `Usage: gatehouse sessions list USER ${LIST_USAGE}`,
    '       gatehouse sessions end --sid SID | --user USER [--json]',
    '',
    "list  one page of the user's signed-in accounts (one per OIDC sid, across browsers): when",
    '      they signed in, how (amr, acr), which clients got tokens. --sort auth_time, --q is a',
    '      sid prefix. Never a session cookie.',
    'end   signs out one sid (--sid) or every sid of a user (--user). Each client that got tokens',
    '      in it and registered a backchannel_logout_uri is sent a Logout Token (OpenID Connect',
    '      Back-Channel Logout §2.5), as on sign-out at /end_session. Tokens already issued stay',
    '      valid: `gatehouse tokens revoke --user USER` revokes them.',
    '',
    'See docs/operations.md.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, OPTIONS);
    const [action, user, ...extra] = positionals;
    const paging = Object.keys(LIST_OPTIONS).find((o) => o in values);
    if (action === 'list') {
      if (!user || extra.length || values.sid !== undefined || values.user !== undefined)
        throw new GatehouseError('GH_CLI_USAGE', 'expected `sessions list USER`');
    } else if (action === 'end') {
      if (user !== undefined || (values.sid === undefined) === (values.user === undefined))
        throw new GatehouseError('GH_CLI_USAGE', 'expected `sessions end --sid SID` or `sessions end --user USER`');
      if (paging) throw new GatehouseError('GH_CLI_USAGE', `--${paging} applies to \`sessions list\` only`);
    } else {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `sessions list USER` or `sessions end --sid SID | --user USER` (see gatehouse sessions --help)');
    }
    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      const json = values.json === true;
      if (action === 'list') {
        printList(
          io,
          json,
          await app.sessions.list(actor, { user: user!, ...listInput(values) }),
          [
            { head: 'SID', cell: (s) => s.sid },
            { head: 'SIGNED IN', cell: (s) => isoTime(s.auth_time) },
            { head: 'AMR', cell: (s) => s.amr.join(',') || '-' },
            { head: 'ACR', cell: (s) => s.acr ?? '-' },
            { head: 'CLIENTS', cell: (s) => s.client_ids.join(',') || '-' },
            { head: 'LAST SEEN', cell: (s) => isoTime(s.last_seen_at) },
          ],
          'no signed-in sessions',
        );
      } else {
        printRecord(
          io,
          json,
          values.sid !== undefined ? await app.sessions.end(actor, { sid: values.sid }) : await app.sessions.endAll(actor, { user: values.user! }),
        );
      }
      return 0;
    } finally {
      await close();
    }
  },
};
