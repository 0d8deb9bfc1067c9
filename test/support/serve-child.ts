import { spawn, type ChildProcess } from 'node:child_process';

const CLI = new URL('../../src/cli/main.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

export interface ServeChild {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  out(): string;
  readonly exited: Promise<unknown>;
}

/**
 * `gatehouse serve --config gatehouse.json` from source (tsx) as a separate process in `dir` on
 * 127.0.0.1:`port`, with only PATH inherited: for tests that kill the process (SIGKILL) and restart it.
 */
export function serveChild(dir: string, port: number): ServeChild {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(['serve', '--config', 'gatehouse.json']);`,
    ],
    {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), GATEHOUSE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, exited: new Promise((r) => child.on('exit', r)) };
}
