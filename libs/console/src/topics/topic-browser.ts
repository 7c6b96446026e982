import { type Admin, type Kafka } from 'kafkajs';
import { DeadLetterRenderer, type RenderedBytes } from '@sluice/dead-letter-queue';
import { type GroupLag, type RangeRecord, readTopicRange, resolveRange, TopicInspector } from '@sluice/kafka';
import { type SchemaRegistryConfig } from '@sluice/schema';

/** Where to start browsing a partition: an offset, or the first record at or after a time. */
export type BrowseStart = { readonly offset: bigint } | { readonly timestamp: number };

export interface BrowseRequest {
  readonly topic: string;
  readonly partition: number;
  readonly start: BrowseStart;
  /** At most this many records shown. */
  readonly limit: number;
  /** Only records whose key (text, Avro JSON, or a one-field key's value) is this. */
  readonly key?: string;
  /** With `key`: at most this many records scanned. */
  readonly scanLimit?: number;
}

export interface BrowsedRecord {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: RenderedBytes;
  readonly value: RenderedBytes;
  readonly headers: Readonly<Record<string, string>>;
  /** From the record's W3C `traceparent` header. */
  readonly traceId?: string;
}

export interface BrowseResult {
  readonly topic: string;
  readonly partition: number;
  /** The range read, [from, to). */
  readonly from: string;
  readonly to: string;
  /** The partition's end offset when read. */
  readonly end: string;
  readonly scanned: number;
  readonly records: readonly BrowsedRecord[];
}

export interface TopicListEntry {
  readonly name: string;
  readonly partitions: number;
  readonly records: string;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/**
 * Read-only topic browsing for the console, through @sluice/kafka: topics with partitions, sizes
 * and each group's lag (TopicInspector), and the records of a partition from an offset or a time
 * (resolveRange + readTopicRange, read committed, a throw-away group), decoded through the
 * registry as `sluice dlq show` decodes. Never writes to Kafka.
 */
export class TopicBrowser {
  private readonly inspector: TopicInspector;
  private readonly renderer: DeadLetterRenderer;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    registry: SchemaRegistryConfig,
  ) {
    this.inspector = new TopicInspector(admin);
    this.renderer = new DeadLetterRenderer(registry);
  }

  /** Topics whose name contains `filter` (Kafka's internal ones left out), at most `limit`, with sizes. */
  async list(
    filter = '',
    limit = 100,
  ): Promise<{ readonly matched: number; readonly topics: TopicListEntry[] }> {
    const names = (await this.admin.listTopics())
      .filter((t) => !t.startsWith('__') && t.includes(filter))
      .sort();
    const states = await this.inspector.describe(names.slice(0, limit));
    return {
      matched: names.length,
      topics: states.map((s) => ({
        name: s.name,
        partitions: s.partitions.length,
        records: String(s.records),
      })),
    };
  }

  /** One topic: partitions with offsets, topic configs, and every group's lag on it. */
  async describe(topic: string) {
    const [state] = await this.inspector.describe([topic]);
    if (!state!.exists) return undefined;
    const lags: GroupLag[] = await this.inspector.lag(state!);
    return {
      name: state!.name,
      replicationFactor: state!.replicationFactor,
      records: String(state!.records),
      configs: state!.configs,
      partitions: state!.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        low: String(p.lowOffset),
        high: String(p.highOffset),
      })),
      groups: lags.map((g) => ({
        group: g.group,
        state: g.state,
        members: g.members,
        totalLag: g.totalLag === null ? null : String(g.totalLag),
        partitions: g.partitions.map((p) => ({
          partition: p.partition,
          committed: p.committed === null ? null : String(p.committed),
          end: String(p.end),
          lag: p.lag === null ? null : String(p.lag),
        })),
      })),
    };
  }

  /** Records of one partition from `start` (InvalidRangeError for an unknown topic or partition). */
  async browse(request: BrowseRequest): Promise<BrowseResult> {
    const from =
      'offset' in request.start ? { offset: request.start.offset } : { timestamp: request.start.timestamp };
    const [range] = await resolveRange(this.admin, request.topic, { partitions: [request.partition], from });
    const window = BigInt(request.key === undefined ? request.limit : (request.scanLimit ?? 5000));
    const to = range!.from + window < range!.to ? range!.from + window : range!.to;
    const records: BrowsedRecord[] = [];
    let scanned = 0;
    const controller = new AbortController();
    if (range!.from < to)
      await readTopicRange(this.kafka, {
        topic: request.topic,
        partitions: [{ partition: request.partition, from: range!.from, to }],
        groupIdPrefix: 'sluice.console.browse',
        signal: controller.signal,
        onBatch: async (_partition, batch) => {
          for (const record of batch) {
            scanned++;
            if (records.length >= request.limit) break;
            const rendered = await this.render(record);
            if (request.key === undefined || keyMatches(rendered.key, request.key)) records.push(rendered);
          }
          if (records.length >= request.limit) controller.abort();
        },
      });
    return {
      topic: request.topic,
      partition: request.partition,
      from: String(range!.from),
      to: String(to),
      end: String(range!.to),
      scanned,
      records,
    };
  }

  private async render(record: RangeRecord): Promise<BrowsedRecord> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.headers))
      // A null value (Java producers write them) shows as empty, as in the dead-letter view.
      headers[name] = (Array.isArray(value) ? value : [value])
        .map((v) => (v === null || v === undefined ? '' : v.toString('utf8')))
        .join(', ');
    const trace = TRACEPARENT.exec(headers.traceparent ?? '');
    return {
      partition: record.partition,
      offset: String(record.offset),
      timestamp: new Date(record.timestamp).toISOString(),
      key: await this.renderer.renderBytes(record.key),
      value: await this.renderer.renderBytes(record.value),
      headers,
      ...(trace ? { traceId: trace[1] } : {}),
    };
  }
}

/** A key matches as `sluice dlq --key` does: its text, its Avro JSON, or a one-field key's value. */
export function keyMatches(key: RenderedBytes, wanted: string): boolean {
  if (key === null) return false;
  if ('text' in key) return key.text === wanted;
  if ('base64' in key) return key.base64 === wanted;
  const texts = [JSON.stringify(key.avro)];
  if (key.avro && typeof key.avro === 'object' && !Array.isArray(key.avro)) {
    const values = Object.values(key.avro as Record<string, unknown>);
    if (values.length === 1) texts.push(String(values[0]));
  } else texts.push(String(key.avro));
  return texts.includes(wanted);
}
