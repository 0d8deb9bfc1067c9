import { z } from 'zod';
import { listFields, toListQuery, toListResult } from './paging.ts';
import { defineUseCase } from './use-case.ts';

/** A pending RFC 8628 device authorization as operators see it: never the device or user code (only hashes are stored, S5). */
export interface DeviceCodeView {
  /** The SHA-256 of the device code (the stored key), shortened: enough to tell requests apart. */
  readonly id: string;
  readonly client_id: string;
  readonly scope: string;
  readonly issued_at: number;
  readonly expires_at: number;
  readonly last_polled_at: number | null;
  readonly interval: number;
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
        id: d.hash.slice(0, 12),
        client_id: d.clientId,
        scope: d.scope,
        issued_at: d.issuedAt,
        expires_at: d.expiresAt,
        last_polled_at: d.lastPolledAt,
        interval: d.interval,
      }),
    ),
});

export const deviceCodeUseCases = { list: listDeviceCodesUseCase } as const;
