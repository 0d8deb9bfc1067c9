import { Worker } from 'node:worker_threads';
import { GatehouseError } from '../../core/errors.ts';
import { mapStoreError } from './sql-errors.ts';
import { installedSqliteDriver } from './sqlite-driver.ts';
import {
  commitWrites,
  MAX_BATCH,
  statementCache,
  storeClosed,
  type HotWrite,
  type HotWriter,
  type SqliteHandle,
  type SqliteStatement,
  type WriteOutcome,
} from './sqlite-write-batch.ts';

interface Pending extends HotWrite {
  readonly resolve: (changes: number) => void;
  readonly reject: (e: unknown) => void;
}

/** The writer connection's settings (the same as the event-loop thread's connection). */
export interface WriterSettings {
  readonly busyTimeoutMs: number;
  readonly walSizeLimit: number;
}

interface WriterData extends WriterSettings {
  readonly file: string;
}

/** A batch to commit (`id` matches the reply), or the request to close. */
type WriterRequest = { readonly id: number; readonly writes: readonly HotWrite[] } | { readonly close: true };

/** Errors cross the thread as their code and message (what isUniqueViolation and mapStoreError read). */
interface WireError {
  readonly code?: string;
  readonly message: string;
}
type WireOutcome = { readonly changes: number } | { readonly error: WireError };
type WriterReply = { readonly id: number; readonly outcomes: readonly WireOutcome[] } | { readonly ready: true } | { readonly openFailed: WireError };

interface WriterConnection extends SqliteHandle {
  pragma(source: string): unknown;
  close(): void;
}

/**
 * The writer thread's program. It runs stringified (`new Worker(source, { eval: true })`), so it
 * is self-contained: the worker gets this function's compiled text and the group-commit code
 * (commitWrites, statementCache) as arguments, the same functions the event-loop thread uses. A
 * worker cannot load this module itself when it runs from TypeScript source under tsx (tsx's
 * loader does not reach worker threads on Node 20).
 */
function writerThreadMain(
  threads: typeof import('node:worker_threads'),
  Database: new (file: string, options: { timeout: number; fileMustExist: boolean }) => WriterConnection,
  commit: typeof commitWrites,
  cache: typeof statementCache,
): void {
  const port = threads.parentPort!;
  const { file, busyTimeoutMs, walSizeLimit } = threads.workerData as WriterData;
  const wireError = (error: unknown): WireError => {
    const e = error as { code?: unknown; message?: unknown } | null;
    return { ...(typeof e?.code === 'string' ? { code: e.code } : {}), message: typeof e?.message === 'string' ? e.message : String(error) };
  };
  let db: WriterConnection;
  try {
    db = new Database(file, { timeout: busyTimeoutMs, fileMustExist: true });
    // synchronous is per connection: in WAL mode NORMAL syncs at checkpoints, not at each
    // commit, as on the event-loop thread's connection (docs/performance.md).
    db.pragma('synchronous = NORMAL');
    db.pragma(`journal_size_limit = ${walSizeLimit}`);
  } catch (e) {
    port.postMessage({ openFailed: wireError(e) } satisfies WriterReply);
    port.close();
    return;
  }
  const prepare = cache(db);
  port.postMessage({ ready: true } satisfies WriterReply);
  port.on('message', (msg: WriterRequest) => {
    if ('close' in msg) {
      db.close();
      port.close();
      return;
    }
    // SQLite's automatic checkpoints, with their fsyncs, also run here, after these commits.
    const outcomes = commit(db, prepare, msg.writes).map((o: WriteOutcome): WireOutcome => ('changes' in o ? o : { error: wireError(o.error) }));
    port.postMessage({ id: msg.id, outcomes } satisfies WriterReply);
  });
}

function writerSource(driverPath: string): string {
  return [
    // tsx (tests, development) wraps functions in __name(fn, "name"); the compiled build does not.
    'const __name = (fn) => fn;',
    `(${writerThreadMain.toString()})(require('node:worker_threads'), require(${JSON.stringify(driverPath)}),`,
    `  ${commitWrites.toString()},`,
    `  ${statementCache.toString()});`,
  ].join('\n');
}

function fromWire(e: WireError): Error {
  return Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
}

/**
 * The hot path's writes on a SQLite file go to a writer thread with its own connection, so the
 * event loop never waits for a commit's WAL append or for a checkpoint's fsyncs (better-sqlite3
 * is synchronous: on the event-loop thread every byte written and every fsync blocks all
 * requests). Reads stay on the event-loop thread: WAL readers never wait for the writer.
 *
 * Writes issued during one event-loop turn go over as one batch and are committed in one
 * transaction (commitWrites: group commit, per-statement outcomes). Each resolves only after its
 * COMMIT returned on the writer's connection, so it is visible to every later read, here or in
 * another process. SQLite's locks order these commits with the event-loop thread's own writes
 * (Kysely: clients, keys, migrations) and other processes', as between any two connections.
 *
 * The thread starts on the first write, so a process that never writes on the hot path (the
 * CLI, an idle or JWT-only server) never pays for it. If it cannot start or dies, the writes in
 * flight fail with GH_STORE_UNAVAILABLE and later writes commit on the event-loop thread
 * (`fallback`).
 */
