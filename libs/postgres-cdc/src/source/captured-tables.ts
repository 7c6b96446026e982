import { FatalRecordError } from '@sluice/errors';
import { partitionForKey } from '@sluice/kafka';
import { type SchemaRegistryClient } from '@sluice/schema';
import type { ChangeEvent } from '../events/change-event-builder';
import { TableSchema, type TableSchemaOptions } from '../events/table-schema';
import type { Relation } from '../pgoutput/pgoutput-message';
import type { PendingTransaction } from '../offsets/acknowledgement-window';
import type { OutgoingEvent } from '../publishing/change-event-publisher';
import type { CatalogQuery } from '../types/catalog-query';
import { loadTableColumnFacts } from '../types/table-columns';
import type { TypeCatalog } from '../types/type-catalog';
import type { ColumnMetadataOrigin } from '../values/source-type-parameters';
import type { HeldTable } from './source-status';

/** What the registry decided for one table version. */
interface RegisteredSchema {
  readonly schema: TableSchema;
  readonly keyId: number;
  readonly valueId: number;
}

/** A table whose newest schema the registry refused: its events wait for an operator. */
interface Hold {
  readonly schema: TableSchema;
  readonly subject: string;
  readonly reason: string;
  readonly since: Date;
  readonly events: HeldEvent[];
}

/** An event kept back, with the transaction whose confirmation it holds up. */
export interface HeldEvent {
  readonly event: ChangeEvent;
  readonly tx: PendingTransaction;
}

interface Captured {
  readonly name: string;
  /** Partitions of the table's topic, so each event's partition is decided here (murmur2, as Java). */
  partitions: number | undefined;
  registered: RegisteredSchema | undefined;
  hold: Hold | undefined;
  /** Suffix of the value/key subjects after an operator chose "new subject" (0: the topic's own). */
  subjectGeneration: number;
}

export interface CapturedTablesOptions {
  readonly catalog: TypeCatalog;
  /** Catalog queries (pg_attribute, pg_type) on a normal connection. */
  readonly query: CatalogQuery;
  readonly registry: SchemaRegistryClient;
  /** Options of a table's schema (prefix, excluded and masked columns...). */
  readonly schemaOptions: (relation: Relation) => TableSchemaOptions;
  /** Makes sure the table's topic exists before its first event (provisioned with the configured partitions). */
  readonly ensureTopic: (topic: string) => Promise<void>;
  /** The partition count of an existing topic. */
  readonly partitionsOf?: (topic: string) => Promise<number>;
  readonly onHold?: (table: HeldTable) => void;
  /**
   * The operator's `new-subject` decisions (table → generation), owned by the source so that they
   * outlive this instance: a reconnect builds new CapturedTables and must not hold the table again.
   */
  readonly subjectGenerations?: Map<string, number>;
  /** Headers every change event and tombstone carries (Debezium's extended headers), if any. */
  readonly contextHeaders?: Readonly<Record<string, string>>;
}

/** How many later subject generations a refused schema is looked up under (see `register`). */
const GENERATIONS_LOOKED_UP = 8;

/** The answer for one change event: send it now, or keep it (its table is held). */
export type Routing = { readonly send: OutgoingEvent } | { readonly held: true };

/**
 * The captured tables and the schema each one writes with. A Relation message (new table, ALTER
 * TABLE) builds a new `TableSchema`; when its Avro differs, the key and value schemas are registered
 * *before* the first event that needs them. A schema the registry refuses (an incompatible change)
 * holds that table only: its events are kept, in order, until an operator resumes it — the other
 * tables go on. Debezium's connector dies in that case; one bad ALTER should not stop the others.
 */
export class CapturedTables {
  private readonly byRelation = new Map<number, Captured>();

  constructor(private readonly options: CapturedTablesOptions) {}

