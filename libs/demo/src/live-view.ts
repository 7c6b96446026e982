import type { PipelineReading } from './pipeline-meter';
import type { ReceiverCounts } from './webhook-receiver';
import type { SenderCounts } from './webhook-sender';
import type { WorkloadCounts } from './workload';

const ms = (seconds: number | undefined) =>
  seconds === undefined ? '   –  ' : `${(seconds * 1000).toFixed(0).padStart(5)} ms`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** A bar of `width` cells for `done` of `total`. */
export function progressBar(done: number, total: number, width = 24): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%`;
}

/** The demo's live terminal view: one frame of text lines. */
export function renderFrame(
  reading: PipelineReading,
  workload: WorkloadCounts,
  receiver: ReceiverCounts,
  elapsedSeconds: number,
  durationSeconds: number | undefined,
  /** With `--webhooks`: the Stripe-style sender's counts. */
  sender?: SenderCounts,
): string[] {
  const clock = durationSeconds
    ? `${elapsedSeconds.toFixed(0)}/${durationSeconds} s`
    : `${elapsedSeconds.toFixed(0)} s (Ctrl-C to stop)`;
  const lines = [
    `sluice demo — ${clock}   workload: ${int(workload.transactions)} txns (${int(workload.inserts)} ins, ${int(workload.updates)} upd, ${int(workload.deletes)} del)`,
    '',
    `  ${'stage'.padEnd(16)} ${'events/s'.padStart(9)} ${'total'.padStart(10)} ${'lag'.padStart(7)} ${'DLQ'.padStart(5)}`,
  ];
  for (const s of reading.stages) {
    const lag = s.lag === undefined ? '' : int(s.lag);
    const state = s.answering ? '' : '  (not answering)';
    lines.push(
      `  ${s.stage.padEnd(16)} ${int(s.rate).padStart(9)} ${int(s.total).padStart(10)} ${lag.padStart(7)} ${int(s.deadLettered).padStart(5)}${state}`,
    );
  }
  lines.push('');
  lines.push(
    `  e2e latency (commit → sink write)  last second p50 ${ms(reading.latency.recent.p50)}  p99 ${ms(reading.latency.recent.p99)}` +
      `   overall p50 ${ms(reading.latency.overall.p50)}  p99 ${ms(reading.latency.overall.p99)}`,
  );
  if (reading.snapshot && reading.snapshot.done < reading.snapshot.total)
    lines.push(
      `  snapshot ${progressBar(reading.snapshot.done, reading.snapshot.total)} ${int(reading.snapshot.done)}/${int(reading.snapshot.total)} rows`,
    );
  else if (reading.snapshot)
    lines.push(`  snapshot ${progressBar(1, 1)} done (${int(reading.snapshot.total)} rows)`);
  lines.push(
    `  webhook receiver: ${int(receiver.accepted)} accepted, ${int(receiver.duplicates)} redelivered (ignored), ${int(receiver.badSignatures)} bad signatures`,
  );
  if (sender) lines.push(webhookSourceLine(sender, reading));
  return lines;
}

/** The sender's view and source-webhook's answers, on one line. */
export function webhookSourceLine(sender: SenderCounts, reading: PipelineReading): string {
  const w = reading.webhookRequests;
  const answers = w
    ? `source-webhook ${int(w.accepted)} accepted, ${int(w.duplicate)} duplicate, ${int(w.refused)} refused`
    : 'source-webhook not answering';
  return (
    `  webhook source: sender ${int(sender.events)} events, ${int(sender.acknowledged)} acknowledged, ` +
    `${int(sender.redeliveries)} redelivered, ${int(sender.retries)} retried → ${answers}`
  );
}