export class SqliteWriterThread implements HotWriter {
  readonly #file: string;
  readonly #settings: WriterSettings;
  readonly #fallback: HotWriter;
  readonly #onCommitted: () => void;
  #worker: Worker | null = null;
  /** Resolves once the worker has opened its connection; rejects if it could not. */
  #ready: Promise<void> | null = null;
  #failed = false;
  #closed = false;
  #queue: Pending[] = [];
  readonly #inFlight = new Map<number, readonly Pending[]>();
  readonly #whenIdle: (() => void)[] = [];
  #nextId = 0;
  readonly stats = { transactions: 0, writes: 0 };

  /** `onCommitted` runs when a batch has committed, before its callers resume. */
  constructor(file: string, settings: WriterSettings, fallback: HotWriter, onCommitted: () => void = () => {}) {
    this.#file = file;
    this.#settings = settings;
    this.#fallback = fallback;
    this.#onCommitted = onCommitted;
  }

  run(sql: string, params: readonly unknown[], viaKysely: () => Promise<number>): Promise<number> {
    if (this.#closed) return Promise.reject(storeClosed());
    if (this.#failed) return this.#fallback.run(sql, params, viaKysely);
    return new Promise((resolve, reject) => {
      this.#queue.push({ sql, params, resolve, reject });
      if (this.#queue.length === 1) setImmediate(() => void this.#flush());
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flush();
    const worker = this.#worker;
    if (worker && !this.#failed) {
      if (this.#inFlight.size > 0) await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref();
      worker.postMessage({ close: true } satisfies WriterRequest);
      await exited;
    }
    await this.#fallback.close();
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        await this.#start();
      } catch (e) {
        for (const w of batch) w.reject(e);
        continue;
      }
      const id = this.#nextId++;
      this.#inFlight.set(id, batch);
      // Referenced while a reply is awaited (a pending write keeps the process alive), not after.
      this.#worker!.ref();
      this.#worker!.postMessage({ id, writes: batch.map(({ sql, params }) => ({ sql, params })) } satisfies WriterRequest);
    }
  }

  /** Starts the worker once; later calls wait for the same start. */
  #start(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => {
      const driver = installedSqliteDriver().path;
      const worker = new Worker(writerSource(driver), { eval: true, workerData: { file: this.#file, ...this.#settings } satisfies WriterData });
      this.#worker = worker;
      const lost = (err: unknown) => {
        this.#failed = true;
        reject(err);
        for (const id of [...this.#inFlight.keys()]) this.#settle(id, null, err);
      };
      worker.on('message', (msg: WriterReply) => {
        if ('ready' in msg) {
          if (this.#inFlight.size === 0) worker.unref();
          resolve();
        } else if ('openFailed' in msg) {
          const err = new GatehouseError('GH_STORE_UNAVAILABLE', `SQLite writer thread could not open the database (${msg.openFailed.code ?? 'open failed'})`);
          Object.defineProperty(err, 'cause', { value: fromWire(msg.openFailed), enumerable: false });
          lost(err);
        } else {
          this.#settle(msg.id, msg.outcomes);
        }
      });
      worker.on('error', (e) => lost(new GatehouseError('GH_STORE_UNAVAILABLE', `SQLite writer thread failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.#closed || this.#inFlight.size > 0) lost(new GatehouseError('GH_STORE_UNAVAILABLE', `SQLite writer thread exited (${code})`));
      });
    });
    return this.#ready;
  }

  #settle(id: number, outcomes: readonly WireOutcome[] | null, lostError?: unknown): void {
    const batch = this.#inFlight.get(id);
    if (!batch) return;
    this.#inFlight.delete(id);
    if (outcomes?.some((o) => 'changes' in o)) {
      this.stats.transactions++;
      this.stats.writes += batch.length;
      // Reads after this point must see these rows (read-your-writes).
      this.#onCommitted();
    }
    batch.forEach((w, i) => {
      const o = outcomes?.[i];
      if (o && 'changes' in o) w.resolve(o.changes);
      else w.reject(o ? mapStoreError('sqlite', fromWire(o.error)) : lostError);
    });
    if (this.#inFlight.size === 0) {
      this.#worker?.unref();
      for (const resolve of this.#whenIdle.splice(0)) resolve();
    }
  }
}
