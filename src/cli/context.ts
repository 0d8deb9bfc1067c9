import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { GatehouseError } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { systemClock } from '../core/ports/clock.ts';
import type { PasswordHasher, Storage } from '../core/ports/index.ts';
import { compose } from '../compose.ts';
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

export interface CliContext {
  readonly config: Config;
  readonly storage: Storage;
  readonly kek: Buffer;
  readonly events: EventBus;
  readonly tenantId: string;
  readonly clock: typeof systemClock;
  readonly passwordHasher: PasswordHasher;
  close(): Promise<void>;
}

/**
 * Loads config (file + env) and composes the services through the one composition root
 * (src/compose.ts): the same store, keys and event bus the server builds.
 */
export async function openCliContext(configFile: string | undefined, io: CliIo): Promise<CliContext> {
  const config = await loadConfig({ file: configFile, env: io.env });
  const services = await compose(config, { poolSize: 2, notice: io.err, keys: 'load' });
  const { storage, kek, events, tenantId, clock } = services;
  return { config, storage, kek, events, tenantId, clock, passwordHasher: services.ports.passwordHasher, close: () => services.close() };
}
