/**
 * NATS JetStream event sink (#9): `nats://[user:pass@|token@]host:port?subject=PREFIX`; TLS as
 * `tls://host:port?subject=PREFIX` or `nats://host:port?subject=PREFIX&tls=true` (both require
 * TLS and verify the server certificate; a plain `nats://` URL still upgrades when the server
 * offers TLS). Each event is a JetStream publish to `PREFIX.<type>`, e.g.
 * `events.gatehouse.token.issued`, with header `Nats-Msg-Id` = event id (the stream's duplicate
 * window drops a resend) and `Content-Type: application/cloudevents+json` (CloudEvents NATS
 * binding, structured mode); an event counts as delivered only on its PubAck.
 *
 * The operator provides the stream. Without one capturing the subject the server has no
 * responder and the publish fails with a reason saying so; not permanent, so the outbox keeps
 * the events until the stream exists (docs/events.md).
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { GatehouseError } from '../../core/errors.ts';
import type { CloudEvent, EventSink, SinkResult } from '../sink.ts';
import { failAll, reasonOf, type SinkOptions, secretsOf, sinkName, timeoutOf, warnOnce, within } from './options.ts';

interface Client {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** False between a 'disconnect' and the next 'reconnect' status. */
  up: boolean;
  readonly waiters: (() => void)[];
}

interface NatsSinkConfig {
  readonly server: string;
  readonly prefix: string;
  readonly tls: boolean;
  readonly auth: { readonly user: string; readonly pass: string } | { readonly token: string } | null;
}

// A subject token: no whitespace, no wildcards; tokens are separated by single dots.
const SUBJECT = /^[^\s.*>]+(\.[^\s.*>]+)*$/;
// JetStream API errors a resend cannot fix: the message is larger than the stream accepts.
const PERMANENT_API_CODES = new Set([10054]);

/** Reads the sink URL; throws GH_CONFIG_INVALID (without credentials) when it is unusable. */
export function parseNatsSinkUrl(url: URL): NatsSinkConfig {
  const bad = (why: string) => new GatehouseError('GH_CONFIG_INVALID', `GATEHOUSE_EVENTS: NATS JetStream sink ${sinkName(url)}: ${why}`);
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') throw bad('the scheme must be nats: or tls:');
  if (!url.hostname) throw bad('a host is required');
  const prefix = url.searchParams.get('subject');
  if (!prefix || !SUBJECT.test(prefix))
    throw bad('the subject query parameter is required: dot-separated tokens without spaces or wildcards (?subject=PREFIX)');
  const tlsParam = url.searchParams.get('tls');
  if (tlsParam !== null && tlsParam !== 'true' && tlsParam !== 'false') throw bad('tls must be true or false');
  if (url.protocol === 'tls:' && tlsParam === 'false') throw bad('tls=false contradicts the tls: scheme');
  const user = url.username ? decodeURIComponent(url.username) : '';
  const pass = url.password ? decodeURIComponent(url.password) : '';
  return {
    server: `${url.hostname}:${url.port || 4222}`,
    prefix,
    tls: url.protocol === 'tls:' || tlsParam === 'true',
    auth: user && pass ? { user, pass } : user ? { token: user } : null,
  };
}

/** The subject an event is published on: PREFIX + '.' + its full type (`gatehouse.` included). */
export function subjectOf(prefix: string, event: CloudEvent): string {
  return `${prefix}.${event.type}`;
}

