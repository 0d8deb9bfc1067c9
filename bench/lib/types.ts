/**
 * Contracts of the benchmark: a target is a server started in its own process; a scenario
 * turns a running target into one HTTP request shape (or says why it does not apply).
 * New scenarios (auth-code + PKCE, refresh) plug in by adding a file to bench/scenarios/.
 */

/** A confidential client registered on a target before measuring. */
export interface ClientFixture {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  /** Extra form parameters sent with every token request (e.g. `resource`). */
  readonly extraParams?: Readonly<Record<string, string>>;
}

/** What a target offers; a missing entry makes the scenarios that need it "n/a". */
export interface TargetCapabilities {
  readonly tokenPath?: string;
  readonly introspectionPath?: string;
  readonly jwksPath?: string;
  /** The hello-world route of the ceiling target. */
  readonly helloPath?: string;
  /** Client issuing JWT access tokens (client_credentials). */
  readonly jwtClient?: ClientFixture;
  /** The token endpoint binds `jwtClient`'s tokens to a DPoP proof (RFC 9449). */
  readonly dpop?: boolean;
  /**
   * Client allowed RFC 8693 token exchange (and client_credentials, to get its own subject
   * tokens), issuing JWT access tokens.
   */
  readonly tokenExchangeClient?: ClientFixture;
  /** Client issuing opaque access tokens (client_credentials). */
  readonly opaqueClient?: ClientFixture;
  /** Authorization endpoint (the flow scenarios). */
  readonly authorizationPath?: string;
  /** Confidential web client for the authorization-code and refresh flows (scope, `resource`). */
  readonly webClient?: ClientFixture;
  /** The end user who signs in. */
  readonly user?: { readonly username: string; readonly password: string };
  /** Why a capability is missing, keyed by scenario id, shown in the table. */
  readonly notes?: Readonly<Record<string, string>>;
  /** Scenarios that should work but cannot be set up (keyed by id): reported as failed, not n/a. */
  readonly failures?: Readonly<Record<string, string>>;
}

export interface RunningTarget {
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly capabilities: TargetCapabilities;
  /** Milliseconds from spawn to the first 200 from the ready path. */
  readonly startupMs: number;
  /** Stops the child (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /**
   * Every process of a target of several (cluster primary and workers, two instances and their
   * proxy), read at the start of each cell; without it the CPU is that of `pid` alone.
   */
  processes?(): Promise<readonly { readonly role: string; readonly pid: number; readonly gatehouse: boolean }[]>;
  /**
   * Durability check of the multi-process targets: how many of these opaque access tokens the
   * store holds (every token whose response the client received must be found).
   */
  storedTokens?(tokens: readonly string[]): Promise<number>;
}

export interface StartOptions {
  /** Extra node flags for the server child (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** Print child stderr as it arrives. */
  readonly verbose?: boolean;
}

export interface BenchTarget {
  readonly id: string;
  /** Column heading, e.g. "node-oidc-provider 9.13.3". */
  readonly label: string;
  readonly version: string;
  /** One-time preparation (build, database, clients); idempotent. */
  prepare?(opts: StartOptions): Promise<void>;
  /** Starts the server in its own process on 127.0.0.1 and waits until it answers. */
  start(opts: StartOptions): Promise<RunningTarget>;
  /** Removes temporary files. */
  cleanup?(): Promise<void>;
}

/** One request shape that autocannon repeats; all of it is fixed for the duration of a cell. */
export interface Load {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Cheap check run by the load generator on every response body (no JSON parse in the hot
   * path); a false answer counts as a mismatch and invalidates the cell.
   */
  readonly verifyBody: (body: string) => boolean;
  /** Thorough check of one response, run before and after the measurement. */
  readonly verifyResponse: (status: number, body: string) => string | null;
}

/**
 * A multi-step flow (authorize → sign in → token, or a refresh chain) repeated by `concurrency`
 * workers; one completed flow counts as one "request". Throughput is flows per second.
 */
export interface FlowLoad {
  readonly kind: 'flow';
  readonly concurrency: number;
  /** One complete flow by `worker`; resolves to null when every step answered as expected, else the problem. */
  readonly once: (worker: number) => Promise<string | null>;
  /** Releases connections after the cell. */
  readonly close?: () => void;
  /** A request load driven by autocannon at the same time (its p99 is reported as `backgroundP99`). */
  readonly background?: { readonly load: Load; readonly connections: number };
}

export type Prepared = { readonly load: Load | FlowLoad } | { readonly na: string };

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Builds the load against a running target, e.g. obtains a fresh token to introspect. */
  prepare(target: RunningTarget): Promise<Prepared>;
  /** Targets this scenario runs on (default: all). */
  readonly only?: readonly string[];
}

/** One measured cell (scenario × target × round). */
export interface CellRun {
  readonly scenario: string;
  readonly target: string;
  readonly round: number;
  readonly reqPerSec: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly latencyAvg: number;
  readonly latencyMax: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly mismatches: number;
  readonly durationSec: number;
  /** CPU used by the server process during the cell, in % of one core (summed over every Gatehouse process of the target). */
  readonly serverCpuPct: number;
  /** Server CPU per completed request, in microseconds (every Gatehouse process of the target). */
  readonly serverCpuUsPerRequest?: number;
  /** A multi-process target: CPU per completed request of each process (role → µs), helpers such as the proxy included. */
  readonly cpuUsPerRequestByProcess?: Readonly<Record<string, number>>;
  /** Opaque tokens issued in the cell and found in the store afterwards (multi-process targets). */
  readonly tokensIssued?: number;
  readonly tokensFound?: number;
  /** CPU used by this (load generator) process during the cell, in % of one core. */
  readonly loaderCpuPct: number;
  /** One-minute load average at the end of the cell (other work on the machine shows here). */
  readonly loadAvg1: number;
  /** p99 (ms) of the concurrent background load, when the flow had one. */
  readonly backgroundP99?: number;
  /** null when the before/after checks passed; otherwise what failed. */
  readonly problem: string | null;
}
