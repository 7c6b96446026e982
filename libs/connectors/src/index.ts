// @sluice/connectors — the catalogue: every connector definition Sluice ships, by name, and which
// one a configuration document belongs to. See docs/connectors.md.
export { CONNECTORS, connectorNamed, connectorsFitting } from './catalogue';
export { planTwoWaySync, twoWaySyncSchema, type TwoWaySync, type PlannedApp } from './sync/two-way-sync-plan';
