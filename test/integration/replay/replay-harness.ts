// Shared by the replay suites: a Kafka client and admin on the stack, topics made and dropped,
// a committed (read_committed) read of a whole topic, and the CLI run as a child process that can
// be waited for or killed.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Admin, type Kafka } from 'kafkajs';
import { createKafkaClient, kafkaConfigSchema, type RangeRecord } from '@sluice/kafka';
import { deleteTopicsIfPresent, PROJECT_ROOT, readCommitted, stackAddresses } from '@sluice/test-support';

export class ReplayBed {
  readonly topics: string[] = [];
  private constructor(
    readonly kafka: Kafka,
    readonly admin: Admin,
  ) {}

  static async open(): Promise<ReplayBed> {
    const kafka = createKafkaClient(
      kafkaConfigSchema.parse({
        brokers: stackAddresses().kafkaBrokers,
        clientId: 'sluice-it-replay',
        logLevel: 'nothing',
      }),
    );
    const admin = kafka.admin();
    await admin.connect();
    return new ReplayBed(kafka, admin);
  }

  async createTopic(topic: string, partitions: number): Promise<string> {
    await this.admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    this.topics.push(topic);
    return topic;
  }

  /** Every committed record of `topic`, per partition in offset order. */
  readAll(topic: string): Promise<Map<number, RangeRecord[]>> {
    return readCommitted(this.kafka, topic);
  }

  async close(): Promise<void> {
    await deleteTopicsIfPresent(this.admin, this.topics);
    await this.admin.disconnect();
  }
}

export const header = (r: RangeRecord, name: string): string | undefined => {
  const v = r.headers[name];
  return v === undefined ? undefined : (Array.isArray(v) ? v[v.length - 1] : v).toString('utf8');
};

export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

/** `bin/sluice.js` as a child process that keeps running while the test goes on. */
export function startSluice(args: readonly string[]): RunningCli {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The CLI's own stderr lines (Node's process warnings left out). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('(node:') && !l.startsWith('(Use `node'));
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
