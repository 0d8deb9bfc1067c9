import type { KeyView } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { SigningAlg } from '../../core/model/key.ts';
import { openCliContext, parseCli } from '../context.ts';
import { LIST_OPTIONS, LIST_USAGE, isoTime, listInput, printList, renderTable, type Column } from '../output.ts';
import type { CliCommand } from '../types.ts';

const COLUMNS: readonly Column<KeyView>[] = [
  { head: 'KID', cell: (k) => k.kid },
  { head: 'ALG', cell: (k) => k.alg },
  { head: 'STATUS', cell: (k) => k.status },
  { head: 'CREATED', cell: (k) => isoTime(k.created_at) },
  { head: 'ACTIVATED', cell: (k) => isoTime(k.activated_at) },
  { head: 'RETIRES', cell: (k) => isoTime(k.retires_at) },
  { head: 'IN JWKS', cell: (k) => (k.published ? 'yes' : 'no') },
];

const NO_KEYS = 'no signing keys yet: the server generates them on first start (or run `gatehouse keys rotate`)';

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'List or rotate the signing keys',
  usage: [
    `Usage: gatehouse keys list ${LIST_USAGE}`,
    '       gatehouse keys rotate [--alg ALG]... [--config FILE] [--json]',
    '',
    'list    shows the signing keys: kid, algorithm, status (next, active, retired), when each was',
    '        created and activated, when a retired key leaves the JWKS. Never key material.',
    '        --sort created_at|kid, --q is a kid prefix.',
    "rotate  promotes each algorithm's next key to active and retires the active one (it stays in",
    '        the JWKS for keys.gracePeriod); a new next key is published. --alg limits it to the',
    '        given algorithms (repeatable); default: every algorithm in keys.algorithms.',
    '        Running servers pick the rotation up within keys.refreshInterval. Needs the admin role.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, { alg: { type: 'string', multiple: true }, ...LIST_OPTIONS });
    const [action, ...extra] = positionals;
    if ((action !== 'list' && action !== 'rotate') || extra.length) {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `keys list` or `keys rotate` (see gatehouse keys --help)');
    }
    if (action === 'list' && values.alg) throw new GatehouseError('GH_CLI_USAGE', '--alg applies to `keys rotate` only');
    const paging = Object.keys(LIST_OPTIONS).find((o) => o in values);
    if (action === 'rotate' && paging) throw new GatehouseError('GH_CLI_USAGE', `--${paging} applies to \`keys list\` only`);
    const { application: app, actor, config, close } = await openCliContext(values.config, io);
    try {
      const json = values.json === true;
      if (action === 'list') {
        printList(io, json, await app.keys.list(actor, listInput(values)), COLUMNS, NO_KEYS);
        return 0;
      }
      const started = performance.now();
      const { rotated, keys } = await app.keys.rotate(actor, values.alg ? { algs: values.alg as SigningAlg[] } : {});
      const ms = Math.round(performance.now() - started);
      if (json) {
        io.out(JSON.stringify({ rotated, keys, ms }));
      } else {
        io.out(
          renderTable(
            COLUMNS.map((c) => c.head),
            keys.map((k) => COLUMNS.map((c) => c.cell(k))),
          ),
        );
        io.out(`\nrotated ${rotated.join(', ')} in ${ms} ms; running servers pick this up within ${config.keys.refreshInterval} s (keys.refreshInterval)`);
      }
      return 0;
    } finally {
      await close();
    }
  },
};
