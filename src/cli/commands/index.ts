import type { CliCommand } from '../types.ts';
import { auditCommand } from './audit.ts';
import { clientsCommand } from './clients.ts';
import { consentsCommand } from './consents.ts';
import { exportCommand, importCommand } from './data.ts';
import { kekCommand } from './kek.ts';
import { keysCommand } from './keys.ts';
import { mcpCommand } from './mcp.ts';
import { migrateCommand } from './migrate.ts';
import { serveCommand } from './serve.ts';
import { sessionsCommand } from './sessions.ts';
import { tokensCommand } from './tokens.ts';
import { usersCommand } from './users.ts';

/** Every CLI command, in help order. Each lives in its own file in this folder. */
export const commands: readonly CliCommand[] = [
  serveCommand,
  migrateCommand,
  keysCommand,
  kekCommand,
  clientsCommand,
  usersCommand,
  tokensCommand,
  sessionsCommand,
  consentsCommand,
  auditCommand,
  mcpCommand,
  exportCommand,
  importCommand,
];
