import type { z } from 'zod';
import { GatehouseError, OAuthError } from '../core/errors.ts';
import type { EventMap, EventName, EventPublisher } from '../core/events.ts';
import { epochSeconds } from '../core/ports/clock.ts';
import { actorRef, assertRole, type Actor, type Role } from './actor.ts';
import { auditDetail, auditObject, outcomeOf, writeAudit } from './audit-record.ts';
import type { AppDeps } from './deps.ts';
import { recordReported, runInUnit, unitOf } from './use-case-unit.ts';

/** What a handler gets besides its validated input. */
export interface UseCaseContext<E extends EventName | null> {
  readonly actor: Actor;
  readonly deps: AppDeps;
  /** `deps.events` that stamps `actor` on everything published through it (core services take the actor as an argument instead). */
  readonly events: EventPublisher;
  /** The `via` of the older events: `cli` for the CLI, `admin` for the admin API, console and MCP. */
  readonly via: 'cli' | 'admin';
  /** Now, in epoch seconds. */
  readonly now: () => number;
  /** Publishes the use case's declared event, with `tenantId` and `actor` filled in. */
  readonly emit: E extends EventName ? (payload: Omit<EventMap[E], 'tenantId' | 'actor'>) => void : never;
}

/**
 * One operator action (S18), the same for the CLI, the admin API, the console and MCP: a name
 * (`clients.create`), the role it needs, ONE zod input schema (published as JSON Schema by the
 * admin API), the ONE event it emits (null for reads) and a handler that receives validated input.
 */
export interface UseCaseDefinition<S extends z.ZodType, O, E extends EventName | null> {
  readonly name: string;
  readonly role: Role;
  readonly input: S;
  readonly event: E;
  readonly summary: string;
  readonly handle: (ctx: UseCaseContext<E>, input: z.output<S>) => Promise<O>;
  /**
   * `false`: the mutation does not run in a unit of work, because what it changes is not in the
   * unit's stores (signing keys through the KeyManager, KEK re-sealing, the audit purge's own
   * locked transaction). Its event then goes through the buffered outbox writer and its record
   * follows in a transaction of its own (docs/audit.md).
   */
  readonly transactional?: false;
  /**
   * Runs before the unit's transaction opens: loads what the handler reads from outside the
   * database (the signing keys that sign Logout Tokens). Inside the transaction only the unit's
   * stores may be used (src/core/ports/unit-of-work.ts).
   */
  readonly beforeUnit?: (deps: AppDeps) => Promise<void>;
  /**
   * The new password in the validated input, when the use case sets one: it is hashed (argon2id,
   * tens of milliseconds) BEFORE the unit's transaction opens, so no transaction holds a write
   * lock (on SQLite: the database's) while the hash runs. The services inside the unit get that
   * hash for exactly this password.
   */
  readonly newPassword?: (input: z.output<S>) => string | undefined;
}

/** A bound use case: takes the actor and raw input (validated at run time), returns a typed result. */
export type UseCase<S extends z.ZodType, O> = (actor: Actor, input: z.input<S>) => Promise<O>;

/** What the catalogue tells the admin API and docs about each use case. */
export interface UseCaseInfo {
  readonly name: string;
  readonly role: Role;
  readonly event: EventName | null;
  readonly summary: string;
  readonly input: z.ZodType;
}

export function defineUseCase<S extends z.ZodType, O, E extends EventName | null>(def: UseCaseDefinition<S, O, E>): UseCaseDefinition<S, O, E> {
  return def;
}

/** `path: message; …` for every problem, paths dotted (`redirect_uris.0`). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`).join('; ');
}

/** Stamps the actor on every event published through it. */
function stamped(events: EventPublisher, actor: Actor): EventPublisher {
  const ref = actorRef(actor);
  return { publish: (name, payload) => events.publish(name, { ...payload, actor: ref }) };
}

/**
 * Core services speak their own codes; operators see four: GH_INVALID_INPUT, GH_NOT_FOUND,
 * GH_CONFLICT (and GH_FORBIDDEN from the role check), so every face maps them the same way.
 */
