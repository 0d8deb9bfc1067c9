import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { listFields, toListQuery, toListResult } from './paging.ts';
import { defineUseCase } from './use-case.ts';

/** A pending RFC 8628 device authorization request; never the device code or the user code. */
export interface DeviceCodeView {
  /**
   * The request's id: the SHA-256 of its device code as stored (S5). It names the request to
   * operators (device_codes.deny takes it); it cannot be used to poll the token endpoint (that
   * takes the device code itself).
   */
  readonly id: string;
  readonly client_id: string;
  readonly scope: string;
  readonly resources: readonly string[];
  readonly issued_at: number;
  readonly expires_at: number;
  readonly interval: number;
  readonly last_polled_at: number | null;
}

export const listDeviceCodesUseCase = defineUseCase({
  name: 'device_codes.list',
  summary: 'Pending device authorization requests (RFC 8628), not yet approved, denied or expired; q is a client id prefix',
  role: 'viewer',
  input: z.strictObject(listFields(['issued_at'], 'issued_at')),
  event: null,
  handle: async (ctx, input) =>
    toListResult(
      await ctx.deps.deviceCodes.pagePending(ctx.deps.tenantId, ctx.now(), toListQuery(input, ['issued_at'])),
      (d): DeviceCodeView => ({
        id: d.hash,
        client_id: d.clientId,
        scope: d.scope,
        resources: [...d.resources],
        issued_at: d.issuedAt,
        expires_at: d.expiresAt,
        interval: d.interval,
        last_polled_at: d.lastPolledAt,
      }),
    ),
});

export const denyDeviceCodeUseCase = defineUseCase({
  name: 'device_codes.deny',
  summary: 'Deny a pending device authorization request: the device is told access_denied at its next poll (RFC 8628 §3.5)',
  role: 'operator',
  input: z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'a device authorization id from device_codes.list') }),
  event: 'device_code.decided',
  handle: async (ctx, input) => {
    const row = await ctx.deps.deviceCodes.get(ctx.deps.tenantId, input.id);
    // S4: the deny itself is the store's compare-and-set from pending; the read above only finds
    // the client for the event (a request decided or expired meanwhile makes it a 404).
    if (!row || row.expiresAt <= ctx.now() || !(await ctx.deps.deviceCodes.decide(ctx.deps.tenantId, input.id, { status: 'denied' }))) {
      throw new GatehouseError('GH_NOT_FOUND', `no pending device authorization ${input.id}`);
    }
    ctx.emit({ clientId: row.clientId, status: 'denied' });
    return { id: input.id, client_id: row.clientId, status: 'denied' as const };
  },
});

export const deviceCodeUseCases = { list: listDeviceCodesUseCase, deny: denyDeviceCodeUseCase } as const;
