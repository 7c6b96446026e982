import type { Relation } from './pgoutput-message';

/**
 * The relations a replication stream has described so far, by OID. Postgres sends a Relation
 * message before the first change of a table in a session and again after its schema changed, and
 * never repeats it otherwise — so the cache lives as long as the replication connection.
 */
export class RelationCache {
  private readonly relations = new Map<number, Relation>();

  set(relation: Relation): void {
    this.relations.set(relation.relationId, relation);
  }

  get(relationId: number): Relation | undefined {
    return this.relations.get(relationId);
  }

  get size(): number {
    return this.relations.size;
  }

  values(): IterableIterator<Relation> {
    return this.relations.values();
  }

  /** Forget everything: a new replication connection gets new Relation messages. */
  clear(): void {
    this.relations.clear();
  }
}
