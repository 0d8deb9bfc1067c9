/**
 * The messages between the `gatehouse serve --workers N` primary and its workers (node:cluster IPC).
 * Every message of ours carries `gh` (prom-client's own metrics messages carry `type` and pass by).
 * A worker asks, the primary answers with the same `id`: `{ gh: 'ask', id, op, args }` →
 * `{ gh: 'answer', id, ok, value | error }`.
 */
export interface Ask {
  readonly gh: 'ask';
  readonly id: number;
  readonly op: string;
  readonly args: readonly unknown[];
}

export interface Answer {
  readonly gh: 'answer';
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** One end of an IPC channel: a worker's `process`, a primary's `Worker`, or an in-process pair in tests. */
export interface Channel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export function isAsk(m: unknown): m is Ask {
  return typeof m === 'object' && m !== null && (m as Ask).gh === 'ask' && typeof (m as Ask).id === 'number' && typeof (m as Ask).op === 'string';
}

function isAnswer(m: unknown): m is Answer {
  return typeof m === 'object' && m !== null && (m as Answer).gh === 'answer' && typeof (m as Answer).id === 'number';
}

/** Raised when the primary does not answer in time (or the channel is gone): callers fall back. */
export class IpcTimeout extends Error {}

/**
 * The worker's side: `ask(op, ...args)` resolves with the primary's answer, rejects with its error,
 * or with `IpcTimeout` after `timeoutMs`. One listener for every pending call (no per-call listener).
 */
export function createAsker(channel: Channel, timeoutMs: number): { ask(op: string, ...args: unknown[]): Promise<unknown>; close(): void } {
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  const listener = (m: unknown) => {
    if (!isAnswer(m)) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(m.error ?? 'the primary refused'));
  };
  channel.on('message', listener);
  return {
    ask(op, ...args) {
      const id = next++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new IpcTimeout(`the primary did not answer ${op} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        try {
          channel.send({ gh: 'ask', id, op, args } satisfies Ask);
        } catch (e) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new IpcTimeout(`IPC channel closed: ${(e as Error).message}`));
        }
      });
    },
    close() {
      channel.off('message', listener);
      for (const [, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new IpcTimeout('IPC channel closed'));
      }
      pending.clear();
    },
  };
}

export type Handlers = Readonly<Record<string, (...args: never[]) => unknown>>;

/** The primary's side for one worker: answers every `Ask` whose `op` has a handler. */
export function answerOn(channel: Channel, handlers: Handlers): () => void {
  const listener = (m: unknown) => {
    if (!isAsk(m)) return;
    const handler = handlers[m.op] as ((...args: unknown[]) => unknown) | undefined;
    const reply = (a: Omit<Answer, 'gh' | 'id'>) => {
      try {
        channel.send({ gh: 'answer', id: m.id, ...a } satisfies Answer);
      } catch {
        /* the worker is gone: nobody waits */
      }
    };
    if (!handler) return reply({ ok: false, error: `unknown op ${m.op}` });
    Promise.resolve()
      .then(() => handler(...m.args))
      .then(
        (value) => reply({ ok: true, value }),
        (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
  };
  channel.on('message', listener);
  return () => channel.off('message', listener);
}