function translate(e: unknown): unknown {
  if (e instanceof OAuthError && (e.code === 'invalid_client_metadata' || e.code === 'invalid_redirect_uri')) {
    return new GatehouseError('GH_INVALID_INPUT', `${e.code}: ${e.description ?? ''}`);
  }
  if (!(e instanceof GatehouseError)) return e;
  switch (e.code) {
    case 'GH_USER_INVALID':
      return new GatehouseError('GH_INVALID_INPUT', e.message);
    case 'GH_USER_NOT_FOUND':
    case 'GH_CLIENT_NOT_FOUND':
      return new GatehouseError('GH_NOT_FOUND', e.message);
    case 'GH_CLIENT_NO_SECRET':
      return new GatehouseError('GH_CONFLICT', e.message);
    default:
      return e;
  }
}

function context<E extends EventName | null>(def: { name: string; event: E }, deps: AppDeps, actor: Actor, publisher: EventPublisher): UseCaseContext<E> {
  const events = stamped(publisher, actor);
  const emit = (payload: Record<string, unknown>) => {
    if (def.event === null) throw new Error(`${def.name} declares no event`);
    events.publish(def.event, { ...payload, tenantId: deps.tenantId } as never);
  };
  return {
    actor,
    deps,
    events,
    via: actor.kind === 'cli' ? 'cli' : 'admin',
    now: () => epochSeconds(deps.clock),
    emit,
  } as unknown as UseCaseContext<E>;
}

/**
 * Binds a definition to the application's deps. Order is fixed: the role check comes first
 * (GH_FORBIDDEN before the input is even looked at), then validation (GH_INVALID_INPUT naming
 * every bad path, nothing touched), then the handler: for a mutation, inside a unit of work
 * with its outbox events and its success record (use-case-unit.ts).
 */
export function bindUseCase<S extends z.ZodType, O, E extends EventName | null>(def: UseCaseDefinition<S, O, E>, deps: AppDeps): UseCase<S, O> {
  const unit = def.event !== null && def.transactional !== false ? unitOf(deps) : null;
  const run = async (actor: Actor, raw: unknown): Promise<O> => {
    assertRole(actor, def.role, def.name);
    const parsed = def.input.safeParse(raw);
    if (!parsed.success) throw new GatehouseError('GH_INVALID_INPUT', `${def.name}: ${describeIssues(parsed.error.issues)}`);
    if (unit) return runInUnit(unit, def, actor, parsed.data, raw, (d, publisher) => context(def, d, actor, publisher), translate);
    let out: O;
    try {
      out = await def.handle(context(def, deps, actor, deps.events), parsed.data);
    } catch (e) {
      throw translate(e);
    }
    if (def.event !== null) await deps.eventsWritten?.();
    return out;
  };
  // Reads (no event) are not audited (docs/audit.md); every mutation writes one record, for a
  // refusal (role, input) and a failure as for a success.
  if (def.event === null) return run;
  return async (actor, raw) => {
    const via = actor.kind === 'cli' ? 'cli' : 'admin';
    let out: O;
    try {
      out = await run(actor, raw);
    } catch (e) {
      // Nothing of a failed unit was kept: the refusal or failure is recorded in its own transaction.
      if (recordReported(e)) throw e;
      const err = e instanceof GatehouseError ? e : undefined;
      await writeAudit(deps, actor, def.name, auditObject(def.name, raw), outcomeOf(e), auditDetail(raw, via, err));
      throw e;
    }
    // A unit committed its success record with the change.
    if (unit) return out;
    const failed = await writeAudit(deps, actor, def.name, auditObject(def.name, raw, out), { outcome: 'success', errorCode: null }, auditDetail(raw, via));
    if (failed) throw failed;
    return out;
  };
}

export function useCaseInfo(def: UseCaseDefinition<z.ZodType, unknown, EventName | null>): UseCaseInfo {
  return { name: def.name, role: def.role, event: def.event, summary: def.summary, input: def.input };
}
