import type { AuditRecordView } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import { renderTable, requireYes, type Column } from '../output.ts';
import { parseHeadArg, parseTimeArg } from '../time-arg.ts';
import type { CliCommand } from '../types.ts';

const COLUMNS: readonly Column<AuditRecordView>[] = [
  { head: 'SEQ', cell: (r) => String(r.seq) },
  { head: 'TIME', cell: (r) => r.time.replace(/\.\d{3}Z$/, 'Z') },
  { head: 'ACTOR', cell: (r) => `${r.actor.kind}:${r.actor.id}` },
  { head: 'ACTION', cell: (r) => r.action },
  { head: 'OBJECT', cell: (r) => (r.object.id === null ? r.object.type : `${r.object.type}:${r.object.id}`) },
  { head: 'ORIGIN', cell: (r) => r.origin },
  { head: 'OUTCOME', cell: (r) => (r.error_code ? `${r.outcome} ${r.error_code}` : r.outcome) },
];

/** Records fetched per store round trip while listing. */
const PAGE = 200;

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'List, verify or purge the tamper-evident audit log',
  usage: [
    'Usage: gatehouse audit [--since T] [--until T] [--actor A] [--action X] [--object ID] [--limit N] [--cursor C] [--asc] [--json]',
    '       gatehouse audit verify [--head SEQ:HASH] [--json]',
    '       gatehouse audit head [--json]',
    '       gatehouse audit purge --before T --yes [--json]',
    '',
    '(list)  audit records, newest first (--asc: oldest first), at most --limit (default 100).',
    '        T is ISO 8601 (2026-12-01, 2026-12-01T10:00:00Z) or a duration before now (15m, 1h, 7d).',
    '        --actor is the actor id, --action a use case name (clients.create), --object an object id.',
    '        --json prints one JSON record per line. When more match, the --cursor to continue is printed.',
    'verify  walks the hash chain: recomputes every hash, checks the seq and prev_hash links and the',
    '        chain head; --head also checks that the chain reaches a head published earlier (the',
    '        audit.head_published event, the log line or `audit head`). Exit 1 names the first bad seq.',
    'head    prints the chain head as SEQ:HASH.',
    'purge   deletes records older than --before and appends a checkpoint so the rest still verifies.',
    '        Needs the admin role and --yes. The server purges by itself with audit.retentionDays.',
    'Every command takes --config FILE. Details: docs/audit.md.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, {
      since: { type: 'string' },
      until: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      object: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      asc: { type: 'boolean', default: false },
      head: { type: 'string' },
      before: { type: 'string' },
      yes: { type: 'boolean', default: false },
    });
    const [sub = 'list', ...extra] = positionals;
    if (!['list', 'verify', 'head', 'purge'].includes(sub) || extra.length) {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `audit`, `audit verify`, `audit head` or `audit purge` (see gatehouse audit --help)');
    }
    const listOnly =
      ['since', 'until', 'actor', 'action', 'object', 'limit', 'cursor'].find((k) => values[k as keyof typeof values] !== undefined) ??
      (values.asc ? 'asc' : undefined);
    if (sub !== 'list' && listOnly) throw new GatehouseError('GH_CLI_USAGE', `--${listOnly} applies to the audit listing only`);
    if (sub !== 'verify' && values.head !== undefined) throw new GatehouseError('GH_CLI_USAGE', '--head applies to `audit verify` only');
    if (sub !== 'purge' && values.before !== undefined) throw new GatehouseError('GH_CLI_USAGE', '--before applies to `audit purge` only');
    const now = Date.now();
    const json = values.json === true;
    // Every flag is checked before the store is opened: bad input exits 2 without touching it.
    const head = values.head === undefined ? undefined : parseHeadArg(values.head);
    const before = values.before === undefined ? undefined : parseTimeArg('before', values.before, now);
    if (sub === 'purge') {
      if (before === undefined) throw new GatehouseError('GH_CLI_USAGE', '`audit purge` needs --before T');
      requireYes(values.yes, 'purging audit records');
    }
    const filter: Record<string, unknown> = {};
    if (values.since !== undefined) filter['since'] = parseTimeArg('since', values.since, now);
    if (values.until !== undefined) filter['until'] = parseTimeArg('until', values.until, now);
    for (const k of ['actor', 'action', 'object'] as const) if (values[k] !== undefined) filter[k] = values[k];
    let limit = 100;
    if (values.limit !== undefined) {
      if (!/^\d{1,7}$/.test(values.limit) || Number(values.limit) < 1) throw new GatehouseError('GH_CLI_USAGE', '--limit takes a whole number ≥ 1');
      limit = Number(values.limit);
    }

    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      if (sub === 'head') {
        const h = await app.audit.head(actor, {});
        io.out(json ? JSON.stringify(h) : `${h.seq}:${h.hash}`);
        return 0;
      }
      if (sub === 'verify') {
        const v = await app.audit.verify(actor, head ? { head } : {});
        if (json) io.out(JSON.stringify(v));
        if (!v.ok) {
          if (!json)
            io.err(`gatehouse audit verify: chain broken at seq ${v.seq}: ${v.problem} (${v.records} records verified before it) [GH_AUDIT_CHAIN_BROKEN]`);
          return 1;
        }
        if (!json) {
          const from = v.firstSeq === null ? 'empty chain' : `seq ${v.firstSeq}…${v.head.seq}`;
          io.out(
            `audit chain OK: ${v.records} records (${from}), head ${v.head.seq}:${v.head.hash}${head ? `, reaches the published head ${head.seq}` : ''} (${v.ms} ms)`,
          );
        }
        return 0;
      }
      if (sub === 'purge') {
        const r = await app.audit.purge(actor, { before: before! });
        io.out(json ? JSON.stringify(r) : r.purged ? `purged ${r.purged} audit records; checkpoint at seq ${r.checkpoint_seq}` : 'nothing to purge');
        return 0;
      }
      // The listing: page through the store (PAGE at a time), print at most `limit` records.
      const rows: AuditRecordView[] = [];
      let printed = 0;
      let cursor = values.cursor;
      let more: string | null = null;
      while (printed < limit) {
        const page = await app.audit.list(actor, {
          ...filter,
          limit: Math.min(PAGE, limit - printed),
          order: values.asc ? 'asc' : 'desc',
          ...(cursor === undefined ? {} : { cursor }),
        });
        if (json) for (const r of page.items) io.out(JSON.stringify(r));
        else rows.push(...page.items);
        printed += page.items.length;
        more = page.next_cursor;
        if (more === null) break;
        cursor = more;
      }
      if (!json) {
        io.out(
          rows.length
            ? renderTable(
                COLUMNS.map((c) => c.head),
                rows.map((r) => COLUMNS.map((c) => c.cell(r))),
              )
            : 'no audit records match',
        );
      }
      if (more !== null) (json ? io.err : io.out)(`${json ? '' : '\n'}more: repeat with --cursor ${more}`);
      return 0;
    } finally {
      await close();
    }
  },
};
