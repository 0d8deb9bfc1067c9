import { hash } from 'node:crypto';
import type { TenantId } from './tenant.ts';

/** Who did it: an end user, an OAuth client, an admin API user or client, a CLI operator, or the server itself. */
export type AuditActorKind = 'user' | 'client' | 'admin_user' | 'admin_client' | 'cli' | 'system';

/** `denied`: refused by a role check; `failed`: refused or failed otherwise (`errorCode` says why). */
export type AuditOutcome = 'success' | 'denied' | 'failed';

/** What a caller appends; the store assigns `seq`, `prevHash` and `hash`. */
export interface AuditEntry {
  readonly tenantId: TenantId;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly actor: { readonly kind: AuditActorKind; readonly id: string };
  /** The use case name (`clients.create`), or `audit.checkpoint` for a retention checkpoint. */
  readonly action: string;
  readonly object: { readonly type: string; readonly id: string | null };
  /** Where the actor acted from: an IP address, `cli:<host>`, or `system`. */
  readonly origin: string;
  readonly outcome: AuditOutcome;
  /** The stable error code (GH_FORBIDDEN, GH_NOT_FOUND, …) for `denied` and `failed`; null on success. */
  readonly errorCode: string | null;
  /** Small, secret-free JSON object (at most AUDIT_DETAIL_MAX_CHARS as canonical JSON). */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A stored record: one link of the tenant's hash chain. */
export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3, … per tenant, without gaps. */
  readonly seq: number;
  /** `hash` of the record with seq − 1; AUDIT_GENESIS_HASH for seq 1. */
  readonly prevHash: string;
  readonly hash: string;
}

/** The chain head of a tenant: the newest record's seq and hash (0 / genesis when empty). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

export const AUDIT_GENESIS_HASH = '0'.repeat(64);
export const AUDIT_CHECKPOINT_ACTION = 'audit.checkpoint';
export const AUDIT_DETAIL_MAX_CHARS = 2000;

/** JSON with object keys sorted (recursively) and no whitespace: the one serialisation of `detail`. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The hash of a record (docs/audit.md): lowercase hex SHA-256 of the UTF-8 bytes of
 * JSON.stringify of the array
 * `["gatehouse-audit-v1", tenantId, seq, time, actorKind, actorId, action, objectType, objectId,
 *   origin, outcome, errorCode, canonicalJson(detail), prevHash]`.
 */
export function auditHash(r: Omit<AuditRecord, 'hash'>): string {
  const fields = [
    'gatehouse-audit-v1',
    r.tenantId,
    r.seq,
    r.time,
    r.actor.kind,
    r.actor.id,
    r.action,
    r.object.type,
    r.object.id,
    r.origin,
    r.outcome,
    r.errorCode,
    canonicalJson(r.detail),
    r.prevHash,
  ];
  return hash('sha256', JSON.stringify(fields), 'hex');
}

/** The record that follows `head`: seq, prev_hash and hash filled in. */
export function chainRecord(entry: AuditEntry, head: AuditHead): AuditRecord {
  const partial = { ...entry, seq: head.seq + 1, prevHash: head.hash };
  return { ...partial, hash: auditHash(partial) };
}
