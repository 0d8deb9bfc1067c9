import type { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import type { EventName } from '../core/events.ts';
import type { Actor } from './actor.ts';
import { createRandomIds } from '../core/tokens/random-ids.ts';
import { auditUseCases } from './audit.ts';
import { clientUseCases } from './clients.ts';
import { consentUseCases } from './consents.ts';
import { dataUseCases } from './data.ts';
import { deviceCodeUseCases } from './device-codes.ts';
import { eventUseCases } from './events.ts';
import type { AppDeps, ApplicationDeps } from './deps.ts';
import { grantUseCases } from './grants.ts';
import { kekUseCases } from './kek.ts';
import { keyUseCases } from './keys.ts';
import { sessionUseCases } from './sessions.ts';
import { settingsUseCases } from './settings.ts';
import { bindUseCase, useCaseInfo, type UseCase, type UseCaseDefinition, type UseCaseInfo } from './use-case.ts';
import { userUseCases } from './users.ts';

export type { Actor, Role } from './actor.ts';
export { ROLES, cliActor, hasRole } from './actor.ts';
export type { ApplicationConfig, ApplicationDeps } from './deps.ts';
export type { ListResult } from './paging.ts';
export type { UseCase, UseCaseInfo } from './use-case.ts';
export type * from './views.ts';
export type { AuditRecordView } from './audit.ts';
export type { EventView, SinkHealthView } from './events.ts';
export type { DeviceCodeView } from './device-codes.ts';
export type { EventSinksInfo } from './deps.ts';

type AnyDef = UseCaseDefinition<z.ZodType, unknown, EventName | null>;
type Bound<G extends Record<string, AnyDef>> = {
  readonly [K in keyof G]: G[K] extends UseCaseDefinition<infer S, infer O, EventName | null> ? UseCase<S, O> : never;
};

/** Every use case, grouped by aggregate: the one list the faces (CLI, admin API, console, MCP) call. */
export const USE_CASES = {
  clients: clientUseCases,
  users: userUseCases,
  grants: grantUseCases,
  sessions: sessionUseCases,
  consents: consentUseCases,
  keys: keyUseCases,
  deviceCodes: deviceCodeUseCases,
  audit: auditUseCases,
  kek: kekUseCases,
  events: eventUseCases,
  settings: settingsUseCases,
  data: dataUseCases,
} as const;

type Groups = typeof USE_CASES;

/** The application layer (S18): each use case takes an actor and input, checks, validates, acts. */
export type Application = { readonly [G in keyof Groups]: Bound<Groups[G]> } & {
  /** Name, role, event and input schema of every use case (for the admin API's schemas and docs). */
  readonly catalog: readonly UseCaseInfo[];
  /**
   * Runs a use case by catalogue name with untyped input (admin API routes, MCP tools): the same
   * role check and validation as the typed methods. An unknown name is GH_NOT_FOUND.
   */
  run(name: string, actor: Actor, input: unknown): Promise<unknown>;
};

function bindGroup<G extends Record<string, AnyDef>>(group: G, deps: AppDeps): Bound<G> {
  return Object.fromEntries(Object.entries(group).map(([k, def]) => [k, bindUseCase(def, deps)])) as Bound<G>;
}

/** Every use case definition, flat. */
export function allUseCases(): readonly AnyDef[] {
  return Object.values(USE_CASES).flatMap((g) => Object.values(g) as AnyDef[]);
}

/** Builds the application layer once (composition root, or the CLI context) from its ports. */
export function createApplication(deps: ApplicationDeps): Application {
  const all: AppDeps = { ...deps, newId: createRandomIds(deps.random) };
  const byName = new Map(allUseCases().map((def) => [def.name, bindUseCase(def, all) as (actor: Actor, input: unknown) => Promise<unknown>]));
  return {
    run: (name, actor, input) => {
      const uc = byName.get(name);
      return uc ? uc(actor, input) : Promise.reject(new GatehouseError('GH_NOT_FOUND', `no operation ${JSON.stringify(name.slice(0, 64))}`));
    },
    clients: bindGroup(USE_CASES.clients, all),
    users: bindGroup(USE_CASES.users, all),
    grants: bindGroup(USE_CASES.grants, all),
    sessions: bindGroup(USE_CASES.sessions, all),
    consents: bindGroup(USE_CASES.consents, all),
    keys: bindGroup(USE_CASES.keys, all),
    deviceCodes: bindGroup(USE_CASES.deviceCodes, all),
    audit: bindGroup(USE_CASES.audit, all),
    kek: bindGroup(USE_CASES.kek, all),
    events: bindGroup(USE_CASES.events, all),
    settings: bindGroup(USE_CASES.settings, all),
    data: bindGroup(USE_CASES.data, all),
    catalog: allUseCases().map(useCaseInfo),
  };
}
