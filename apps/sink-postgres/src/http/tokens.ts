/** The running `PostgresSink` the controllers talk to. */
export const SINK = Symbol('sluice.sink-postgres.sink');
