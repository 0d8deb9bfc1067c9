import { randomBytes } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cliActor, createApplication, type Actor, type Application } from '../app/index.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { GatehouseError } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { KeyManager } from '../core/keys/key-manager.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import { systemClock } from '../core/ports/clock.ts';
import { createBackchannelDelivery } from '../logout/backchannel-delivery.ts';
import { resolveKek } from '../main.ts';
import { createArgon2PasswordHasher } from '../security/argon2-password-hasher.ts';
import { createStorage } from '../storage/create-storage.ts';
import type { CliIo } from './types.ts';

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Parses args strictly; unknown options are a usage error (GH_CLI_USAGE). */
export function parseCli<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new GatehouseError('GH_CLI_USAGE', (e as Error).message);
  }
}

/** What an operator command works with: the config and the application layer, acting as `actor`. */
export interface CliContext {
  readonly config: Config;
  readonly application: Application;
  /** The CLI's actor: the OS user, with every role (docs/operations.md). */
  readonly actor: Actor;
  close(): Promise<void>;
}

/**
 * Loads config (file + env), resolves the KEK, opens and migrates the store, builds the
 * application layer. Back-channel Logout Tokens (sessions ended from the CLI) are delivered as
 * the server delivers them (logout.backchannelTimeout/Retries); `close()` waits for every one to
 * be delivered or given up before closing the store.
 */
export async function openCliContext(configFile: string | undefined, io: CliIo): Promise<CliContext> {
  const config = await loadConfig({ file: configFile, env: io.env });
  const kek = await resolveKek(config, io.err);
  const storage = await createStorage(config.database.url, { poolSize: 2 });
  try {
    if (config.database.autoMigrate) await storage.migrate();
  } catch (e) {
    await storage.close();
    throw e;
  }
  const clock = systemClock;
  const events = new EventBus();
  events.on('backchannel_logout.failed', (e) => io.err(`warning: the back-channel Logout Token for client ${e.clientId} was not delivered (${e.reason})`));
  const tenantId = DEFAULT_TENANT;
  const keys = new KeyManager({ keyStore: storage.keys, clock, events, kek, tenantId }, config);
  const logoutNotifier = createBackchannelDelivery({ events, clock }, { timeoutMs: config.logout.backchannelTimeout * 1000, retries: config.logout.backchannelRetries });
  const application = createApplication({
    clients: storage.clients, users: storage.users, tokens: storage.tokens, denylist: storage.denylist, consents: storage.consents,
    grants: storage.grants, userSessions: storage.userSessions, clock, random: { bytes: (n) => randomBytes(n) }, events,
    passwordHasher: createArgon2PasswordHasher(), keys, kek, tenantId, logoutNotifier, config,
  });
  return {
    config,
    application,
    actor: cliActor(io.env),
    async close() {
      await logoutNotifier.idle();
      await logoutNotifier.close();
      await storage.close();
    },
  };
}
