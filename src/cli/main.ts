import { GatehouseError } from '../core/errors.ts';
import { GATEHOUSE_VERSION } from '../metrics/build-info.ts';
import { commands } from './commands/index.ts';
import type { CliIo } from './types.ts';

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --config FILE (JSON or YAML); GATEHOUSE_* variables override it.',
    'Run `gatehouse <command> --help` for details; `gatehouse --version` prints the version.',
  ].join('\n');
}

/** CLI entry point; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(GATEHOUSE_VERSION);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`gatehouse: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof GatehouseError) {
      io.err(`gatehouse ${name}: ${e.message} [${e.code}]`);
      return e.code === 'GH_CLI_USAGE' ? 2 : 1;
    }
    io.err(`gatehouse ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
