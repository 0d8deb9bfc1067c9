// A Standard Webhooks receiver for event-streaming tests: a real HTTP server on 127.0.0.1 that
// verifies every signature with the reference `standardwebhooks` library, de-duplicates by
// `webhook-id` as a consumer should (docs/events.md), and can go down and come back on its port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every verified request, duplicates included. */
  readonly raw: ReceivedEvent[];
  /** First delivery of each id, in arrival order (the consumer's de-duplicated view). */
  readonly unique: Map<string, ReceivedEvent>;
  /** Requests whose signature did not verify (should stay 0). */
  readonly badSignatures: () => number;
  /** The status to answer for the next request (default 204). */
  answer: (n: number) => number;
  up(): Promise<void>;
  down(): Promise<void>;
}

export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;

/** Creates the receiver on a free port; it is down until `up()`. */
export async function webhookReceiver(secret = TEST_WEBHOOK_SECRET): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const raw: ReceivedEvent[] = [];
  const unique = new Map<string, ReceivedEvent>();
  let bad = 0;
  let n = 0;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  let server: Server | null = null;
  const rx: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hooks/gatehouse`,
    raw,
    unique,
    badSignatures: () => bad,
    answer: () => 204,
    async up() {
      if (server) return;
      const s = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => {
          const status = rx.answer(++n);
          if (status >= 200 && status < 300) {
            try {
              const h = req.headers as Record<string, string>;
              const e = verifier.verify(body, {
                'webhook-id': h['webhook-id']!,
                'webhook-timestamp': h['webhook-timestamp']!,
                'webhook-signature': h['webhook-signature']!,
              }) as ReceivedEvent;
              raw.push(e);
              if (!unique.has(e.id)) unique.set(e.id, e);
            } catch {
              bad++;
              res.writeHead(400).end();
              return;
            }
          }
          res.writeHead(status).end();
        });
      });
      await new Promise<void>((r, j) => s.once('error', j).listen(port, '127.0.0.1', r));
      server = s;
    },
    async down() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    },
  };
  return rx;
}
