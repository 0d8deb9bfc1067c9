import { hostname } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cliActor, type Actor, type Application } from '../app/index.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { GatehouseError } from '../core/errors.ts';
import { compose } from '../compose.ts';
import { unknownFlagMessage } from './flag-hints.ts';
import type { CliIo } from './types.ts';

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** What {@link parseCli} returns for `options` (named, so declaration emit can write it). */
export type ParsedCli<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: true; strict: true }>
>;

/** Parses args strictly; unknown options are a usage error (GH_CLI_USAGE). */
export function parseCli<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O): ParsedCli<O> {
  const all = { ...COMMON_OPTIONS, ...options };
  try {
    return parseArgs({ args: [...args], options: all, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's own text for an unknown option is long and quotes unevenly; say which flag and what was meant.
    const unknown = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^'\s]*)'/.exec((e as Error).message)?.[1] : undefined;
    // Node names only the first letter of `-Sx4V…`; name the whole argument (an id that begins with '-').
    const whole = unknown && !unknown.startsWith('--') ? (args.find((a) => a.startsWith(unknown) && !a.startsWith('--')) ?? unknown) : unknown;
    if (whole) throw new GatehouseError('GH_CLI_USAGE', unknownFlagMessage(whole, Object.keys(all)));
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
 * Loads config (file + env) and composes the services through the one composition root
 * (src/compose.ts): the same store, keys, event bus and application layer the server builds.
 * Signing keys are only loaded, never created. Back-channel Logout Tokens (sessions ended from
 * the CLI) are delivered as the server delivers them (logout.backchannelTimeout/Retries);
 * `close()` waits for every one to be delivered or given up before closing the store.
 */
export async function openCliContext(configFile: string | undefined, io: CliIo): Promise<CliContext> {
  const config = await loadConfig({ file: configFile, env: io.env, warn: io.err });
  const services = await compose(config, { poolSize: 2, notice: io.err, keys: 'load' });
  services.events.on('backchannel_logout.failed', (e) =>
    io.err(`warning: the back-channel Logout Token for client ${e.clientId} was not delivered (${e.reason})`),
  );
  return {
    config,
    application: services.application,
    actor: cliActor(io.env, hostname()),
    async close() {
      await services.logoutNotifier.idle();
      await services.close();
    },
  };
}
