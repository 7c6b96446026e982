import { type TopicSpec } from './topic-spec';

/** What the cluster has for a topic, as far as a `TopicSpec` speaks about it. */
export interface ObservedTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** The current value of each declared config; null when the broker reported no such config. */
  configs: Readonly<Record<string, string | null>>;
}

/** One way an existing topic differs from its declaration. */
export type TopicDrift =
  | {
      kind: 'partitions';
      declared: number;
      actual: number;
      /** Fewer than declared can be fixed (when allowed); more can never be, Kafka cannot shrink. */
      direction: 'fewer' | 'more';
    }
  | { kind: 'replicationFactor'; declared: number; actual: number }
  | { kind: 'config'; name: string; declared: string; actual: string | null };

/**
 * Comparable form of a config value. The broker echoes values as set, so only whitespace around
 * list separators (`compact, delete`) is forgiven; anything else is a real difference.
 */
function normalize(value: string): string {
  return value
    .split(',')
    .map((part) => part.trim())
    .join(',');
}

/**
 * How an existing topic differs from its declaration: a pure comparison, no I/O. Only declared
 * configs are compared; overrides the declaration does not mention belong to someone else.
 */
export function diffTopic(spec: TopicSpec, observed: ObservedTopic): TopicDrift[] {
  const drift: TopicDrift[] = [];
  if (observed.partitions !== spec.partitions) {
    drift.push({
      kind: 'partitions',
      declared: spec.partitions,
      actual: observed.partitions,
      direction: observed.partitions < spec.partitions ? 'fewer' : 'more',
    });
  }
  if (observed.replicationFactor !== spec.replicationFactor) {
    drift.push({
      kind: 'replicationFactor',
      declared: spec.replicationFactor,
      actual: observed.replicationFactor,
    });
  }
  for (const [name, declared] of Object.entries(spec.configs)) {
    const actual = observed.configs[name] ?? null;
    if (actual === null || normalize(actual) !== normalize(declared)) {
      drift.push({ kind: 'config', name, declared, actual });
    }
  }
  return drift;
}

/** One line per difference, for logs and the CLI. */
export function describeDrift(drift: TopicDrift): string {
  switch (drift.kind) {
    case 'partitions':
      return `partitions: declared ${drift.declared}, actual ${drift.actual}${drift.direction === 'more' ? ' (Kafka cannot reduce partitions)' : ''}`;
    case 'replicationFactor':
      return `replication factor: declared ${drift.declared}, actual ${drift.actual} (change it with a partition reassignment)`;
    case 'config':
      return `${drift.name}: declared ${JSON.stringify(drift.declared)}, actual ${drift.actual === null ? 'not reported by the broker' : JSON.stringify(drift.actual)}`;
  }
}
