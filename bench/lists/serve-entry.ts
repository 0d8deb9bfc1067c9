// `gatehouse serve` from source (node --import tsx), for bench cells that need a server process.
import { main } from '../../src/main.ts';

process.exitCode = await main(process.argv.slice(2));
