import { loadConfig } from '../../config/load.ts';
import { openStorage } from '../../compose.ts';
import { parseCli } from '../context.ts';
import type { CliCommand } from '../types.ts';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply pending database migrations (forward-only, idempotent)',
  usage: [
    'Usage: gatehouse migrate [--config FILE] [--json]',
    '',
    'Applies every pending migration to the store named by database.url (GATEHOUSE_DATABASE_URL).',
    'Safe to run while other instances start: the migrator takes a lock.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseCli(args, {});
    const config = await loadConfig({ file: values.config, env: io.env, warn: io.err });
    const started = performance.now();
    const storage = await openStorage(config, { poolSize: 1 });
    try {
      const { applied } = await storage.migrate();
      const ms = Math.round(performance.now() - started);
      if (values.json) io.out(JSON.stringify({ applied, ms }));
      else
        io.out(
          applied.length
            ? `applied ${applied.length} migration(s) in ${ms} ms:\n${applied.map((a) => `  ${a}`).join('\n')}`
            : `database is up to date (${ms} ms)`,
        );
      return 0;
    } finally {
      await storage.close();
    }
  },
};
