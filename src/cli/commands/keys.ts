import { KeyManager } from '../../core/keys/key-manager.ts';
import { keySummaries, type KeySummary } from '../../core/keys/key-summary.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { SigningAlg } from '../../core/model/key.ts';
import { openCliContext, parseCli } from '../context.ts';
import type { CliCommand } from '../types.ts';

const iso = (s: number | null) => (s === null ? '-' : new Date(s * 1000).toISOString().replace('.000Z', 'Z'));

/** A plain aligned table: one row per key, active keys first. */
export function renderKeyTable(keys: readonly KeySummary[]): string {
  const head = ['KID', 'ALG', 'STATUS', 'CREATED', 'ACTIVATED', 'RETIRES', 'IN JWKS'];
  const rows = keys.map((k) => [k.kid, k.alg, k.status, iso(k.createdAt), iso(k.activatedAt), iso(k.retiresAt), k.published ? 'yes' : 'no']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'List or rotate the signing keys',
  usage: [
    'Usage: gatehouse keys list [--config FILE] [--json]',
    '       gatehouse keys rotate [--alg ALG]... [--config FILE] [--json]',
    '',
    'list    shows every signing key: kid, algorithm, status (next, active, retired), when it was',
    '        created and activated, when a retired key leaves the JWKS. Never key material.',
    'rotate  promotes each algorithm\'s next key to active and retires the active one (it stays in',
    '        the JWKS for keys.gracePeriod); a new next key is published. --alg limits it to the',
    '        given algorithms (repeatable); default: every algorithm in keys.algorithms.',
    '        Running servers pick the rotation up within keys.refreshInterval.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, { alg: { type: 'string', multiple: true } });
    const [action, ...extra] = positionals;
    if ((action !== 'list' && action !== 'rotate') || extra.length) {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `keys list` or `keys rotate` (see gatehouse keys --help)');
    }
    if (action === 'list' && values.alg) throw new GatehouseError('GH_CLI_USAGE', '--alg applies to `keys rotate` only');
    const ctx = await openCliContext(values.config, io);
    try {
      const configured = ctx.config.keys.algorithms;
      const algs = values.alg as SigningAlg[] | undefined;
      const unknown = (algs ?? []).filter((a) => !configured.includes(a));
      if (unknown.length) throw new GatehouseError('GH_CLI_USAGE', `--alg ${unknown.join(', ')}: not in keys.algorithms (${configured.join(', ')})`);
      const manager = new KeyManager({ keyStore: ctx.storage.keys, clock: ctx.clock, events: ctx.events, kek: ctx.kek, tenantId: ctx.tenantId }, ctx.config);
      const started = performance.now();
      if (action === 'list') {
        await manager.load();
      } else {
        // Generates the first keys if the server never started; a rotation then follows.
        await manager.init();
        await manager.rotate(algs);
      }
      const keys = keySummaries(manager.list(), manager.jwks());
      const ms = Math.round(performance.now() - started);
      if (values.json) {
        io.out(JSON.stringify(action === 'list' ? { keys } : { rotated: algs ?? configured, keys, ms }));
      } else if (keys.length === 0) {
        io.out('no signing keys yet: the server generates them on first start (or run `gatehouse keys rotate`)');
      } else {
        io.out(renderKeyTable(keys));
        if (action === 'rotate') io.out(`\nrotated ${(algs ?? configured).join(', ')} in ${ms} ms; running servers pick this up within ${ctx.config.keys.refreshInterval} s (keys.refreshInterval)`);
      }
      return 0;
    } finally {
      await ctx.close();
    }
  },
};
