import { GatehouseError } from '../core/errors.ts';
import type { EventName, EventPublisher } from '../core/events.ts';
import type { OutboxEntry } from '../core/ports/outbox-store.ts';
import type { PasswordHasher } from '../core/ports/password-hasher.ts';
import type { TransactionStores, UnitOfWork } from '../core/ports/unit-of-work.ts';
import type { Actor } from './actor.ts';
import { auditDetail, auditEntry, auditObject } from './audit-record.ts';
import type { AppDeps } from './deps.ts';

/** The unit-of-work members of the deps, when all of them are there. */
export interface UnitDeps {
  readonly deps: AppDeps;
  readonly unitOfWork: UnitOfWork;
  readonly servicesOver: NonNullable<AppDeps['servicesOver']>;
}

export function unitOf(deps: AppDeps): UnitDeps | null {
  return deps.unitOfWork && deps.servicesOver ? { deps, unitOfWork: deps.unitOfWork, servicesOver: deps.servicesOver } : null;
}

/** Errors whose lost record was already handed to `onAuditFailure` (no failure record follows). */
const reported = new WeakSet<object>();

export const recordReported = (e: unknown): boolean => typeof e === 'object' && e !== null && reported.has(e);

/** What a committed unit leaves for after the commit. */
interface Committed<O> {
  readonly out: O;
  /** Every event published in the unit, in order, for the in-process bus. */
  readonly events: readonly (readonly [EventName, object])[];
  /** Side effects outside the database, in order (Logout Token delivery). */
  readonly after: readonly (() => void)[];
  readonly outboxRows: number;
}

/** The unit's stores a handler may use in place of the process's own. */
const TX_STORES = ['clients', 'users', 'tokens', 'grants', 'consents', 'userSessions', 'denylist'] as const;

/**
 * The handler's deps bound to one transaction: the stores it writes, the core services rebuilt
 * over them (closures over the ports: a few object literals), an event publisher that captures,
 * and a logout notifier that holds its messages until the commit. Stores and services are read
 * through getters, so only what the handler touches is built (SQL stores compile their
 * statements when constructed).
 */
function bindToTransaction(
  u: UnitDeps,
  tx: TransactionStores,
  events: EventPublisher,
  after: (() => void)[],
  passwordHasher: PasswordHasher | undefined,
): AppDeps {
  const { deps } = u;
  const bound: AppDeps = {
    ...deps,
    events,
    logoutNotifier: { notify: (m) => void after.push(() => deps.logoutNotifier.notify(m)) },
  };
  let services: ReturnType<UnitDeps['servicesOver']> | undefined;
  const ports = {
    get clients() {
      return tx.clients;
    },
    get users() {
      return tx.users;
    },
    events,
    ...(passwordHasher ? { passwordHasher } : {}),
  };
  const props: PropertyDescriptorMap = {
    userService: { get: () => (services ??= u.servicesOver(ports)).userService, enumerable: true },
    clientService: { get: () => (services ??= u.servicesOver(ports)).clientService, enumerable: true },
  };
  for (const k of TX_STORES) props[k] = { get: () => tx[k], enumerable: true };
  return Object.defineProperties(bound, props);
}

/**
 * A hasher that answers `hash(password)` with a hash made before the unit's transaction opened
 * (for exactly that password; anything else is hashed as usual). Hashing inside the transaction
 * would hold its write lock for the whole argon2 run.
 */
async function prehashed(deps: AppDeps, password: string | undefined): Promise<PasswordHasher | undefined> {
  const real = deps.passwordHasher;
  if (password === undefined || !real) return undefined;
  const ready = await real.hash(password);
  return {
    hash: (p) => (p === password ? Promise.resolve(ready) : real.hash(p)),
    verify: (phc, p) => real.verify(phc, p),
    needsRehash: (phc) => real.needsRehash(phc),
  };
}

/**
 * Runs one mutation as a unit of work (S18, docs/architecture.md "Unit of work"): the handler's
 * change, the outbox rows of the events it published that a sink selects, and its success audit
 * record commit in ONE transaction, or none of them does. After the commit the events go to
 * the in-process bus (metrics, logs; the outbox writer skips them: they are written), the relay
 * is woken and the held side effects run. A deadlock victim runs again from the start (the unit
 * port retries), with fresh captures.
 */
export async function runInUnit<O>(
  u: UnitDeps,
  def: {
    readonly name: string;
    readonly beforeUnit?: ((deps: AppDeps) => Promise<void>) | undefined;
    readonly newPassword?: ((input: never) => string | undefined) | undefined;
    readonly handle: (ctx: never, input: never) => Promise<O>;
  },
  actor: Actor,
  input: unknown,
  raw: unknown,
  context: (deps: AppDeps, publisher: EventPublisher) => unknown,
  translate: (e: unknown) => unknown,
): Promise<O> {
  const { deps } = u;
  await def.beforeUnit?.(deps);
  const hasher = await prehashed(deps, (def.newPassword as ((input: unknown) => string | undefined) | undefined)?.(input));
  const via = actor.kind === 'cli' ? 'cli' : 'admin';
  let auditFailure: { readonly entry: ReturnType<typeof auditEntry>; readonly error: unknown } | null = null;
  let done: Committed<O>;
  try {
    done = await u.unitOfWork.run(async (tx): Promise<Committed<O>> => {
      auditFailure = null;
      const events: [EventName, object][] = [];
      const after: (() => void)[] = [];
      const capture: EventPublisher = { publish: (name, payload) => void events.push([name, payload]) };
      const bound = bindToTransaction(u, tx, capture, after, hasher);
      let out: O;
      try {
        out = await (def.handle as (ctx: unknown, input: unknown) => Promise<O>)(context(bound, capture), input);
      } catch (e) {
        throw translate(e);
      }
      const rows: OutboxEntry[] = [];
      const outbox = deps.transactionalOutbox;
      for (const [name, payload] of events) {
        const row = outbox?.entryFor(name, payload as never);
        if (row) rows.push(row);
      }
      if (rows.length > 0) await tx.outbox.append(rows);
      const entry = auditEntry(deps, actor, def.name, auditObject(def.name, raw, out), { outcome: 'success', errorCode: null }, auditDetail(raw, via));
      try {
        await tx.audit.append(entry);
      } catch (error) {
        auditFailure = { entry, error };
        throw error;
      }
      return { out, events, after, outboxRows: rows.length };
    });
  } catch (e) {
    const failed = auditFailure as { readonly entry: ReturnType<typeof auditEntry>; readonly error: unknown } | null;
    if (failed === null || failed.error !== e) throw e;
    const why = `${def.name}: the audit record could not be written (${e instanceof GatehouseError ? e.code : 'store error'})`;
    // Fail closed: the unit rolled back, no change without its record. The caller records the
    // failure in a transaction of its own (handed to the log if that fails too).
    if (u.unitOfWork.atomic) throw new GatehouseError('GH_AUDIT_FAILED', `${why}; nothing was changed`);
    // Memory: nothing rolls back, the change stays; the record goes to the log, as before.
    deps.onAuditFailure?.(failed.entry, e);
    const err = new GatehouseError('GH_AUDIT_FAILED', `${why}; the change WAS applied`);
    reported.add(err);
    throw err;
  }
  for (const [name, payload] of done.events) deps.events.publish(name, payload as never);
  if (done.outboxRows > 0) deps.transactionalOutbox?.appended();
  for (const effect of done.after) effect();
  return done.out;
}
