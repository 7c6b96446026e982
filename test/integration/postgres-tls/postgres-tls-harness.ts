// The Postgres TLS suites' own Postgres: the local stack's Postgres part started with TLS
// (`sluice stack up --tls`) in a private stack home on a free port, so the shared stack is never
// restarted; its CA (generated into <home>/tls) is what the apps trust. Kafka and the registry are
// the shared stack's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalStack, stackCertificates, stackLayout, type StackLayout, withTls } from '@sluice/stack';
import { freePort, PROJECT_ROOT } from '@sluice/test-support';

export class TlsPostgres {
  private constructor(
    readonly home: string,
    readonly layout: StackLayout,
    private readonly stack: LocalStack,
  ) {}

  static async start(): Promise<TlsPostgres> {
    const home = mkdtempSync(join(tmpdir(), 'sluice-pg-tls-'));
    const port = await freePort();
    const layout = withTls(
      stackLayout(PROJECT_ROOT, { ...process.env, SLUICE_HOME: home, SLUICE_POSTGRES_PORT: String(port) }),
    );
    const stack = new LocalStack(layout);
    try {
      await stack.up(['postgres']);
    } catch (error) {
      rmSync(home, { recursive: true, force: true });
      throw error;
    }
    return new TlsPostgres(home, layout, stack);
  }

  get port(): number {
    return this.layout.postgres.port;
  }

  /** The stack CA's file, relative to `home` (the apps' baseDir): what `ssl.ca` names. */
  get caFile(): string {
    return 'tls/ca.crt';
  }

  /** Another CA (of a second, unrelated stack), relative to `home`: one that did not sign the server. */
  otherCaFile(): string {
    stackCertificates(join(this.home, 'other-tls'));
    return 'other-tls/ca.crt';
  }

  /** host, port, user, password and database of the private server. */
  connection(database: string): {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
  } {
    const { host, port, user, password } = this.layout.postgres;
    return { host, port, user, password, database };
  }

  /** A client over TLS, verifying the server against the stack CA (verify-full). */
  async client(database: string): Promise<Client> {
    const ca = stackCertificates(this.layout.tls.dir).caCert;
    const client = new Client({
      ...this.connection(database),
      ssl: { ca: readFileSync(ca, 'utf8'), rejectUnauthorized: true },
    });
    await client.connect();
    return client;
  }

  async stop(): Promise<void> {
    try {
      await this.stack.down(['postgres'], { purge: true });
    } finally {
      rmSync(this.home, { recursive: true, force: true });
    }
  }
}
