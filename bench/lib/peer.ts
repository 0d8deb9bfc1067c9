import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { READY_PREFIX, spawnNode, waitFor200 } from './process.ts';
import type { BenchTarget, RunningTarget, StartOptions, TargetCapabilities } from './types.ts';

const require = createRequire(import.meta.url);

/** Installed version of a package, read from its package.json. */
export function packageVersion(name: string): string {
  // Some packages do not export ./package.json; resolve the entry and walk up instead.
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    let dir = require.resolve(name);
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        return (require(`${dir}/package.json`) as { name: string; version: string }).version;
      } catch {
        /* up */
      }
    }
    return 'unknown';
  }
}

/** True when this module file is the process entry point (run as the server child). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === moduleUrl;
}

/** Prints the READY line the parent waits for. */
export function announce(port: number): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ port })}\n`);
}

export interface PeerSpec {
  readonly id: string;
  readonly label: string;
  readonly version: string;
  /** `import.meta.url` of the server file; it is run as `node --import tsx <file>`. */
  readonly moduleUrl: string;
  /** Path answering 200 once the server can serve. */
  readonly readyPath: string;
  readonly capabilities: TargetCapabilities;
}

/** A peer server whose file is both the target description and the child program. */
export function peerTarget(spec: PeerSpec): BenchTarget {
  return {
    id: spec.id,
    label: spec.label,
    version: spec.version,
    async start(opts: StartOptions): Promise<RunningTarget> {
      const env = { ...process.env, NODE_ENV: 'production' };
      const file = fileURLToPath(spec.moduleUrl);
      const child = spawnNode([...(opts.nodeFlags ?? []), '--import', 'tsx', file], env, opts.verbose);
      try {
        const port = await child.readyLine(15_000);
        const origin = `http://127.0.0.1:${port}`;
        const startupMs = await waitFor200(origin + spec.readyPath, child.spawnedAt, 15_000, child);
        return { pid: child.pid, origin, capabilities: spec.capabilities, startupMs, stop: () => child.stop() };
      } catch (e) {
        await child.stop();
        throw e;
      }
    },
  };
}
