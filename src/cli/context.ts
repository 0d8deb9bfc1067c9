import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { GatehouseError } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import { systemClock } from '../core/ports/clock.ts';
import type { Storage } from '../core/ports/index.ts';
import { resolveKek } from '../compose.ts';
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

export interface CliContext {
  readonly config: Config;
  readonly storage: Storage;
  readonly kek: Buffer;
  readonly events: EventBus;
  readonly tenantId: string;
  readonly clock: typeof systemClock;
  close(): Promise<void>;
}

/** Loads config (file + env), resolves the KEK, opens and migrates the store. */
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
  return { config, storage, kek, events: new EventBus(), tenantId: DEFAULT_TENANT, clock: systemClock, close: () => storage.close() };
}
