import { OAuthError } from '../errors.ts';
import type { AccessTokenFormat } from '../model/client.ts';

/** A registry entry as configured (`config.resources`); `audience` defaults to the identifier. */
export interface ResourceConfig {
  readonly identifier: string;
  readonly audience?: string | undefined;
  readonly scopes: readonly string[];
  readonly accessTokenFormat?: AccessTokenFormat | undefined;
  readonly accessTokenTtl?: number | undefined;
}

export interface ResourceRegistryConfig {
  readonly resources: readonly ResourceConfig[];
  readonly requireResourceRegistration: boolean;
}

/** What the requested `resource` values mean for the access token. */
export interface AccessTokenTarget {
  /** `aud` values, in request order, without duplicates; empty when no resource was requested. */
  readonly audience: readonly string[];
  /** Scopes the requested resources accept together; null = any scope the client may have. */
  readonly acceptedScopes: ReadonlySet<string> | null;
  /** Format demanded by the resources, if any. */
  readonly format: AccessTokenFormat | undefined;
  /** Shortest lifetime configured for the resources, if any. */
  readonly ttl: number | undefined;
}

const NO_TARGET: AccessTokenTarget = { audience: [], acceptedScopes: null, format: undefined, ttl: undefined };
const MAX_RESOURCES = 16;
const MAX_RESOURCE_LENGTH = 2048;

export interface ResourceRegistry {
  /** Resolves RFC 8707 `resource` values; throws invalid_target. */
  resolve(values: readonly string[]): AccessTokenTarget;
}

/** RFC 8707 §2: an absolute URI (RFC 3986 §4.3) that MUST NOT include a fragment component. */
function isAbsoluteUriWithoutFragment(value: string): boolean {
  if (value.length > MAX_RESOURCE_LENGTH || value.includes('#')) return false;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/.test(value)) return false;
  return URL.canParse(value);
}

/**
 * The resource server registry (RFC 8707). Unregistered URIs become the audience as they are,
 * unless `requireResourceRegistration` is set.
 */
export function createResourceRegistry(config: ResourceRegistryConfig): ResourceRegistry {
  const byId = new Map(config.resources.map((r) => [r.identifier, r] as const));
  const registry: ResourceRegistry = {
    resolve(values) {
      if (values.length === 0) return NO_TARGET;
      // The usual request names one registered resource: its target was resolved at start.
      if (values.length === 1) {
        const known = single.get(values[0]!);
        if (known) return known;
      }
      if (values.length > MAX_RESOURCES) throw OAuthError.invalidTarget('too many resource parameters');
      const audience: string[] = [];
      let accepted: Set<string> | null = new Set();
      let format: AccessTokenFormat | undefined;
      let ttl: number | undefined;
      for (const value of values) {
        // RFC 8707 §2: "Its value MUST be an absolute URI [...] and MUST NOT include a fragment
        // component." Otherwise: "invalid_target: The requested resource is invalid, missing,
        // unknown, or malformed."
        if (!isAbsoluteUriWithoutFragment(value)) throw OAuthError.invalidTarget('resource must be an absolute URI without a fragment');
        const entry = byId.get(value);
        if (!entry) {
          if (config.requireResourceRegistration) throw OAuthError.invalidTarget('unknown resource', `resource ${value.slice(0, 200)}`);
          if (!audience.includes(value)) audience.push(value);
          accepted = null; // an unregistered resource restricts nothing
          continue;
        }
        const aud = entry.audience ?? entry.identifier;
        if (!audience.includes(aud)) audience.push(aud);
        if (entry.scopes.length === 0) accepted = null;
        else if (accepted) for (const s of entry.scopes) accepted.add(s);
        if (entry.accessTokenFormat) {
          if (format && format !== entry.accessTokenFormat) {
            throw OAuthError.invalidTarget('the requested resources need different access token formats; request them separately');
          }
          format = entry.accessTokenFormat;
        }
        if (entry.accessTokenTtl !== undefined) ttl = ttl === undefined ? entry.accessTokenTtl : Math.min(ttl, entry.accessTokenTtl);
      }
      return { audience, acceptedScopes: accepted, format, ttl };
    },
  };
  // Each registered resource alone, resolved once by the same rules (a malformed identifier is
  // left out, so a request naming it is still refused by them). Targets are never mutated.
  const single = new Map<string, AccessTokenTarget>();
  for (const id of byId.keys()) {
    try {
      const t = registry.resolve([id]);
      single.set(id, Object.freeze({ ...t, audience: Object.freeze([...t.audience]) }));
    } catch {
      /* refused per request, with the same error */
    }
  }
  return registry;
}
