import type { Application } from '../app/index.ts';
import type { Config } from '../config/schema.ts';
import type { AuthorizationService } from '../core/authorize/types.ts';
import type { ClientAuthenticator } from '../core/client-auth/types.ts';
import type { DeviceAuthorization } from '../core/device-authorization/device-authorization.ts';
import type { DeviceVerification } from '../core/device-authorization/device-verification.ts';
import type { EndSession } from '../core/end-session/end-session-service.ts';
import type { EventBus } from '../core/events.ts';
import type { Introspector } from '../core/introspection/introspect.ts';
import type { EndpointLimits } from '../core/rate-limits/endpoint-limits.ts';
import type { KeyManager } from '../core/keys/key-manager.ts';
import type { PushedRequests } from '../core/par/pushed-requests.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Storage } from '../core/ports/storage.ts';
import type { Tracing } from '../core/ports/tracing.ts';
import type { Registration } from '../core/registration/registration-service.ts';
import type { Revoker } from '../core/revocation/revoke.ts';
import type { AccountViews } from '../core/session/account-views.ts';
import type { SessionService } from '../core/session/session-service.ts';
import type { TokenEndpoint } from '../core/token/token-endpoint.ts';
import type { UserInfo } from '../core/userinfo/userinfo.ts';
import type { AccessTokenVerifier } from '../core/tokens/access-token-verifier.ts';
import type { PasswordSignIn } from '../core/users/password-sign-in.ts';
import type { GatehouseMetrics } from '../metrics/prometheus.ts';
import type { Resilience } from '../resilience/index.ts';
import type { ConsoleSessions } from './console/console-session.ts';
import type { Csrf } from './csrf.ts';
import type { InteractionSealer } from './interaction.ts';
import type { PageKit } from './pages/layout.ts';
import type { DpopVerifier } from '../core/dpop/dpop-proof.ts';

/**
 * What routes receive: finished services, built once by the composition root (src/compose.ts).
 * Route modules take a `Pick` of it (S6) and construct nothing.
 */
export interface AppContext {
  readonly config: Config;
  /** The tenant this server exposes (only the default tenant for now). */
  readonly tenantId: string;
  readonly clock: Clock;
  /** Readiness pings the store; nothing else in http/ touches it. */
  readonly storage: Pick<Storage, 'ping' | 'dialect'>;
  /** Signing keys: JWKS, the admin key routes, readiness. */
  readonly keys: KeyManager;
  readonly events: EventBus;
  readonly clientAuth: ClientAuthenticator;
  /** Per-address and per-client request budgets of the protocol endpoints (429 + RateLimit headers). */
  readonly limits: EndpointLimits;
  /** The token endpoint: grant registry (discovery lists the same grants) and dispatch. */
  readonly tokenEndpoint: TokenEndpoint;
  readonly introspector: Introspector;
  readonly revoker: Revoker;
  readonly userinfo: UserInfo;
  /** Bearer access tokens at Gatehouse's own protected resources (the admin API, src/http/resource-server). */
  readonly accessTokenVerifier: AccessTokenVerifier;
  /** RFC 9449 DPoP proof verification (token endpoint, PAR, UserInfo, resource-server kit). */
  readonly dpop: DpopVerifier;
  readonly deviceAuthorization: DeviceAuthorization;
  /** The /device pages: user-code lookups (throttled per address in core), approve, deny. */
  readonly deviceVerification: DeviceVerification;
  /** RFC 9126 pushed requests: stored by `POST /par`, taken once by the authorization endpoint. */
  readonly pushedRequests: PushedRequests;
  /** The authorization endpoint core (resolve → decide → complete) behind /authorize and its pages. */
  readonly authorization: AuthorizationService;
  /** Password sign-in with its brute-force policy: ok / throttled / failed. */
  readonly signIn: PasswordSignIn;
  /** Browser sessions (sign-in, accounts, expiry); cookies are set by http/session-cookie.ts. */
  readonly sessions: SessionService;
  /** Usernames and chooser entries for the pages. */
  readonly accountViews: AccountViews;
  /** RP-Initiated Logout: validate, decide, log out and notify RPs. */
  readonly endSession: EndSession;
  /** RFC 7591 / RFC 7592 dynamic registration. */
  readonly registration: Registration;
  /** Page layout, assets and helpers shared by every server-rendered page. */
  readonly pages: PageKit;
  /** CSRF tokens for every form (signed double-submit, key derived from the KEK). */
  readonly csrf: Csrf;
  /** Seals the authorization request into the pages' forms (key derived from the KEK). */
  readonly interactions: InteractionSealer;
  /** The admin console's sign-in flow and session cookies (null when `console.enabled` is false). */
  readonly console: ConsoleSessions | null;
  /** Prometheus metrics (fed by the event bus), or null when `metrics.enabled` is false. */
  readonly metrics: GatehouseMetrics | null;
  /** OpenTelemetry tracing, or null when no OTLP endpoint is set (then no tracing hook exists). */
  readonly tracing: Tracing | null;
  /** The operator use cases (admin routes act through them, S18). */
  readonly application: Application;
  /** Circuit breakers of the store, Redis and outbound destinations: readiness reports the open ones. */
  readonly resilience: Pick<Resilience, 'breakers'>;
  /**
   * In a `serve --workers N` worker: the primary's /metrics scrape aggregated over every worker
   * (the console dashboard shows all workers with it). Absent in a single process.
   */
  readonly clusterMetrics?: () => Promise<string>;
  /** Set when the server starts draining on shutdown: readiness turns 503. */
  readonly lifecycle: { draining: boolean };
}

/** Absolute URL of an endpoint under the issuer (issuer may carry a path). */
export function endpointUrl(config: Pick<Config, 'issuer'>, path: string): string {
  return config.issuer.replace(/\/$/, '') + path;
}
