/** The connectors of the process, by name. */
export const CONNECTORS = Symbol('sluice.management.connectors');
