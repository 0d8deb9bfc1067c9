import type { Config } from '../config/schema.ts';
import type { AuthorizationService } from '../core/authorize/types.ts';
import type { ClientAuthenticator } from '../core/client-auth/types.ts';
import type { EventBus } from '../core/events.ts';
import type { IdTokenHintVerifier, IdTokenIssuer } from '../core/id-token/types.ts';
import type { RequestObjects } from '../core/jar/request-object.ts';
import type { KeyManager } from '../core/keys/key-manager.ts';
import type { PushedRequests } from '../core/par/pushed-requests.ts';
import type { User } from '../core/model/user.ts';
import type { Ports, Storage } from '../core/ports/index.ts';
import type { SessionService } from '../core/session/session-service.ts';
import type { BackchannelDelivery } from '../logout/backchannel-delivery.ts';
import type { Csrf } from './csrf.ts';
import type { PageKit } from './pages/layout.ts';
import type { AccessTokenIssuer } from '../core/tokens/issue-access-token.ts';
import type { UserSubjects } from '../core/tokens/user-subject.ts';

/** What routes receive: built once by the composition root (src/main.ts). */
export interface AppContext {
  readonly config: Config;
  readonly ports: Ports;
  readonly storage: Storage;
  readonly keys: KeyManager;
  readonly clientAuth: ClientAuthenticator;
  /** Signs ID tokens; `subjectFor` gives the (public or pairwise) `sub` a client sees. */
  readonly idTokens: IdTokenIssuer;
  /** Plans and issues access tokens (JWT or opaque) for every grant and the authorization endpoint. */
  readonly accessTokens: AccessTokenIssuer;
  /** The `sub` a client sees for a user in access tokens, and the sealed user id behind a pairwise one. */
  readonly subjects: UserSubjects;
  /** Verifies `id_token_hint` / logout hints issued by this server. */
  readonly idTokenHints: IdTokenHintVerifier;
  /** Sends back-channel Logout Tokens in the background (closed after the app on shutdown). */
  readonly logoutNotifier: BackchannelDelivery;
  readonly events: EventBus;
  /** RFC 9101 request objects (client keys cached): plugged into the authorization endpoint and PAR. */
  readonly requestObjects: RequestObjects;
  /** RFC 9126 pushed requests: stored by `POST /par`, taken once by the authorization endpoint. */
  readonly pushedRequests: PushedRequests;
  /** The authorization endpoint core (resolve → decide → complete) behind /authorize and its pages. */
  readonly authorization: AuthorizationService;
  /** Checks a username and password (argon2id off the event loop): the user, or null for any failure alike. */
  readonly authenticateUser: (username: string, password: string) => Promise<User | null>;
  /** Browser sessions (sign-in, accounts, expiry); cookies are set by http/session-cookie.ts. */
  readonly sessions: SessionService;
  /** Page layout, assets and helpers shared by every server-rendered page. */
  readonly pages: PageKit;
  /** CSRF tokens for every form (signed double-submit, key derived from the KEK). */
  readonly csrf: Csrf;
  /** The tenant this server exposes (only the default tenant for now). */
  readonly tenantId: string;
  /** Key-encryption key (32 bytes). */
  readonly kek: Buffer;
  /** Set when the server starts draining on shutdown: readiness turns 503. */
  readonly lifecycle: { draining: boolean };
}

/** Absolute URL of an endpoint under the issuer (issuer may carry a path). */
export function endpointUrl(config: Pick<Config, 'issuer'>, path: string): string {
  return config.issuer.replace(/\/$/, '') + path;
}
