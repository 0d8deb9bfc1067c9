import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * Human-readable development logs (#14 item 6) without a runtime dependency: pino still writes
 * JSON, and this destination turns each line into one readable line (coloured on a terminal).
 * Production keeps JSON (`log.format`).
 */
const LEVELS: Record<number, readonly [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'reqId', 'req', 'res', 'responseTime', 'err', 'trace_id', 'span_id']);

function statusColour(status: number): string {
  return status >= 500 ? '\x1b[31m' : status >= 400 ? '\x1b[33m' : status >= 300 ? '\x1b[36m' : '\x1b[32m';
}

function value(v: unknown): string {
  return typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
}

/** One pino JSON record as one line: `12:00:01.234 INFO  POST /token 200 3.1 ms  reqId=… trace_id=…`. */
export function formatLogLine(line: string, colour: boolean): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const paint = (code: string, s: string) => (colour ? `${code}${s}${RESET}` : s);
  const [name, code] = LEVELS[r['level'] as number] ?? ['LOG  ', ''];
  const time = new Date(typeof r['time'] === 'number' ? r['time'] : Date.now()).toISOString().slice(11, 23);
  const parts = [paint(DIM, time), paint(code, name)];
  const req = r['req'] as { method?: string; url?: string } | undefined;
  const res = r['res'] as { statusCode?: number } | undefined;
  if (req?.method && res?.statusCode !== undefined) {
    parts.push(`${req.method} ${req.url ?? ''}`, paint(statusColour(res.statusCode), String(res.statusCode)));
    if (typeof r['responseTime'] === 'number') parts.push(`${r['responseTime'].toFixed(1)} ms`);
  } else if (typeof r['msg'] === 'string') parts.push(r['msg']);
  const extras: string[] = [];
  for (const [k, v] of Object.entries(r)) if (!OMIT.has(k) && v !== undefined) extras.push(`${k}=${value(v)}`);
  for (const k of ['reqId', 'trace_id']) if (r[k] !== undefined) extras.push(`${k}=${value(r[k])}`);
  if (extras.length) parts.push(paint(DIM, extras.join(' ')));
  const err = r['err'] as { type?: string; message?: string; stack?: string } | undefined;
  const tail = err ? `\n${paint(code, err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`)}` : '';
  return `${parts.join(' ')}${tail}\n`;
}

/** A pino destination writing readable lines to `out`. */
export function prettyDestination(out: { write(s: string): unknown }, colour: boolean): { write(line: string): void } {
  return {
    write(line) {
      out.write(formatLogLine(line, colour));
    },
  };
}

/** Request logging as one line per request (on completion) instead of Fastify's two. */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}
  /** The request's own line already says 404. */
  override routeNotFound(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** `log.format: auto` is `pretty` in development on a terminal, else `json`. */
export function resolveLogFormat(format: 'auto' | 'json' | 'pretty', env: 'development' | 'production', tty: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return env === 'development' && tty ? 'pretty' : 'json';
}
