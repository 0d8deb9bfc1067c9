// The real CLI as a script file (`node --import tsx test/support/gatehouse-cli.ts serve …`): unlike
// `-e`, a script path lets node:cluster fork workers that run the same entry (`serve --workers N`).
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
