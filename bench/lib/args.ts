import { parseArgs } from 'node:util';

export interface BenchArgs {
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly rounds: number;
  readonly connections: number;
  readonly starts: number;
  readonly quick: boolean;
  readonly targets: readonly string[] | null;
  readonly scenarios: readonly string[] | null;
  readonly build: boolean;
  readonly profile: boolean;
  readonly verbose: boolean;
  /** Where results go; null = bench/results (full runs) or a temp dir (quick runs). */
  readonly out: string | null;
  /** Write latest.md/latest.svg and the README section. */
  readonly publish: boolean;
  readonly maxMinutes: number;
  /** Wait up to this many minutes for the machine to be quiet before measuring (0 = don't). */
  readonly waitQuiet: number;
  /** Re-render the report of an existing results file instead of measuring. */
  readonly render: string | null;
}

export const USAGE = `Usage: npm run bench -- [options]

  --duration S      seconds per measured cell (default 10; --quick: 2)
  --warmup S        seconds of warm-up per cell before round 1 (default 3; --quick: 1)
  --rounds N        interleaved rounds, the median is reported (default 3; --quick: 1)
  --connections N   autocannon connections (default 50)
  --starts N        fresh starts for start-to-ready and idle RSS (default 3; --quick: 1)
  --targets LIST    comma-separated: gatehouse,gatehouse-pg,gatehouse-mariadb,gatehouse-pg-redis,gatehouse-pg-workers,
                    gatehouse-pg-2x,oidc-provider,oauth2-server,hello (the last three of Gatehouse: PostgreSQL + Redis
                    as 1 process, --workers 2, 2 instances behind a round-robin proxy; docs/scaling.md)
  --scenarios LIST  comma-separated: cc-jwt,cc-opaque,cc-dpop,token-exchange,introspect-opaque,jwks,auth-code,auth-code-session,refresh,signin-under-load,hello
  --quick           CI smoke: 1 round, 2 s cells; results go to a temp dir, nothing published
  --out DIR         results directory (default bench/results)
  --publish / --no-publish   write latest.md, latest.svg and the README section (default: not with --quick)
  --no-build        do not rebuild dist/ before starting Gatehouse
  --profile         run the Gatehouse server with --cpu-prof and print where its time goes
  --max-minutes M   stop scheduling new rounds after M minutes (default 30)
  --wait-quiet M    first wait up to M minutes for the 1-minute load average to drop below 1 (default 0)
  --verbose         echo server stderr
  --render FILE     rebuild latest.md, latest.svg and the README section from a results JSON`;

function num(v: string | undefined, name: string, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return n;
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;

export function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowNegative: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      starts: { type: 'string' },
      targets: { type: 'string' },
      scenarios: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      publish: { type: 'boolean' },
      build: { type: 'boolean', default: true },
      profile: { type: 'boolean', default: false },
      'max-minutes': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'wait-quiet': { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  return {
    quick,
    durationSec: num(values.duration, 'duration', quick ? 2 : 10, 1),
    warmupSec: num(values.warmup, 'warmup', quick ? 1 : 3, 0),
    rounds: Math.floor(num(values.rounds, 'rounds', quick ? 1 : 3, 1)),
    connections: Math.floor(num(values.connections, 'connections', 50, 1)),
    starts: Math.floor(num(values.starts, 'starts', quick ? 1 : 3, 0)),
    targets: list(values.targets),
    scenarios: list(values.scenarios),
    build: values.build ?? true,
    profile: values.profile ?? false,
    verbose: values.verbose ?? false,
    out: values.out ?? null,
    publish: values.publish ?? !quick,
    maxMinutes: num(values['max-minutes'], 'max-minutes', 30, 1),
    waitQuiet: num(values['wait-quiet'], 'wait-quiet', 0, 0),
    render: values.render ?? null,
  };
}
