import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Actor, Application } from '../app/index.ts';
import { GatehouseError } from '../core/errors.ts';
import { GATEHOUSE_VERSION } from '../metrics/build-info.ts';
import type { MetricsSummary } from '../metrics/summary.ts';
import { adminTools, structured, type AdminTool } from './tools.ts';

export const CONFIG_RESOURCE = 'gatehouse://config';
export const METRICS_RESOURCE = 'gatehouse://metrics/summary';
export const METRICS_TOOL = 'metrics_summary';

export interface AdminMcpOptions {
  readonly application: Pick<Application, 'catalog' | 'run'>;
  /** Who every tool call acts as: role-checked, audited and stamped on events like the CLI. */
  readonly actor: Actor;
  /** Lists and accepts only the read tools (a `gatehouse:admin.read` token). */
  readonly readOnly: boolean;
  /** The effective configuration with secrets redacted (src/config/redact.ts). */
  readonly config: () => Record<string, unknown>;
  /** The metrics summary of this process's registry; null where there is none (metrics off, stdio). */
  readonly metrics: (() => Promise<MetricsSummary>) | null;
  /** Told about an unexpected failure (not a GatehouseError), which the caller sees only as GH_INTERNAL. */
  readonly onError?: (error: unknown, tool: string) => void;
}

const METRICS_TOOL_DEF = {
  name: METRICS_TOOL,
  description:
    'A summary of the Prometheus metrics this server instance exposes at /metrics (docs/metrics.md): per metric, counters and gauges summed over their labels, histograms counted. Needs the viewer role.',
  inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  outputSchema: { type: 'object', properties: { generated_at: { type: 'string' }, metrics: { type: 'array' } }, required: ['generated_at', 'metrics'] },
  annotations: { title: 'metrics.summary', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
} as const;

/** The text every result carries besides `structuredContent` (MCP: "SHOULD also return the serialized JSON in a TextContent block"). */
const asResult = (out: unknown): CallToolResult => {
  const content = structured(out);
  return { content: [{ type: 'text', text: JSON.stringify(out, null, 2) }], structuredContent: content };
};

/** MCP "Error Handling": a failed tool call is a result with `isError`, the operator code first, never a stack trace. */
const asError = (code: string, message: string): CallToolResult => ({ content: [{ type: 'text', text: `${code}: ${message}` }], isError: true });

/**
 * The Gatehouse MCP admin server: one tool per application use case (generated from the
 * catalogue), `metrics_summary`, and two resources (redacted configuration, metrics summary).
 * Every call is `application.run(useCase, actor, arguments)`, so it is role-checked, validated,
 * audited and emits its event exactly as the CLI and the admin API do (S18).
 *
 * Built on the SDK's low-level `Server`: the tools' JSON Schemas come from the catalogue at run
 * time and the use case validates its own input (GH_INVALID_INPUT naming every bad path), which
 * `McpServer`'s compile-time zod shapes would duplicate.
 */
export function createAdminMcpServer(opts: AdminMcpOptions): Server {
  const tools = adminTools(opts.application.catalog).filter((t) => !opts.readOnly || t.annotations.readOnlyHint);
  const byName = new Map<string, AdminTool>(tools.map((t) => [t.name, t]));
  const server = new Server(
    { name: 'gatehouse', title: 'Gatehouse admin', version: GATEHOUSE_VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'Administers this Gatehouse OAuth 2.1 / OpenID Connect server: clients, users, grants and tokens, sessions, consents, signing keys and the audit log. Every call is audited under your operator identity. Tools marked destructive take effect at once and cannot be undone.',
    },
  );

  server.setRequestHandler(
    ListToolsRequestSchema,
    () =>
      ({
        tools: [
          ...tools.map((t) => ({
            name: t.name,
            title: t.annotations.title,
            description: t.description,
            inputSchema: t.inputSchema,
            outputSchema: t.outputSchema,
            annotations: t.annotations,
          })),
          ...(opts.metrics ? [METRICS_TOOL_DEF] : []),
        ],
      }) as never,
  );

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    if (name === METRICS_TOOL && opts.metrics) {
      if (args && Object.keys(args).length) return asError('GH_INVALID_INPUT', `${METRICS_TOOL} takes no arguments`);
      return asResult(await opts.metrics());
    }
    const tool = byName.get(name);
    // MCP "Error Handling": an unknown tool is a protocol error (-32602), not a tool result.
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name.slice(0, 64)}`);
    try {
      return asResult(await opts.application.run(tool.useCase, opts.actor, args ?? {}));
    } catch (e) {
      if (e instanceof GatehouseError) return asError(e.code, e.message);
      opts.onError?.(e, name);
      return asError('GH_INTERNAL', 'the operation failed unexpectedly; the server log has the error');
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: [
      {
        uri: CONFIG_RESOURCE,
        name: 'config',
        title: 'Effective configuration',
        description: 'The configuration this server runs with, secrets redacted',
        mimeType: 'application/json',
      },
      ...(opts.metrics
        ? [
            {
              uri: METRICS_RESOURCE,
              name: 'metrics',
              title: 'Metrics summary',
              description: 'The metrics_summary tool as a resource',
              mimeType: 'application/json',
            },
          ]
        : []),
    ],
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    let body: unknown;
    if (uri === CONFIG_RESOURCE) body = opts.config();
    else if (uri === METRICS_RESOURCE && opts.metrics) body = await opts.metrics();
    // MCP "Resources / Error Handling": Resource not found: -32002.
    else throw new McpError(-32002, 'Resource not found', { uri: uri.slice(0, 200) });
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
  });

  return server;
}
