import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { redactConfig } from '../../config/redact.ts';
import { GatehouseError } from '../../core/errors.ts';
import { createAdminMcpServer } from '../../mcp/server.ts';
import { openCliContext, parseCli } from '../context.ts';
import type { CliCommand } from '../types.ts';

/** The same rule as the CLI's own actor name (src/app/actor.ts). */
const OPERATOR_NAME = /^[\w.@-]{1,64}$/;

export const mcpCommand: CliCommand = {
  name: 'mcp',
  summary: 'Serve the MCP admin tools over stdio (for Claude Desktop and other MCP clients)',
  usage: [
    'Usage: gatehouse mcp [--operator NAME] [--read-only] [--config FILE]',
    '',
    'Speaks the Model Context Protocol on standard input and output: one tool per operator use case',
    '(clients_create, users_list, keys_rotate, audit_list, …) and the effective configuration',
    '(secrets redacted) as a resource. The MCP client starts this command; it runs until the client',
    'closes standard input. Nothing but MCP messages is written to standard output; notices go to',
    'standard error.',
    '',
    '--operator NAME  who the audit log names for every change (actor kind cli); default: the OS user.',
    '--read-only      only the read tools (lists, shows, audit search and verify), acting with the',
    '                 viewer role.',
    'Like every CLI command it uses the database and KEK of the configuration directly. Details: docs/mcp.md.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseCli(args, { operator: { type: 'string' }, 'read-only': { type: 'boolean', default: false } });
    if (positionals.length) throw new GatehouseError('GH_CLI_USAGE', `unexpected argument ${JSON.stringify(positionals[0])} (see gatehouse mcp --help)`);
    if (values.json) throw new GatehouseError('GH_CLI_USAGE', '--json does not apply to `mcp` (it always speaks JSON-RPC)');
    const operator = values.operator;
    if (operator !== undefined && !OPERATOR_NAME.test(operator)) {
      throw new GatehouseError('GH_CLI_USAGE', '--operator takes 1 to 64 letters, digits, `_`, `.`, `@` or `-`');
    }
    const readOnly = values['read-only'] === true;
    const ctx = await openCliContext(values.config, io);
    const actor = { ...ctx.actor, ...(operator === undefined ? {} : { id: operator }), ...(readOnly ? { roles: ['viewer' as const] } : {}) };
    const server = createAdminMcpServer({
      application: ctx.application,
      actor,
      readOnly,
      config: () => redactConfig(ctx.config),
      // The metrics live in the server process; this one has served no traffic to count.
      metrics: null,
      onError: (e, tool) => io.err(`gatehouse mcp: ${tool} failed: ${e instanceof Error ? e.message : String(e)}`),
    });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      // MCP "stdio": the client ends the session by closing the server's standard input.
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    try {
      await server.connect(transport);
      io.err(`gatehouse mcp: serving ${readOnly ? 'the read tools' : 'every admin tool'} on stdio as operator ${actor.id}`);
      await closed;
    } finally {
      await server.close();
      await ctx.close();
    }
    return 0;
  },
};
