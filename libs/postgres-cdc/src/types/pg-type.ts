/** What the converters need to know about one Postgres type beyond its OID. */
export interface PgType {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** `typtype`: b base, d domain, e enum, r range, m multirange. */
  readonly kind: 'base' | 'domain' | 'enum' | 'range' | 'multirange';
  /** Element type of an array type (`typelem` of a type in category A), else 0. */
  readonly elementOid: number;
  /** Base type of a domain (`typbasetype`), else 0. */
  readonly baseOid: number;
  /** Type modifier a domain applies to its base type (`typtypmod`), -1 when none. */
  readonly baseTypeModifier: number;
  /** Labels of an enum in sort order, else empty. */
  readonly enumLabels: readonly string[];
}
