import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import type { CliCommand } from '../types.ts';

export const kekCommand: CliCommand = {
  name: 'kek',
  summary: 'Rotate the key-encryption key: re-seal every signing key under GATEHOUSE_KEK',
  usage: [
    'Usage: gatehouse kek rotate [--config FILE] [--json]',
    '',
    'rotate  re-seals every stored private signing key under the current KEK (GATEHOUSE_KEK);',
    '        keys sealed under an earlier KEK are opened with GATEHOUSE_KEK_PREVIOUS. One',
    '        compare-and-set per key: safe while servers run (give them both KEKs first), and',
    '        idempotent (run it again after an interruption). Reports counts; exit 1 names any key',
    '        no configured KEK opens. Needs the admin role. Procedure: docs/operations.md.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, {});
    if (positionals.length !== 1 || positionals[0] !== 'rotate') throw new GatehouseError('GH_CLI_USAGE', 'expected `kek rotate` (see gatehouse kek --help)');
    const { application: app, actor, config, close } = await openCliContext(values.config, io);
    try {
      const started = performance.now();
      const r = await app.kek.rotate(actor, {});
      const ms = Math.round(performance.now() - started);
      if (values.json) io.out(JSON.stringify({ ...r, ms }));
      else {
        io.out(`re-sealed ${r.resealed} of ${r.keys} signing keys under KEK ${r.kek_id} (${r.already_current} already were) in ${ms} ms`);
        if (config.kekPrevious.length)
          io.out('every key is sealed under GATEHOUSE_KEK now: remove GATEHOUSE_KEK_PREVIOUS from every instance (docs/operations.md)');
      }
      return 0;
    } finally {
      await close();
    }
  },
};
