import type { PostgresTlsOptions } from '@sluice/config';

/** A row found by a lookup: column name → value. */
export type LookupRow = Readonly<Record<string, unknown>>;

/**
 * How `enrich` reads reference data: one parameterised query. Implementations throw a
 * `RetriableError` when the database does not answer (timeout, connection lost) and a
 * `FatalRecordError` when the query itself is wrong for these parameters.
 */
export interface RowLookup {
  /** The first row the query returns for `params`, or undefined when there is none. */
  find(params: readonly unknown[]): Promise<LookupRow | undefined>;
  close(): Promise<void>;
}

/** Where and what to look up, from the step's configuration. */
export interface LookupSource {
  /** A postgres:// connection URL. */
  readonly connection: string;
  /** The step's `ssl` setting with its files read (`postgresTlsOptions`); false for plain TCP. */
  readonly ssl?: PostgresTlsOptions | false;
  readonly query: string;
  readonly timeoutMs: number;
}

/** Builds the lookup of an `enrich` step; injected so unit tests need no database. */
export type RowLookupFactory = (source: LookupSource) => RowLookup;
