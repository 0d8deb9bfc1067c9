import { GatehouseError } from '../core/errors.ts';
import { AUDIT_DETAIL_MAX_CHARS, canonicalJson, type AuditEntry, type AuditOutcome } from '../core/model/audit.ts';
import type { Actor } from './actor.ts';
import type { AppDeps } from './deps.ts';

type Obj = AuditEntry['object'];

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, 255) : null);
const field = (o: unknown, k: string): unknown => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined);

/**
 * The object a use case acted on, from its input (raw: a refused call's input may be invalid)
 * or, for a creation, its result. The type is the aggregate (`client`, `user`, `grant`, …).
 */
export function auditObject(name: string, raw: unknown, output?: unknown): Obj {
  const user = str(field(raw, 'user'));
  const client = str(field(raw, 'client_id'));
  switch (name) {
    case 'clients.create':
      return { type: 'client', id: str(field(field(output, 'client'), 'client_id')) };
    case 'users.create':
      return { type: 'user', id: str(field(output, 'id')) ?? str(field(raw, 'username')) };
    case 'grants.revoke':
      return { type: 'grant', id: str(field(raw, 'grant_id')) };
    case 'grants.revoke_for_client':
      return { type: 'client', id: client };
    case 'sessions.end':
      return { type: 'session', id: str(field(raw, 'sid')) };
    case 'consents.revoke':
      return { type: 'consent', id: user && client ? `${user}/${client}` : (user ?? client) };
    case 'keys.rotate':
      return { type: 'signing_key', id: Array.isArray(field(raw, 'algs')) ? (field(raw, 'algs') as unknown[]).map(String).join(',').slice(0, 255) : '*' };
    case 'kek.rotate':
      return { type: 'kek', id: null };
    case 'audit.purge':
      return { type: 'audit', id: null };
    case 'data.import':
      return { type: 'data', id: str(field(raw, 'mode')) ?? 'create' };
    case 'data.export':
      return { type: 'data', id: null };
    case 'device_codes.deny':
      return { type: 'device_code', id: str(field(raw, 'id')) };
  }
  if (name.startsWith('clients.')) return { type: 'client', id: client };
  return { type: name.split('.')[0]!.replace(/s$/, ''), id: user ?? client };
}

/** Input members that are never recorded, not even by name. */
const SECRET_MEMBERS = new Set(['password', 'client_secret', 'secret']);

/**
 * Small and secret-free: the names of the input members (what was asked, never a value: a
 * value may be a password or personal data), the interface, and for a refusal the message.
 */
export function auditDetail(raw: unknown, via: string, error?: GatehouseError): Record<string, unknown> {
  const input =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? Object.keys(raw)
          .filter((k) => !SECRET_MEMBERS.has(k))
          .sort()
          .slice(0, 32)
      : [];
  const detail: Record<string, unknown> = { via, input };
  if (error) detail['message'] = error.message.slice(0, 300);
  // Bounded whatever the input: keep the essentials if it would not fit.
  return canonicalJson(detail).length <= AUDIT_DETAIL_MAX_CHARS ? detail : { via, truncated: true };
}

/** `denied` for a role refusal, `failed` for everything else; the code is the operator code (or `internal`). */
export function outcomeOf(e: unknown): { outcome: AuditOutcome; errorCode: string } {
  if (e instanceof GatehouseError) return { outcome: e.code === 'GH_FORBIDDEN' ? 'denied' : 'failed', errorCode: e.code };
  return { outcome: 'failed', errorCode: 'internal' };
}

/** The record of one use case call. */
export function auditEntry(
  deps: Pick<AppDeps, 'tenantId' | 'clock'>,
  actor: Actor,
  name: string,
  object: Obj,
  result: { outcome: AuditOutcome; errorCode: string | null },
  detail: Record<string, unknown>,
): AuditEntry {
  return {
    tenantId: deps.tenantId,
    time: deps.clock.now(),
    actor: { kind: actor.kind, id: actor.id },
    action: name,
    object,
    origin: actor.origin ?? 'unknown',
    outcome: result.outcome,
    errorCode: result.errorCode,
    detail,
  };
}

/**
 * Writes a use case's audit record in a transaction of its own (refusals and failures; the
 * success record of a use case that runs outside a unit of work). On success the change is already made: if the record cannot
 * be written the operation fails closed (GH_AUDIT_FAILED, the caller is told the change WAS
 * applied, the record goes to `onAuditFailure` for the logs). For a refusal the original error
 * stands (nothing changed) and the missing record is reported the same way.
 */
export async function writeAudit(
  deps: Pick<AppDeps, 'audit' | 'tenantId' | 'clock' | 'onAuditFailure'>,
  actor: Actor,
  name: string,
  object: Obj,
  result: { outcome: AuditOutcome; errorCode: string | null },
  detail: Record<string, unknown>,
): Promise<GatehouseError | null> {
  const entry = auditEntry(deps, actor, name, object, result, detail);
  try {
    await deps.audit.append(entry);
    return null;
  } catch (e) {
    deps.onAuditFailure?.(entry, e);
    return new GatehouseError(
      'GH_AUDIT_FAILED',
      `${name}: the audit record could not be written (${e instanceof GatehouseError ? e.code : 'store error'})` +
        (result.outcome === 'success' ? '; the change WAS applied' : ''),
    );
  }
}
