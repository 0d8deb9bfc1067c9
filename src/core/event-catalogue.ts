import type { EventMap, EventName } from './events.ts';

/**
 * How each event of `EventMap` leaves the process as a CloudEvent (docs/events.md):
 * `subject` names the payload field that becomes the envelope's `subject` (the object the event is
 * about), `private` the fields stripped from `data` (they reach logs, never a sink). The
 * `satisfies` clause makes this list and `EventMap` agree: a missing or an extra event, or a
 * field that is not in the payload, is a compile error.
 */
export interface EventSpec<K extends EventName> {
  readonly subject?: keyof EventMap[K] & string;
  readonly private?: readonly (keyof EventMap[K] & string)[];
}

export const EVENT_CATALOGUE = {
  'token.issued': { subject: 'clientId' },
  'token.exchanged': { subject: 'clientId' },
  'token.revoked': { subject: 'clientId' },
  'grant.revoked': { subject: 'grantId' },
  'tokens.revoked_for_user': { subject: 'userId' },
  'tokens.revoked_for_client': { subject: 'clientId' },
  'refresh_token.rotated': { subject: 'clientId' },
  'token.introspected': { subject: 'clientId' },
  'client_auth.failed': { subject: 'clientId' },
  'client.created': { subject: 'clientId' },
  'client.updated': { subject: 'clientId' },
  'client.deleted': { subject: 'clientId' },
  'key.created': { subject: 'kid' },
  'key.rotated': { subject: 'activeKid' },
  'device_code.issued': { subject: 'clientId' },
  'device_code.decided': { subject: 'clientId' },
  'authorization_request.pushed': { subject: 'clientId' },
  'authorization.granted': { subject: 'clientId' },
  // The private detail says why a request was refused in terms meant for operators (which check,
  // which value): logs only.
  'authorization.denied': { subject: 'clientId', private: ['detail'] },
  'consent.granted': { subject: 'userId' },
  'consent.revoked': { subject: 'userId' },
  'user.created': { subject: 'userId' },
  'user.updated': { subject: 'userId' },
  'user.deleted': { subject: 'userId' },
  'user.unlocked': { subject: 'userId' },
  'user.authenticated': { subject: 'userId' },
  'user.authentication_failed': { subject: 'userId' },
  'request.failed': { subject: 'route', private: ['detail'] },
  'session.ended': { subject: 'userId' },
  'logout.completed': { subject: 'clientId' },
  'backchannel_logout.delivered': { subject: 'clientId' },
  'backchannel_logout.failed': { subject: 'clientId' },
  'rate_limit.hit': { subject: 'policy' },
  'rate_limit.backend_changed': { subject: 'backend' },
  'breaker.opened': { subject: 'dependency' },
  'breaker.half_opened': { subject: 'dependency' },
  'breaker.closed': { subject: 'dependency' },
  'request.shed': { subject: 'route' },
  'audit.head_published': {},
  'audit.purged': {},
  'kek.rotated': { subject: 'kekId' },
  'data.exported': {},
  'data.imported': { subject: 'mode' },
  'event.dead_lettered': { subject: 'eventId' },
} as const satisfies { readonly [K in EventName]: EventSpec<K> };

/** Every catalogue name, in `EventMap` order. */
export const EVENT_NAMES = Object.keys(EVENT_CATALOGUE) as EventName[];

/** The CloudEvents `type` of an event: `gatehouse.` + its catalogue name. */
export const eventType = (name: EventName): string => `gatehouse.${name}`;

/** The catalogue name of a CloudEvents `type`, or null when it is not one of ours. */
export function eventNameOf(type: string): EventName | null {
  const name = type.startsWith('gatehouse.') ? type.slice('gatehouse.'.length) : '';
  return Object.hasOwn(EVENT_CATALOGUE, name) ? (name as EventName) : null;
}

/**
 * The names a type filter selects: `*` every event, `token.*` every event whose name starts with
 * `token.`, otherwise one exact name (with or without the `gatehouse.` prefix). Unknown names are
 * returned in `unknown` so the config check can report them.
 */
export function selectEvents(filters: readonly string[]): { readonly names: ReadonlySet<EventName>; readonly unknown: readonly string[] } {
  const names = new Set<EventName>();
  const unknown: string[] = [];
  for (const raw of filters) {
    const f = raw.startsWith('gatehouse.') ? raw.slice('gatehouse.'.length) : raw;
    const matched = f.endsWith('*') ? EVENT_NAMES.filter((n) => n.startsWith(f.slice(0, -1))) : EVENT_NAMES.filter((n) => n === f);
    if (matched.length === 0) unknown.push(raw);
    for (const n of matched) names.add(n);
  }
  return { names, unknown };
}
