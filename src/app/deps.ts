import type { AttributeDefinitions } from '../core/users/user-attributes.ts';
import type { ClientService } from '../core/clients/client-service.ts';
import type { LogoutNotifier } from '../core/end-session/logout-notifier.ts';
import type { KeyManager } from '../core/keys/key-manager.ts';
import type { AuditEntry } from '../core/model/audit.ts';
import type { SigningAlg } from '../core/model/key.ts';
import type { AuditStore, GrantStore, Ports, UserSessionStore } from '../core/ports/index.ts';
import type { UserService } from '../core/users/user-service.ts';

/** The config the use cases read (a slice of `Config`, S6). */
export interface ApplicationConfig {
  readonly env: 'development' | 'production';
  readonly issuer: string;
  readonly keys: { readonly algorithms: readonly SigningAlg[] };
  readonly tokens: {
    readonly accessTokenTtl: number;
    readonly idTokenSigningAlg: SigningAlg;
    readonly subjectType: 'public' | 'pairwise';
    readonly pairwiseSalt?: string | undefined;
  };
  readonly authorization: { readonly implicit: boolean; readonly allowUnsignedRequestObjects: boolean };
  readonly resources: readonly { readonly accessTokenTtl?: number | undefined }[];
  /** What disabling a user and changing its password also end (docs/security.md). */
  readonly users: {
    readonly revokeOnDisable: boolean;
    readonly revokeOnPasswordChange: boolean;
    /** Custom attributes (`users.attributes`): the sources a client's `claim_mappings` may name. */
    readonly attributes?: AttributeDefinitions | undefined;
  };
}

/** The ports the use cases touch (the grant and user-session read models are the operator's own). */
export type ApplicationPorts = Pick<
  Ports,
  'clients' | 'users' | 'tokens' | 'denylist' | 'consents' | 'deviceCodes' | 'clock' | 'random' | 'events' | 'rateLimiter'
> & {
  readonly grants: GrantStore;
  readonly userSessions: UserSessionStore;
};

/**
 * What `createApplication` needs: built once by the composition root (or the CLI context).
 * `keys` is the running KeyManager, so a rotation through the application is live at once in
 * the process that made it; `logoutNotifier` delivers Logout Tokens when sessions are ended;
 * `userService` and `clientService` are the process's own (the use cases pass their actor).
 */
export interface ApplicationDeps extends ApplicationPorts {
  readonly keys: Pick<KeyManager, 'ready' | 'init' | 'load' | 'rotate' | 'list' | 'jwks' | 'signer' | 'resealAll'>;
  readonly userService: UserService;
  readonly clientService: ClientService;
  readonly tenantId: string;
  readonly logoutNotifier: LogoutNotifier;
  readonly config: ApplicationConfig;
  /**
   * Resolves once the events published so far are in the outbox (event streaming configured);
   * a use case awaits it before it returns, so an operator is told "done" only after the action's
   * event is durable (docs/events.md). Best effort: while the store refuses writes the events
   * stay buffered and the use case still returns.
   */
  readonly eventsWritten?: () => Promise<void>;
  /** The audit log every mutation writes to (docs/audit.md). */
  readonly audit: AuditStore;
  /** Told when an audit record could not be written (the composition root logs it at error level, record included). */
  readonly onAuditFailure?: (entry: AuditEntry, error: unknown) => void;
}

/** What handlers receive: the deps plus helpers derived from them once. */
export interface AppDeps extends ApplicationDeps {
  /** base64url random identifier of `bytes` bytes (Logout Token `jti`). */
  readonly newId: (bytes: number) => string;
}
