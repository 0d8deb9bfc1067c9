import type { FastifyError, FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { GatehouseError, gatehouseErrorStatus, OAuthError } from '../../../core/errors.ts';

/** RFC 9457 §3: a problem details object, plus `code` (the GatehouseError or OAuth error code). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * RFC 9457 §4.2.1: with `type` "about:blank" the title is the status's reason phrase; the
 * machine-readable kind is the `code` extension member (§3.2). A 5xx never says why (S7).
 */
function problem(status: number, code: string, detail: string | undefined): Problem {
  const title = STATUS_CODES[status] ?? 'Error';
  return { type: 'about:blank', title, status, code, ...(detail && status < 500 ? { detail } : {}) };
}

/** Any thrown value as a problem, and the headers to send with it. */
export function toProblem(err: unknown): { problem: Problem; headers: Readonly<Record<string, string>> } {
  if (err instanceof PreconditionFailed)
    return { problem: problem(gatehouseErrorStatus('GH_PRECONDITION_FAILED'), 'GH_PRECONDITION_FAILED', err.message), headers: {} };
  if (err instanceof UnsupportedMediaType) return { problem: problem(415, 'GH_INVALID_INPUT', err.message), headers: {} };
  if (err instanceof OAuthError) return { problem: problem(err.status, err.code, err.description), headers: err.headers };
  if (err instanceof GatehouseError) return { problem: problem(gatehouseErrorStatus(err.code), err.code, err.message), headers: {} };
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  const code = typeof fe.code === 'string' ? fe.code : '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { problem: problem(413, 'GH_INVALID_INPUT', 'request body too large'), headers: {} };
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { problem: problem(415, 'GH_INVALID_INPUT', 'unsupported content type'), headers: {} };
  if (code.startsWith('FST_ERR_CTP_') || fe.statusCode === 400) return { problem: problem(400, 'GH_INVALID_INPUT', 'malformed request body'), headers: {} };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { problem: problem(fe.statusCode, 'GH_INVALID_INPUT', 'invalid request'), headers: {} };
  }
  return { problem: problem(500, 'GH_INTERNAL', undefined), headers: {} };
}

export function sendProblem(reply: FastifyReply, err: unknown): FastifyReply {
  const { problem: p, headers } = toProblem(err);
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(p.status).header('cache-control', 'no-store').type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

/** RFC 9110 §13.1.1: the `If-Match` condition did not hold (412). */
export class PreconditionFailed extends Error {}

/** RFC 9110 §15.5.16: the body's media type is not one the route takes (415); the message says which are. */
export class UnsupportedMediaType extends Error {}

/** The problem schema for the OpenAPI document. */
export const problemSchema = {
  description: 'RFC 9457 problem details (application/problem+json)',
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'GatehouseError code (GH_*) or OAuth error code (invalid_token, insufficient_scope)' },
  },
} as const;