export function create(url: URL, options: SinkOptions = {}): EventSink {
  const cfg = parseNatsSinkUrl(url);
  const name = sinkName(url);
  const timeout = timeoutOf(options);
  const secrets = secretsOf(url);
  const log = warnOnce(options, name);
  let client: Client | null = null;
  let opening: Promise<Client> | null = null;
  let closed = false;

  async function open(): Promise<Client> {
    const [{ connect }, { jetstream }] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]);
    const nc = await connect({
      servers: [cfg.server],
      name: 'gatehouse-events',
      timeout,
      // Once connected, the client reconnects for ever; publishes during the gap time out.
      maxReconnectAttempts: -1,
      reconnectTimeWait: Math.min(1000, Math.max(50, Math.floor(timeout / 2))),
      ...(cfg.tls ? { tls: {} } : {}),
      ...(cfg.auth ?? {}),
    });
    if (closed) {
      await nc.close();
      throw new Error('sink closed');
    }
    const current: Client = { nc, js: jetstream(nc, { timeout }), up: true, waiters: [] };
    nc.closed().then(() => {
      if (client === current) client = null;
    });
    (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          current.up = false;
          log.warn(`disconnected from ${s.server}`, 'event sink: NATS connection lost');
        } else if (s.type === 'reconnect') {
          current.up = true;
          for (const w of current.waiters.splice(0)) w();
          log.reset();
        } else if (s.type === 'error') log.warn(reasonOf(s.error, secrets), 'event sink: NATS error');
      }
    })().catch(() => {});
    client = current;
    log.reset();
    return current;
  }

  async function ready(): Promise<Client> {
    if (!client) {
      opening ??= within(open(), timeout + 500, `NATS not reachable within ${timeout} ms`).finally(() => {
        opening = null;
      });
      return opening;
    }
    const c = client;
    // While the client reconnects, a publish sits in its buffer, and (seen with
    // @nats-io/transport-node 3.4) its PubAck never comes even when the reconnect happens well
    // within the timeout: wait for the reconnect instead, then publish afresh; an outage fails
    // the batch after the timeout, and no stale buffered copy goes out after the relay gave up.
    if (!c.up) {
      let waiter!: () => void;
      const back = new Promise<void>((resolve) => {
        waiter = resolve;
        c.waiters.push(resolve);
      });
      // A send that gave up leaves no waiter behind, however long the outage lasts.
      await within(back, timeout, `NATS not reconnected within ${timeout} ms`).finally(() => {
        const at = c.waiters.indexOf(waiter);
        if (at >= 0) c.waiters.splice(at, 1);
      });
    }
    return c;
  }

  function failure(e: unknown, subject: string): { reason: string; permanent?: boolean } {
    const err = e as { name?: string; code?: unknown; message?: string };
    if (err?.name === 'JetStreamNotEnabled') {
      return { reason: `no JetStream stream captures subject ${subject} (the operator creates one, see docs/events.md), or JetStream is disabled` };
    }
    if (err?.name === 'JetStreamApiError' && typeof err.code === 'number' && PERMANENT_API_CODES.has(err.code)) {
      return { reason: reasonOf(e, secrets), permanent: true };
    }
    if (/max_payload/.test(err?.message ?? '')) return { reason: reasonOf(e, secrets), permanent: true };
    if (err?.name === 'TimeoutError') return { reason: `no PubAck from JetStream within ${timeout} ms` };
    return { reason: reasonOf(e, secrets) };
  }

  async function send(batch: readonly CloudEvent[]): Promise<SinkResult> {
    if (closed) return failAll(batch, 'sink closed');
    if (batch.length === 0) return { delivered: [], failed: [] };
    let js: JetStreamClient;
    let headers: typeof import('@nats-io/transport-node').headers;
    try {
      ({ js } = await ready());
      ({ headers } = await import('@nats-io/transport-node'));
    } catch (e) {
      const reason = reasonOf(e, secrets);
      log.warn(reason, 'event sink: NATS unreachable');
      return failAll(batch, reason);
    }
    // All publishes go out at once on the one connection, so the server stores them in batch
    // order; each PubAck (or error) then decides that event alone.
    const outcomes = await Promise.allSettled(
      batch.map((event) => {
        const subject = subjectOf(cfg.prefix, event);
        if (!SUBJECT.test(subject))
          return Promise.reject(Object.assign(new Error(`event type ${event.type} is not a valid NATS subject`), { permanent: true }));
        const h = headers();
        h.set('Content-Type', 'application/cloudevents+json');
        return js.publish(subject, JSON.stringify(event), { msgID: event.id, timeout, headers: h });
      }),
    );
    const delivered: string[] = [];
    const failed: { id: string; reason: string; permanent?: boolean }[] = [];
    outcomes.forEach((o, i) => {
      const event = batch[i] as CloudEvent;
      // A PubAck marked duplicate means the stream already holds this id: delivered.
      if (o.status === 'fulfilled') delivered.push(event.id);
      else if ((o.reason as { permanent?: boolean }).permanent) failed.push({ id: event.id, reason: reasonOf(o.reason, secrets), permanent: true });
      else failed.push({ id: event.id, ...failure(o.reason, subjectOf(cfg.prefix, event)) });
    });
    if (failed[0]) log.warn(failed[0].reason, 'event sink: JetStream did not acknowledge events');
    return { delivered, failed };
  }

  return {
    name,
    send,
    async ping() {
      const { nc } = await ready();
      await within(nc.flush(), timeout, `no PONG from NATS within ${timeout} ms`);
    },
    async close() {
      closed = true;
      const c = client;
      client = null;
      if (c) await within(c.nc.close(), timeout, 'close timed out').catch(() => {});
    },
  };
}
