import { addressKey } from '../address-key.ts';
import type { EventPublisher } from '../events.ts';
import type { AuthenticationContext } from '../model/authorization-code.ts';
import type { Client } from '../model/client.ts';
import type { DeviceCodeRecord } from '../model/device-code.ts';
import { parseScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ClientStore } from '../ports/client-store.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { DeviceCodeStore } from '../ports/device-code-store.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';
import type { SessionStore } from '../ports/session-store.ts';
import { formatUserCode, hashUserCode, normalizeUserCode } from './user-code.ts';

/** A pending device authorization found by its user code, ready for the confirm page. */
export interface PendingDevice {
  readonly record: DeviceCodeRecord;
  readonly client: Client;
  /** The code as shown (`XXXX-XXXX`), for the confirm page to repeat. */
  readonly userCode: string;
  /** Requested scope values, for the confirm page to describe. */
  readonly scope: readonly string[];
}

export interface DeviceVerificationDeps {
  readonly deviceCodes: DeviceCodeStore;
  readonly clients: Pick<ClientStore, 'get'>;
  readonly sessions: Pick<SessionStore, 'addClient'>;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly rateLimiter: Pick<RateLimiter, 'hit'>;
  readonly tenantId: TenantId;
}

/** The `device` config slice (S20): user-code lookups allowed per address per minute. */
export interface DeviceVerificationConfig {
  readonly device: { readonly userCodeMaxAttempts: number };
}

/** Window of `device.userCodeMaxAttempts` (the config counts attempts per minute). */
const ATTEMPT_WINDOW = 60;

/** A user-code lookup on the verification page: throttled, not a usable code, or found. */
export type DeviceLookup =
  | { readonly kind: 'throttled'; readonly retryAfter: number }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'found'; readonly device: PendingDevice };

export interface DeviceVerification {
  /**
   * The pending authorization a user code names, or null. Unknown, mistyped, expired and already
   * decided codes, and codes of a disabled or deleted client, all give the same null, so the page
   * tells an attacker nothing (RFC 8628 §5.1). Rate limiting is the caller's (http) job.
   */
  find(userCodeInput: string): Promise<PendingDevice | null>;
  /**
   * `find`, counted against the address first. RFC 8628 §5.1: "the authorization server SHOULD
   * rate-limit user code verification attempts" — user codes are short, so every lookup from an
   * address counts (`device.userCodeMaxAttempts` per minute), found or not.
   */
  lookup(userCodeInput: string, address: string): Promise<DeviceLookup>;
  /**
   * RFC 8628 §3.3: the user approved; false when the code was decided or expired meanwhile. The
   * client is recorded on the approving account (`auth.sid`), as an authorization completion
   * does, so front-/back-channel logout reaches the device's RP too.
   */
  approve(device: PendingDevice, auth: AuthenticationContext): Promise<boolean>;
  /** RFC 8628 §3.3: the user denied; false when the code was decided or expired meanwhile. */
  deny(device: PendingDevice): Promise<boolean>;
}

/** The user side of RFC 8628 §3.3: look up a user code, then approve or deny it (once). */
export function createDeviceVerification(deps: DeviceVerificationDeps, config: DeviceVerificationConfig): DeviceVerification {
  const { deviceCodes, clients, tenantId } = deps;
  const now = () => epochSeconds(deps.clock);
  const decided = (device: PendingDevice, status: 'approved' | 'denied') => {
    deps.events.publish('device_code.decided', { tenantId, clientId: device.client.clientId, status });
  };

  async function find(userCodeInput: string): Promise<PendingDevice | null> {
    const normalized = normalizeUserCode(userCodeInput);
    if (normalized === null) return null;
    const record = await deviceCodes.findByUserCode(tenantId, hashUserCode(normalized));
    if (!record || record.status !== 'pending' || record.expiresAt <= now()) return null;
    const client = await clients.get(tenantId, record.clientId);
    if (!client || client.disabled) return null;
    return { record, client, userCode: formatUserCode(normalized), scope: parseScope(record.scope) ?? [] };
  }

  return {
    find,

    async lookup(userCodeInput, address) {
      const hit = await deps.rateLimiter.hit(`device:ip:${addressKey(address)}`, config.device.userCodeMaxAttempts, ATTEMPT_WINDOW);
      if (!hit.allowed) return { kind: 'throttled', retryAfter: Math.max(1, hit.retryAfter) };
      const device = await find(userCodeInput);
      return device ? { kind: 'found', device } : { kind: 'unknown' };
    },

    async approve(device, auth) {
      if (device.record.expiresAt <= now()) return false;
      // S4: one compare-and-set from 'pending'; a second decision (another tab) is refused.
      const ok = await deviceCodes.decide(tenantId, device.record.hash, { status: 'approved', auth, grantedScope: device.record.scope });
      if (!ok) return false;
      await deps.sessions.addClient(tenantId, auth.sid, device.client.clientId);
      decided(device, 'approved');
      return true;
    },

    async deny(device) {
      if (device.record.expiresAt <= now()) return false;
      const ok = await deviceCodes.decide(tenantId, device.record.hash, { status: 'denied' });
      if (ok) decided(device, 'denied');
      return ok;
    },
  };
}
