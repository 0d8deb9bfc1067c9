import type { FastifyInstance } from 'fastify';
import type { AuditRecordView, DeviceCodeView, ListResult } from '../../app/index.ts';
import { EVENT_CATALOGUE } from '../../core/event-catalogue.ts';
import type { EventName } from '../../core/events.ts';
import type { AppContext } from '../context.ts';
import { html } from '../pages/html.ts';
import { type ConsoleCtx, date, type Guard, PAGE_SIZE, pager, queryOf, searchForm, sortHeader, sortOf, TD, TH } from './console-kit.ts';
import { BTN_SECONDARY, CARD, INPUT, LABEL, notice } from './console-layout.ts';
import { table } from './console-people.ts';
import { redactConfig } from '../../config/redact.ts';

/** How many recent events the Events page keeps (this process, in memory). */
export const RECENT_EVENTS = 100;

/** `datetime-local` (UTC, as the page says) → epoch ms, or undefined. */
function epochMs(v: string | undefined): number | undefined {
  if (!v || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return undefined;
  const t = Date.parse(`${v}:00Z`);
  return Number.isFinite(t) ? t : undefined;
}

/** One line of the Events page: the payload as JSON, cut at 300 characters. */
export interface RecentEvent {
  readonly name: string;
  readonly at: number;
  readonly payload: string;
}

/**
 * The last `size` events of this process, for the Events page. Every token request publishes
 * events, so recording one is a slot write in a ring (no array shift, no JSON): the payload is
 * serialised only when the page is rendered. Event payloads are plain data, never changed after
 * publish, so the page shows what was published.
 */
export function createRecentEvents(size: number): { record(name: string, payload: unknown): void; list(): RecentEvent[] } {
  const ring: { name: string; at: number; payload: unknown }[] = [];
  let written = 0;
  return {
    record(name, payload) {
      ring[written++ % size] = { name, at: Date.now(), payload };
    },
    list() {
      const out: RecentEvent[] = [];
      for (let i = written - 1; i >= 0 && i >= written - size; i--) {
        const e = ring[i % size]!;
        out.push({ name: e.name, at: e.at, payload: JSON.stringify(e.payload).slice(0, 300) });
      }
      return out;
    },
  };
}

/** Audit log (filters, chain verification), Events (recent, sink health), Settings (redacted). */
export function registerRecordPages(app: FastifyInstance, ctx: AppContext, guarded: Guard): void {
  const base = ctx.config.issuer.replace(/\/+$/, '');
  const run = (name: string, c: ConsoleCtx, input: unknown) => ctx.application.run(name, c.actor, input);

  // ---- Audit log ---------------------------------------------------------------------------
  app.get(
    '/admin/audit',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => {
      const q = queryOf(request);
      const f = { actor: q['actor'] ?? '', action: q['action'] ?? '', object: q['object'] ?? '', since: q['since'] ?? '', until: q['until'] ?? '' };
      const since = epochMs(f.since);
      const until = epochMs(f.until);
      const page = (await run('audit.list', c, {
        limit: PAGE_SIZE,
        ...(f.actor ? { actor: f.actor } : {}),
        ...(f.action ? { action: f.action } : {}),
        ...(f.object ? { object: f.object } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(q['cursor'] ? { cursor: q['cursor'] } : {}),
      })) as ListResult<AuditRecordView>;
      // The whole chain is walked only when asked (it reads every record).
      const verified = q['verify'] === '1' ? ((await run('audit.verify', c, {})) as { ok: boolean; records: number; seq?: number; problem?: string }) : null;
      const path = `${base}/admin/audit`;
      const kept = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ''));
      const input = (name: keyof typeof f, label: string, type = 'text') =>
        html`<div><label for="audit-${name}" class="${LABEL}">${label}</label><input id="audit-${name}" name="${name}" type="${type}" value="${f[name]}" class="${INPUT}"></div>`;
      const rows = page.items.map(
        (r) =>
          html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD}">${r.seq}</td><td class="${TD}">${r.time.replace('T', ' ').slice(0, 19)}</td><td class="${TD}">${r.actor.kind} <span class="font-mono">${r.actor.id}</span></td><td class="${TD}">${r.action}</td><td class="${TD} font-mono">${r.object.type}${r.object.id ? ` ${r.object.id}` : ''}</td><td class="${TD}">${r.outcome}${r.error_code ? ` (${r.error_code})` : ''}</td></tr>`,
      );
      const next = page.next_cursor ? `${path}?${new URLSearchParams({ ...kept, cursor: page.next_cursor }).toString()}` : null;
      return c.page(
        reply,
        'Audit log',
        '/admin/audit',
        html`${
          verified
            ? notice(
                verified.ok
                  ? `Chain verified: ${verified.records} records, every hash links to the one before.`
                  : `Chain broken at record ${verified.seq}: ${verified.problem}`,
                verified.ok ? 'ok' : 'error',
              )
            : ''
        }
<form method="get" action="${path}" role="search" class="mb-4 flex flex-wrap items-end gap-3">
${input('actor', 'Actor id')}${input('action', 'Action (e.g. clients.create)')}${input('object', 'Object id')}${input('since', 'From (UTC)', 'datetime-local')}${input('until', 'Until (UTC)', 'datetime-local')}
<button type="submit" class="${BTN_SECONDARY}">Filter</button>
<a class="${BTN_SECONDARY}" id="verify-chain" href="${path}?${new URLSearchParams({ ...kept, verify: '1' }).toString()}">Verify the chain</a>
</form>
${table(['Seq', 'Time (UTC)', 'Actor', 'Action', 'Object', 'Outcome'], rows, 'No audit records match.')}
${next ? html`<p class="mt-4"><a id="next-page" class="${BTN_SECONDARY}" href="${next}">Older records</a></p>` : ''}`,
      );
    }),
  );

  // ---- Events ------------------------------------------------------------------------------
  const recent = createRecentEvents(RECENT_EVENTS);
  for (const name of Object.keys(EVENT_CATALOGUE) as EventName[]) ctx.events.on(name, (payload) => recent.record(name, payload));
  app.get(
    '/admin/events',
    { schema: { hide: true } },
    guarded(async (_request, reply, c) => {
      const sinks = ctx.metrics ? await sinkHealth(ctx.metrics.registry) : [];
      const rows = recent
        .list()
        .map(
          (e) =>
            html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD}">${new Date(e.at).toISOString().slice(11, 19)}</td><td class="${TD}">${e.name}</td><td class="${TD} font-mono text-xs break-all">${e.payload}</td></tr>`,
        );
      const sinkRows = sinks.map(
        (s) =>
          html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD} font-mono">${s.sink}</td><td class="${TD}">${s.pending}</td><td class="${TD}">${s.delivered}</td><td class="${TD}">${s.failures}</td><td class="${TD}">${s.dead}</td></tr>`,
      );
      return c.page(
        reply,
        'Events',
        '/admin/events',
        html`<h2 class="text-base font-semibold">Sinks <span class="text-sm font-normal">(from the gatehouse_outbox_* and gatehouse_events_* metrics of this instance)</span></h2>
<div class="mt-2">${table(['Sink', 'Pending', 'Delivered', 'Failures', 'Dead-lettered'], sinkRows, 'No event sinks are configured (events.urls).')}</div>
<h2 class="mt-6 text-base font-semibold">Recent events <span class="text-sm font-normal">(the last ${RECENT_EVENTS} on this instance since it started)</span></h2>
<div class="mt-2">${table(['Time (UTC)', 'Event', 'Payload'], rows, 'No events yet.')}</div>`,
      );
    }),
  );

  // ---- Device codes ------------------------------------------------------------------------
  app.get(
    '/admin/device-codes',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => {
      const q = queryOf(request);
      const s = sortOf(q, ['issued_at'], '-issued_at');
      const search = (q['q'] ?? '').slice(0, 200);
      const page = (await run('device_codes.list', c, {
        limit: PAGE_SIZE,
        sort: s.sort,
        order: s.order,
        ...(search ? { q: search } : {}),
        ...(q['cursor'] ? { cursor: q['cursor'] } : {}),
      })) as ListResult<DeviceCodeView>;
      const path = `${base}/admin/device-codes`;
      const rows = page.items.map(
        (d) =>
          html`<tr class="border-b border-slate-200 dark:border-slate-800" data-device="${d.id}"><td class="${TD} font-mono">${d.id}</td><td class="${TD} font-mono">${d.client_id}</td><td class="${TD}">${d.scope}</td><td class="${TD}">${date(d.issued_at)}</td><td class="${TD}">${date(d.expires_at)}</td><td class="${TD}">${d.last_polled_at === null ? 'never' : date(d.last_polled_at)}</td></tr>`,
      );
      return c.page(
        reply,
        'Device codes',
        '/admin/device-codes',
        html`<p class="mb-4 text-sm">Device authorization requests (RFC 8628) waiting for someone to enter their code at /device: not yet approved, denied or expired. Codes themselves are never stored, only their hashes.</p>
${searchForm(path, search, s.raw, 'Client ID starts with')}
<div class="overflow-x-auto"><table class="w-full border-collapse ${CARD} p-0"><caption class="sr-only">Pending device codes</caption>
<thead><tr class="border-b border-slate-300 dark:border-slate-700"><th scope="col" class="${TH}">Request</th><th scope="col" class="${TH}">Client</th><th scope="col" class="${TH}">Scope</th>${sortHeader(path, 'Requested', 'issued_at', s, search)}<th scope="col" class="${TH}">Expires</th><th scope="col" class="${TH}">Last poll</th></tr></thead>
<tbody>${rows}</tbody></table></div>
${page.items.length === 0 ? html`<p class="mt-4">No pending requests.</p>` : ''}
${pager(path, search, s.raw, page.next_cursor, q['cursor'] !== undefined)}`,
      );
    }),
  );

  // ---- Settings ----------------------------------------------------------------------------
  app.get(
    '/admin/settings',
    { schema: { hide: true } },
    guarded(async (_request, reply, c) =>
      c.page(
        reply,
        'Settings',
        '/admin/settings',
        html`<p class="mb-4 text-sm">The effective configuration of this instance (defaults included). Secrets, passwords, keys and URL credentials are shown as <code>[redacted]</code>.</p>
<pre id="settings" class="${CARD} overflow-x-auto font-mono text-xs">${JSON.stringify(redactConfig(ctx.config), null, 2)}</pre>`,
      ),
    ),
  );
}

interface SinkHealth {
  readonly sink: string;
  readonly pending: number;
  readonly delivered: number;
  readonly failures: number;
  readonly dead: number;
}

async function sinkHealth(registry: import('prom-client').Registry): Promise<SinkHealth[]> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as { name: string; values: { value: number; labels: Record<string, string | number> }[] }[];
  const bySink = new Map<string, { pending: number; delivered: number; failures: number; dead: number }>();
  const add = (name: string, field: 'pending' | 'delivered' | 'failures' | 'dead') => {
    for (const v of metrics.find((m) => m.name === name)?.values ?? []) {
      const sink = String(v.labels['sink'] ?? '');
      if (!sink) continue;
      const row = bySink.get(sink) ?? { pending: 0, delivered: 0, failures: 0, dead: 0 };
      row[field] += v.value;
      bySink.set(sink, row);
    }
  };
  add('gatehouse_outbox_pending', 'pending');
  add('gatehouse_events_delivered_total', 'delivered');
  add('gatehouse_events_delivery_failures_total', 'failures');
  add('gatehouse_events_dead_lettered_total', 'dead');
  return [...bySink].map(([sink, r]) => ({ sink, ...r }));
}