  /**
   * Describes (or re-describes) a table from a Relation message or, `from` snapshot, a snapshot
   * description (propagated source types then read as Debezium's snapshot reads them).
   */
  async describe(relation: Relation, from: ColumnMetadataOrigin = 'streaming'): Promise<void> {
    const name = `${relation.schema}.${relation.table}`;
    let captured = this.byRelation.get(relation.relationId);
    if (captured === undefined) {
      // Sluice captures partitioned tables through their root (publish_via_partition_root):
      // pgoutput also describes the partition a change comes from, whose changes never arrive
      // under its own id. It gets no topic and no subjects.
      if ((await loadTableColumnFacts(this.options.query, relation.relationId)).partition) return;
      captured = {
        name,
        partitions: undefined,
        registered: undefined,
        hold: undefined,
        subjectGeneration: this.options.subjectGenerations?.get(name) ?? 0,
      };
      this.byRelation.set(relation.relationId, captured);
    }
    await this.options.catalog.ensure(relation.columns.map((c) => c.typeOid));
    const facts = await loadTableColumnFacts(this.options.query, relation.relationId);
    const schema = TableSchema.build(relation, this.options.catalog, facts, {
      ...this.options.schemaOptions(relation),
      columnMetadata: from,
    });
    const current = captured.hold?.schema ?? captured.registered?.schema;
    if (!schema.avroDiffersFrom(current)) {
      if (captured.hold) captured.hold = { ...captured.hold, schema };
      else if (captured.registered) captured.registered = { ...captured.registered, schema };
      return;
    }
    if (captured.registered === undefined) await this.options.ensureTopic(schema.topic);
    captured.partitions ??= await this.options.partitionsOf?.(schema.topic);
    if (captured.hold) {
      // Still held: the newer schema is tried when the operator resumes.
      captured.hold = { ...captured.hold, schema };
      return;
    }
    await this.register(captured, schema);
  }

  /** The current schema of a relation, for building its events. */
  schemaOf(relationId: number): TableSchema {
    const captured = this.byRelation.get(relationId);
    const schema = captured?.hold?.schema ?? captured?.registered?.schema;
    if (schema === undefined) {
      throw new FatalRecordError(`A change of relation ${relationId} arrived before its Relation message`, {
        code: 'PG_RELATION_UNKNOWN',
      });
    }
    return schema;
  }

  /** Encodes `event` for Kafka, or keeps it when its table is held. */
  route(relationId: number, event: ChangeEvent, tx: PendingTransaction): Routing {
    const captured = this.byRelation.get(relationId)!;
    if (captured.hold) {
      captured.hold.events.push({ event, tx });
      return { held: true };
    }
    return { send: this.encode(captured.registered!, event, captured.partitions) };
  }

  /** Whether `table` (schema.table) is captured. */
  has(table: string): boolean {
    return [...this.byRelation.values()].some((c) => c.name === table);
  }

  /** Tables waiting for an operator. */
  held(): HeldTable[] {
    return [...this.byRelation.values()]
      .filter((c) => c.hold !== undefined)
      .map((c) => describeHold(c.name, c.hold!));
  }

  heldEventCount(): number {
    let n = 0;
    for (const c of this.byRelation.values()) n += c.hold?.events.length ?? 0;
    return n;
  }

  /**
   * The operator's decision on a held table: `retry` registers the held schema again (after the
   * subject's compatibility was changed in the registry), `new-subject` registers it under the
   * next fresh subject (`<topic>-value-v2`...; consumers find schemas by id, so they read on).
   * Returns the held events, encoded, in order — or undefined when the registry still refuses.
   */
  async resume(
    table: string,
    action: 'retry' | 'new-subject',
  ): Promise<Array<{ send: OutgoingEvent; tx: PendingTransaction }> | undefined> {
    const captured = [...this.byRelation.values()].find((c) => c.name === table);
    if (captured?.hold === undefined) return [];
    const hold = captured.hold;
    if (action === 'new-subject') this.setGeneration(captured, captured.subjectGeneration + 1);
    captured.hold = undefined;
    const registered = await this.register(captured, hold.schema);
    if (registered === undefined) {
      captured.hold = { ...captured.hold!, events: [...hold.events, ...captured.hold!.events] };
      return undefined;
    }
    return hold.events.map(({ event, tx }) => ({
      send: this.encode(registered, event, captured.partitions),
      tx,
    }));
  }

