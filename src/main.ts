#!/usr/bin/env node
/**
 * Process entry (DESIGN §2): `bin/gatehouse.js` runs this. It hands the arguments to the CLI,
 * whose `serve` command starts the server built by the composition root (src/compose.ts) and
 * handles the signals.
 */
import { main as cli } from './cli/main.ts';

export async function main(argv: readonly string[]): Promise<number> {
  return cli(argv);
}
