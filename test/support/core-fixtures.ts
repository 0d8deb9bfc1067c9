/**
 * Building blocks for core unit tests: a settable clock, a client record, a real KeyManager on
 * in-memory storage (ES256 only, so it starts fast) and an event recorder.
 */
import { randomBytes } from 'node:crypto';
import { EventBus, type EventMap, type EventName } from '../../src/core/events.ts';
import { KeyManager } from '../../src/core/keys/key-manager.ts';
import type { Client } from '../../src/core/model/client.ts';
import type { SigningAlg } from '../../src/core/model/key.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import type { Clock } from '../../src/core/ports/clock.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';

export const ISSUER = 'https://as.example';
export const T0 = 1_700_000_000_000;

/** A clock tests move by hand (S14: never sleep). */
export function settableClock(start = T0): Clock & { set(ms: number): void; advance(seconds: number): void } {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (s) => {
      now += s * 1000;
    },
  };
}

export function makeClient(overrides: Partial<Client> = {}): Client {
  return {
    tenantId: DEFAULT_TENANT,
    clientId: 'svc',
    clientName: 'Service',
    secretHash: null,
    secretEncrypted: null,
    secretExpiresAt: null,
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenEndpointAuthSigningAlg: null,
    grantTypes: ['client_credentials'],
    responseTypes: [],
    redirectUris: [],
    scopes: ['read', 'write'],
    jwks: null,
    jwksUri: null,
    accessTokenFormat: null,
    metadata: {},
    registrationAccessTokenHash: null,
    disabled: false,
    createdAt: T0 / 1000,
    updatedAt: T0 / 1000,
    ...overrides,
  };
}

/** Records every published event, in order. */
export function recordEvents(): EventBus & { readonly seen: { name: EventName; payload: unknown }[]; of<K extends EventName>(name: K): EventMap[K][] } {
  const bus = new EventBus();
  const seen: { name: EventName; payload: unknown }[] = [];
  const publish = bus.publish.bind(bus);
  return Object.assign(bus, {
    seen,
    publish<K extends EventName>(name: K, payload: EventMap[K]) {
      seen.push({ name, payload });
      publish(name, payload);
    },
    of<K extends EventName>(name: K) {
      return seen.filter((e) => e.name === name).map((e) => e.payload as EventMap[K]);
    },
  });
}

export interface CoreWorld {
  readonly storage: Storage;
  readonly keys: KeyManager;
  readonly clock: ReturnType<typeof settableClock>;
  readonly events: ReturnType<typeof recordEvents>;
  readonly random: { bytes(n: number): Uint8Array };
  readonly tenantId: string;
}

/** Memory storage plus a loaded KeyManager holding keys for `algorithms`. */
export async function coreWorld(algorithms: readonly SigningAlg[] = ['ES256'], store?: Storage): Promise<CoreWorld> {
  const clock = settableClock();
  const storage = store ?? createMemoryStorage({ clock });
  const events = recordEvents();
  const keys = new KeyManager(
    { keyStore: storage.keyStore, clock, events, kek: randomBytes(32), tenantId: DEFAULT_TENANT },
    { keys: { algorithms, rotationInterval: 0, gracePeriod: 86_400, refreshInterval: 30 } },
  );
  await keys.init();
  return { storage, keys, clock, events, random: { bytes: (n) => randomBytes(n) }, tenantId: DEFAULT_TENANT };
}