  private setGeneration(captured: Captured, generation: number): void {
    captured.subjectGeneration = generation;
    this.options.subjectGenerations?.set(captured.name, generation);
  }

  private async register(captured: Captured, schema: TableSchema): Promise<RegisteredSchema | undefined> {
    const refused = await this.tryRegister(captured, schema);
    if (refused === undefined) return captured.registered;
    // A new process knows no earlier `new-subject` decision: when this very schema is already
    // registered under a later generation, an operator chose it before; use it instead of holding.
    for (let generation = captured.subjectGeneration + 1; ; generation++) {
      if (generation > captured.subjectGeneration + GENERATIONS_LOOKED_UP) break;
      const found = await this.isRegistered(
        `${schema.topic}-value${suffixOf(generation)}`,
        schema.valueSchemaText,
      );
      if (!found) break;
      this.setGeneration(captured, generation);
      if ((await this.tryRegister(captured, schema)) === undefined) return captured.registered;
    }
    captured.hold = { schema, ...refused, since: new Date(), events: [] };
    this.options.onHold?.(describeHold(captured.name, captured.hold));
    return undefined;
  }

  private async isRegistered(subject: string, schemaText: string): Promise<boolean> {
    try {
      await this.options.registry.lookup(subject, schemaText);
      return true;
    } catch (error) {
      if (error instanceof FatalRecordError && error.code === 'SCHEMA_NOT_REGISTERED') return false;
      throw error;
    }
  }

  /** Registers key and value under the table's current generation; the refusal when incompatible. */
  private async tryRegister(
    captured: Captured,
    schema: TableSchema,
  ): Promise<{ subject: string; reason: string } | undefined> {
    const suffix = suffixOf(captured.subjectGeneration);
    const keySubject = `${schema.topic}-key${suffix}`;
    const valueSubject = `${schema.topic}-value${suffix}`;
    let subject = keySubject;
    try {
      // A keyless table's events have null keys, as Debezium's: no key subject.
      const keyId = schema.keyless
        ? 0
        : await this.options.registry.register(keySubject, schema.keySchemaText);
      subject = valueSubject;
      const valueId = await this.options.registry.register(valueSubject, schema.valueSchemaText);
      captured.registered = { schema, keyId, valueId };
      return undefined;
    } catch (error) {
      if (!(error instanceof FatalRecordError) || error.code !== 'SCHEMA_INCOMPATIBLE') throw error;
      return { subject, reason: error.message };
    }
  }

  private encode(
    registered: RegisteredSchema,
    event: ChangeEvent,
    partitions: number | undefined,
  ): OutgoingEvent {
    const schema = event.schema;
    const key = event.key === null ? null : schema.keyCodec.encodeFramed(registered.keyId, event.key);
    return {
      topic: event.topic,
      key,
      value: event.value === null ? null : schema.valueCodec.encodeFramed(registered.valueId, event.value),
      ...(key !== null && partitions !== undefined ? { partition: partitionForKey(key, partitions) } : {}),
      ...(event.headers !== undefined || this.options.contextHeaders !== undefined
        ? { headers: { ...event.headers, ...this.options.contextHeaders } }
        : {}),
    };
  }
}

/** Subject suffix of a generation: '' for the topic's own subjects, then -v2, -v3... */
function suffixOf(generation: number): string {
  return generation === 0 ? '' : `-v${generation + 1}`;
}

function describeHold(table: string, hold: Hold): HeldTable {
  return {
    table,
    subject: hold.subject,
    reason: hold.reason,
    since: hold.since.toISOString(),
    heldEvents: hold.events.length,
  };
}
