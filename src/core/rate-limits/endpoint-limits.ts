import { createAddressKeys } from './address-key-cache.ts';
import type { EventPublisher } from '../events.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';

/** Endpoints with a request budget (config `rateLimits.<name>`); health, readiness, metrics, JWKS, discovery and assets have none. */
export type LimitedEndpoint = 'token' | 'authorization' | 'par' | 'deviceAuthorization' | 'introspection' | 'revocation' | 'registration' | 'userinfo';

interface Policy {
  readonly perAddress: number;
  readonly perClient?: number;
  readonly window: number;
}

export interface EndpointLimitsConfig {
  readonly rateLimits: { readonly enabled: boolean; readonly clientAuthFailures?: unknown } & Readonly<Record<LimitedEndpoint, Policy>>;
}

/** A refused request: what the 429 says (`Retry-After`, `RateLimit-Policy`, `RateLimit`). */
export interface LimitRefusal {
  /** Policy name on the wire and in `rate_limit.hit`: `<endpoint>.address` or `<endpoint>.client`. */
  readonly policy: string;
  readonly limit: number;
  readonly window: number;
  readonly retryAfter: number;
}

export interface EndpointLimits {
  /** True when the endpoint has a per-address limit (the HTTP layer hooks only those routes). */
  byAddressLimited(endpoint: LimitedEndpoint): boolean;
  /** Counts one request from `address`; null while within budget. */
  byAddress(endpoint: LimitedEndpoint, address: string, route: string): Promise<LimitRefusal | null>;
  /** Counts one request of an authenticated client; null while within budget. */
  byClient(endpoint: LimitedEndpoint, clientId: string, route: string): Promise<LimitRefusal | null>;
}

/**
 * Per-address and per-client request budgets of the protocol endpoints (fixed windows on the
 * RateLimiter port, shared through Redis when configured). The per-client budget is counted only
 * once the client has authenticated: a budget keyed by a client_id anyone may name would let
 * anyone exhaust it and lock the client out. Every refusal publishes `rate_limit.hit`.
 */
export function createEndpointLimits(
  deps: { readonly rateLimiter: RateLimiter; readonly events: EventPublisher; readonly tenantId: string },
  config: EndpointLimitsConfig,
): EndpointLimits {
  const { enabled } = config.rateLimits;
  const policy = (e: LimitedEndpoint): Policy => config.rateLimits[e];
  // Key prefixes and policy names built once per endpoint, not per request.
  const ENDPOINTS = Object.keys(config.rateLimits).filter((k) => k !== 'enabled' && k !== 'clientAuthFailures') as LimitedEndpoint[];
  const byEndpoint = <T>(f: (e: LimitedEndpoint) => T) => Object.fromEntries(ENDPOINTS.map((e) => [e, f(e)])) as Record<LimitedEndpoint, T>;
  const addressPrefix = byEndpoint((e) => `rl:${deps.tenantId}:${e}:a:`);
  const clientPrefix = byEndpoint((e) => `rl:${deps.tenantId}:${e}:c:`);
  const addressKeys = createAddressKeys();

  function refuse(name: string, limit: number, window: number, retryAfter: number, route: string, clientId: string | null): LimitRefusal {
    deps.events.publish('rate_limit.hit', { tenantId: deps.tenantId, policy: name, route, clientId });
    return { policy: name, limit, window, retryAfter };
  }

  return {
    byAddressLimited: (e) => enabled && policy(e).perAddress > 0,
    async byAddress(e, address, route) {
      const p = policy(e);
      if (!enabled || p.perAddress <= 0) return null;
      const r = await deps.rateLimiter.hit(addressPrefix[e] + addressKeys(address), p.perAddress, p.window);
      return r.allowed ? null : refuse(`${e}.address`, p.perAddress, p.window, r.retryAfter, route, null);
    },
    async byClient(e, clientId, route) {
      const p = policy(e);
      const limit = p.perClient ?? 0;
      if (!enabled || limit <= 0) return null;
      const r = await deps.rateLimiter.hit(clientPrefix[e] + clientId, limit, p.window);
      return r.allowed ? null : refuse(`${e}.client`, limit, p.window, r.retryAfter, route, clientId);
    },
  };
}
