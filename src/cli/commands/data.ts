import { readFile, writeFile } from 'node:fs/promises';
import { GatehouseError } from '../../core/errors.ts';
import { openCliContext, parseCli } from '../context.ts';
import type { CliCommand } from '../types.ts';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Export clients, users and settings as one JSON document (secrets only as stored hashes)',
  usage: [
    'Usage: gatehouse export [--out FILE] [--config FILE]',
    '',
    'Writes the export document (format gatehouse.export, version 1) to FILE (mode 0600) or standard',
    'output: every client with its stored secret hash (client_secret_jwt: its value sealed under the',
    'KEK), every user with its argon2id password hash, and the effective settings with secrets',
    'redacted (informational: an import never applies them). Signing keys are not exported. The',
    'document holds password hashes: keep it like a database backup. Needs the admin role; audited.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, { out: { type: 'string' } });
    if (positionals.length) throw new GatehouseError('GH_CLI_USAGE', 'gatehouse export takes no arguments (see gatehouse export --help)');
    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      const doc = await app.data.export(actor, {});
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (typeof values.out === 'string') {
        await writeFile(values.out, text, { mode: 0o600 });
        io.err(`exported ${doc.clients.length} clients and ${doc.users.length} users to ${values.out}`);
      } else io.out(text.trimEnd());
      return 0;
    } finally {
      await close();
    }
  },
};

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'Import an export document (validated whole first; create-only or --upsert)',
  usage: [
    'Usage: gatehouse import FILE [--upsert] [--config FILE] [--json]',
    '',
    'Reads an export document (`gatehouse export`, GET /admin/api/v1/export; FILE `-` is standard',
    'input) and validates all of it before writing anything: any problem is reported and nothing is',
    'written. Without --upsert a client or user id that exists is a problem; with --upsert it is',
    'replaced. Secrets keep working: the stored hashes are imported as they are. Settings in the',
    'document are ignored (configuration comes from files and the environment). Needs the admin role.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, { upsert: { type: 'boolean' } });
    if (positionals.length !== 1) throw new GatehouseError('GH_CLI_USAGE', 'expected `gatehouse import FILE` (see gatehouse import --help)');
    const file = positionals[0]!;
    let document: unknown;
    try {
      const text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
      document = JSON.parse(text);
    } catch (e) {
      throw new GatehouseError('GH_INVALID_INPUT', `${file}: not a readable JSON document (${e instanceof Error ? e.message : String(e)})`);
    }
    const { application: app, actor, close } = await openCliContext(values.config, io);
    try {
      const r = await app.data.import(actor, { mode: values.upsert ? 'upsert' : 'create', document: document as never });
      if (values.json) io.out(JSON.stringify(r));
      else
        io.out(
          `imported (${r.mode}): clients ${r.clients.created} created, ${r.clients.updated} replaced; users ${r.users.created} created, ${r.users.updated} replaced; settings ignored`,
        );
      return 0;
    } finally {
      await close();
    }
  },
};
