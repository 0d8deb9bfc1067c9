// An in-process stand-in for a node:cluster IPC channel: two ends, messages JSON-serialised (as
// Node's default 'json' serialization does) and delivered on a later turn of the event loop.
import { EventEmitter } from 'node:events';
import type { Channel } from '../../src/cluster/ipc.ts';

export function ipcPair(): { readonly worker: Channel; readonly primary: Channel; cut(): void } {
  const a = new EventEmitter();
  const b = new EventEmitter();
  let open = true;
  const end = (self: EventEmitter, other: EventEmitter): Channel => ({
    send(m: unknown) {
      if (!open) throw new Error('channel closed');
      const copy = JSON.parse(JSON.stringify(m)) as unknown;
      setImmediate(() => other.emit('message', copy));
      return true;
    },
    on: (e, l) => self.on(e, l),
    off: (e, l) => self.off(e, l),
  });
  return {
    worker: end(a, b),
    primary: end(b, a),
    cut() {
      open = false;
    },
  };
}
