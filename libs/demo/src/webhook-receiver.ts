import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, WebhookSignature } from '@sluice/sink-http';

/** What the receiver saw. */
export interface ReceiverCounts {
  /** Requests whose signature verified and whose idempotency key was new. */
  readonly accepted: number;
  /** Verified requests repeating a key already accepted (answered 200, not applied again). */
  readonly duplicates: number;
  /** Requests refused for a missing or wrong signature. */
  readonly badSignatures: number;
  /** Requests without an Idempotency-Key. */
  readonly missingKeys: number;
}

/**
 * The demo's webhook endpoint, as a careful receiver writes one: it verifies `X-Sluice-Signature`
 * (HMAC-SHA256 over `<t>.<body>`) with the shared secret, refuses what does not verify with 401,
 * and applies each `Idempotency-Key` once — a repeated key is acknowledged and counted, not applied.
 */
export class WebhookReceiver {
  private server: Server | undefined;
  private readonly signature: WebhookSignature;
  private readonly seen = new Set<string>();
  /** SHA-256 of the body of each request applied, by idempotency key. */
  private readonly digests = new Map<string, string>();
  private counts = { accepted: 0, duplicates: 0, badSignatures: 0, missingKeys: 0 };

  constructor(secret: string) {
    this.signature = new WebhookSignature(secret);
  }

  get status(): ReceiverCounts {
    return { ...this.counts };
  }

  /** Idempotency keys accepted so far. */
  get keys(): ReadonlySet<string> {
    return this.seen;
  }

  /**
   * The SHA-256 of each applied request's body, by idempotency key: one event sent twice under two
   * keys (a change published twice upstream, each copy its own Kafka record) shows as one body twice.
   */
  get bodies(): ReadonlyMap<string, string> {
    return this.digests;
  }

  /** Listens on 127.0.0.1:`port` (0: any free port); resolves to the URL of `/hooks/orders`. */
  async listen(port: number): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}/hooks/orders`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const header = request.headers[SIGNATURE_HEADER.toLowerCase()];
    if (typeof header !== 'string' || !this.signature.verify(header, body, Math.floor(Date.now() / 1000))) {
      this.counts.badSignatures++;
      response.writeHead(401).end('signature does not verify');
      return;
    }
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0) {
      this.counts.missingKeys++;
      response.writeHead(400).end('Idempotency-Key missing');
      return;
    }
    if (this.seen.has(key)) this.counts.duplicates++;
    else {
      this.seen.add(key);
      this.digests.set(key, createHash('sha256').update(body).digest('hex'));
      this.counts.accepted++;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  }
}
