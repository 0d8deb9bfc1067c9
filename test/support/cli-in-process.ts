import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';

export interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * `gatehouse …args` through the CLI's entry point in this process: the same `main`, argument
 * parsing and commands as the binary, with `stdin` as standard input and `env` as the whole
 * environment. Output is collected the way the binary writes it (one line per call).
 */
export async function runCliInProcess(args: readonly string[], opts: { stdin?: string; env: Record<string, string> }): Promise<CliRun> {
  let out = '';
  let err = '';
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: CliIo = {
    out: (t) => void (out += line(t)),
    err: (t) => void (err += line(t)),
    readStdin: async () => opts.stdin ?? '',
    env: opts.env,
  };
  const code = await main(args, io);
  return { code, out, err };
}
