/** The running `PostgresSource` the controllers talk to. */
export const POSTGRES_SOURCE = Symbol('sluice.source-postgres.source');
