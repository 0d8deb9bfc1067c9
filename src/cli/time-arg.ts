import { GatehouseError } from '../core/errors.ts';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d{1,9})(s|m|h|d|w)$/;
// A date, optionally with a time and a zone: 2026-12-01, 2026-12-01T10:00Z, 2026-12-01T10:00:00.5+01:00.
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A point in time given on the command line, as epoch milliseconds: ISO 8601 (a date alone is
 * midnight UTC; a time without a zone is UTC) or a duration before `now` (`90s`, `15m`, `1h`,
 * `7d`, `2w`). Anything else is a usage error (exit 2) naming the flag.
 */
export function parseTimeArg(flag: string, text: string, nowMs: number): number {
  const d = DURATION.exec(text);
  if (d) return nowMs - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS];
  if (ISO.test(text)) {
    const zoned = /T/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text}Z` : text;
    const ms = Date.parse(zoned);
    if (Number.isFinite(ms)) return ms;
  }
  throw new GatehouseError(
    'GH_CLI_USAGE',
    `--${flag} takes an ISO 8601 time (2026-12-01, 2026-12-01T10:00:00Z) or a duration before now (15m, 1h, 7d); got ${JSON.stringify(text.slice(0, 40))}`,
  );
}

/** `SEQ:HASH` as printed by `gatehouse audit head` and published in the `audit.head_published` event. */
export function parseHeadArg(text: string): { seq: number; hash: string } {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text);
  if (!m) throw new GatehouseError('GH_CLI_USAGE', '--head takes SEQ:HASH as printed by `gatehouse audit head` (a number, a colon, 64 lowercase hex digits)');
  return { seq: Number(m[1]), hash: m[2]! };
}
