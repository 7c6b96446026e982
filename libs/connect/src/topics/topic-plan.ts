import { type TopicSpec } from '@sluice/kafka';

/**
 * How many partitions a declared topic gets: a number its producer fixes, the largest count of
 * other topics (a DLQ or a transformer output has its input's), or unknown (an input topic whose
 * producer the plan has not seen: the plan's default).
 */
export type PartitionCount = number | { readonly likeMaxOf: readonly string[] } | undefined;

/** One declaration, before the plan resolves partition counts and merges duplicates. */
export interface TopicDeclaration {
  readonly name: string;
  readonly partitions: PartitionCount;
  /** Undefined: the plan's default. */
  readonly replicationFactor?: number;
  readonly configs?: Readonly<Record<string, string>>;
  /** Who uses the topic and how, e.g. `transformer orders-clean: output`. */
  readonly origin: string;
  /** The consumer group that reads the topic, when the declaration is an input. */
  readonly readBy?: string;
}

/** A topic as the deployment declares it (name, partitions, replication, configs) and who uses it. */
export interface PlannedTopic extends TopicSpec {
  readonly origins: readonly string[];
  /** The consumer groups of the configurations that read it (their lag is worth watching). */
  readonly consumerGroups: readonly string[];
}

export interface TopicPlanDefaults {
  /** Partitions of a topic no known producer fixes. */
  readonly partitions: number;
  /** Replication of a topic no declaration fixes. */
  readonly replicationFactor: number;
}

/**
 * The topics a set of Sluice configurations reads and writes, DLQs included, merged by name. What
 * the configurations cannot tell (a table pattern without a database, an output topic computed per
 * record) is kept as a note, never guessed.
 */
export class TopicPlan {
  private readonly declarations: TopicDeclaration[] = [];
  private readonly unresolved: string[] = [];

  constructor(private readonly defaults: TopicPlanDefaults) {}

  declare(declaration: TopicDeclaration): void {
    this.declarations.push(declaration);
  }

  /** Records what the configurations cannot tell, for the reader of the plan. */
  note(text: string): void {
    if (!this.unresolved.includes(text)) this.unresolved.push(text);
  }

  /** What could not be derived (each one a sentence naming the configuration and what to do). */
  notes(): string[] {
    return [...this.unresolved];
  }

  /** Every topic once, sorted by name, partition counts resolved. */
  topics(): PlannedTopic[] {
    const byName = new Map<string, TopicDeclaration[]>();
    for (const d of this.declarations) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
    const resolved = new Map<string, number>();
    const resolving = new Set<string>();
    const partitionsOf = (name: string): number => {
      const known = resolved.get(name);
      if (known !== undefined) return known;
      // A cycle (a pipeline writing its own input) falls back to the default.
      if (resolving.has(name)) return this.defaults.partitions;
      resolving.add(name);
      const counts = (byName.get(name) ?? []).map((d) => d.partitions);
      const fixed = counts.filter((c): c is number => typeof c === 'number');
      const derived = counts.flatMap((c) =>
        typeof c === 'object' ? c.likeMaxOf.map((input) => partitionsOf(input)) : [],
      );
      const count =
        fixed.length > 0
          ? Math.max(...fixed)
          : derived.length > 0
            ? Math.max(...derived)
            : this.defaults.partitions;
      resolving.delete(name);
      resolved.set(name, count);
      return count;
    };
    return [...byName.keys()].sort().map((name) => {
      const all = byName.get(name)!;
      const replication = all.map((d) => d.replicationFactor).filter((r): r is number => r !== undefined);
      return {
        name,
        partitions: partitionsOf(name),
        replicationFactor:
          replication.length > 0 ? Math.max(...replication) : this.defaults.replicationFactor,
        configs: Object.assign({}, ...all.map((d) => d.configs ?? {})) as Record<string, string>,
        origins: [...new Set(all.map((d) => d.origin))],
        consumerGroups: [...new Set(all.flatMap((d) => (d.readBy === undefined ? [] : [d.readBy])))].sort(),
      };
    });
  }
}
