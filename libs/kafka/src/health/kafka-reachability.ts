import { type Admin } from 'kafkajs';
import { createKafkaClient } from '../client/create-kafka-client';
import { type KafkaConfig } from '../config/kafka-config';

/**
 * Answers "does the Kafka cluster answer?" for readiness probes: a metadata request (describeCluster)
 * on an admin client of its own, without retries (the probe's caller applies its timeout). After a
 * failure the admin is dropped and the next check connects afresh, so a broker that came back is
 * seen at once.
 */
export class KafkaReachability {
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;

  constructor(private readonly config: KafkaConfig) {}

  /** Resolves with the broker count when the cluster answers; rejects otherwise. */
  async check(): Promise<number> {
    try {
      const admin = await this.connected();
      const { brokers } = await admin.describeCluster();
      return brokers.length;
    } catch (error) {
      await this.drop();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private connected(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const client = createKafkaClient({
        ...this.config,
        clientId: `${this.config.clientId}-health`,
        logLevel: 'nothing',
      });
      const admin = client.admin({ retry: { retries: 0 } });
      await admin.connect();
      this.admin = admin;
      return admin;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async drop(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
