import { loadConfig } from '../../config/load.ts';
import { createGatehouse } from '../../compose.ts';
import { bootstrapDevelopment } from '../../bootstrap.ts';
import { parseCli } from '../context.ts';
import type { CliCommand } from '../types.ts';

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Start the authorization server',
  usage: [
    'Usage: gatehouse serve [--config FILE]',
    '',
    'Starts Gatehouse. Configuration: --config FILE (JSON/YAML), then GATEHOUSE_* variables.',
    'SIGTERM/SIGINT: stop accepting, drain in-flight requests (http.shutdownGrace), close the store.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseCli(args, {});
    const startedAt = performance.now();
    const config = await loadConfig({ file: values.config, env: io.env, warn: io.err });
    const gh = await createGatehouse(config, { notice: io.err });
    if (config.env === 'development') await bootstrapDevelopment(gh.services, io.out);
    const address = await gh.listen();
    // The address to open is the issuer: pages on another host name of this machine are sent
    // there (their forms may only post to the issuer's origin). `address` is the bound socket.
    gh.app.log.info(
      { url: config.issuer, address, env: config.env, store: gh.services.storage.dialect, startupMs: Math.round(performance.now() - startedAt) },
      `gatehouse ready: open ${config.issuer}`,
    );

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        gh.app.log.info({ signal }, 'shutting down: draining in-flight requests');
        // Bounded drain: if requests do not finish within the grace period, exit anyway.
        const force = setTimeout(() => {
          gh.app.log.warn('shutdown grace period elapsed; exiting with requests in flight');
          process.exit(1);
        }, config.http.shutdownGrace * 1000);
        force.unref();
        gh.close().then(
          () => {
            gh.app.log.info('shutdown complete');
            resolve();
          },
          (e: unknown) => {
            gh.app.log.error({ err: e }, 'error during shutdown');
            resolve();
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
