import type { CloudEvent, EventSink, SinkResult } from '../sink.ts';

/** The one logger call the sink makes (pino's signature). */
export interface InfoLogger {
  info(obj: Record<string, unknown>, msg: string): void;
}

/**
 * `log:` — one log line per event at `info`, the envelope under `event` (its `data` has already
 * lost the fields the catalogue marks private). Writing a line cannot fail, so every event is
 * delivered; the outbox still stands between the bus and the log, so a crash between publishing
 * and flushing loses a line here exactly as it would lose a broker message.
 */
export function createLogSink(logger: InfoLogger): EventSink {
  return {
    name: 'log:',
    async send(batch: readonly CloudEvent[]): Promise<SinkResult> {
      for (const event of batch) logger.info({ event }, `event ${event.type}`);
      return { delivered: batch.map((e) => e.id), failed: [] };
    },
    async close() {},
  };
}
