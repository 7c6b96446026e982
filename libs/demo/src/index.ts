// @sluice/demo — `sluice demo`: the sample schema and workload, the apps run as their own processes,
// a webhook receiver that verifies signatures, a Stripe-style webhook sender (--webhooks), the live
// view and the end-of-run checks; `--two-way`: two databases kept in step both ways under load.
export { runDemo, type DemoOptions, type DemoOutcome } from './demo-run';
export {
  runTwoWayDemo,
  type TwoWayDemoOptions,
  type TwoWayDemoOutcome,
  TWO_WAY_SCHEMA,
} from './two-way-demo';
export {
  DEMO_PLAN,
  DEMO_WEBHOOKS_PLAN,
  type DemoApp,
  type DemoPlan,
  type WebhookSourcePlan,
} from './demo-plan';
export type { CheckResult } from './pipeline-checks';
export { SampleDatabase, DEMO_SCHEMA, DEMO_TABLES } from './sample-database';
export { WebhookReceiver, type ReceiverCounts } from './webhook-receiver';
export { WebhookSender, type SenderCounts, type WebhookSenderOptions } from './webhook-sender';
export { AppProcess, type AppProcessOptions } from './app-process';
export { PipelineMeter, type PipelineReading, type StageReading } from './pipeline-meter';
export { histogramBuckets, parsePrometheusText, quantile, bucketsBetween, sumOf } from './prometheus-text';
