// @sluice/demo — `sluice demo`: the sample schema and workload, the apps run as their own processes,
// a webhook receiver that verifies signatures, the live view and the end-of-run checks.
export { runDemo, type DemoOptions, type DemoOutcome } from './demo-run';
export { DEMO_PLAN, type DemoApp, type DemoPlan } from './demo-plan';
export type { CheckResult } from './pipeline-checks';
export { WebhookReceiver, type ReceiverCounts } from './webhook-receiver';
