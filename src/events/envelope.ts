import { EVENT_CATALOGUE, eventType, type EventSpec } from '../core/event-catalogue.ts';
import type { EventMap, EventName } from '../core/events.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import type { CloudEvent } from './sink.ts';
import { uuidv7 } from './uuid7.ts';

/**
 * The CloudEvents 1.0 structured-mode JSON envelope of one catalogue event (docs/events.md).
 * - `id`: a UUID v7 (time-ordered, unique); it is the outbox key, the Standard Webhooks
 *   `webhook-id` and stays the same on every redelivery.
 * - `source`: the issuer URL; `type`: `gatehouse.<name>`; `time`: when it was published (RFC 3339).
 * - `subject`: the payload field the catalogue names (a client_id, user id, kid, …) when set.
 * - `tenantid` (extension attribute, CloudEvents §3.1.1: lower-case letters and digits only).
 * - `data`: the payload without the fields the catalogue marks private.
 */
export function buildEnvelope<K extends EventName>(source: string, name: K, payload: EventMap[K], nowMs: number): CloudEvent<Record<string, unknown>> {
  const spec = EVENT_CATALOGUE[name] as EventSpec<K>;
  const p = payload as Record<string, unknown>;
  let data = p;
  if (spec.private) {
    data = { ...p };
    for (const f of spec.private) delete data[f];
  }
  const subject = spec.subject !== undefined ? p[spec.subject] : undefined;
  const tenant = typeof p.tenantId === 'string' ? p.tenantId : DEFAULT_TENANT;
  return {
    specversion: '1.0',
    id: uuidv7(nowMs),
    source,
    type: eventType(name),
    time: new Date(nowMs).toISOString(),
    datacontenttype: 'application/json',
    ...(typeof subject === 'string' && subject !== '' ? { subject } : {}),
    tenantid: tenant,
    data,
  };
}
