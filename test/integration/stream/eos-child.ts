// Test-only child process for the crash suite: runs the stream runtime in exactly-once mode with an
// identity processor from argv[2] (input) to argv[3] (output) in group argv[4]. SIGTERM stops it
// gracefully; the suite kills it with SIGKILL to prove that crashes never duplicate or lose output.
import { parseStreamRuntimeConfig, type RecordProcessor, StreamRuntime } from '@sluice/stream';
import { kafkaConfig } from './stream-harness';

const [input, output, group] = process.argv.slice(2);
const processor: RecordProcessor = {
  name: 'IdentityProcessor',
  // A little work per record, so a run of N records lasts long enough to be killed in the middle.
  process: async (record) => {
    if (record.offset % 10n === 0n) await new Promise((r) => setTimeout(r, 1));
    return [{ topic: output, key: record.key, value: record.value }];
  },
};
const runtime = new StreamRuntime({
  kafka: kafkaConfig,
  config: parseStreamRuntimeConfig({
    group,
    topics: [input],
    delivery: 'exactly-once',
    concurrency: { partitions: 4, keysPerPartition: 8 },
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 1_000,
    revokeTimeoutMs: 2_000,
  }),
  processor,
  // Told at once, before the stop's drain: a test reads it even while the process still stops.
  onFailing: (error) => process.stderr.write(`runtime failing: ${String(error)}\n`),
});
process.on('SIGTERM', () => void runtime.stop().then(() => process.exit(0)));
runtime.start().then(
  () => process.stdout.write('started\n'),
  (error: unknown) => {
    process.stderr.write(`start failed: ${String(error)}\n`);
    process.exit(2);
  },
);
runtime.done.catch((error: unknown) => {
  process.stderr.write(`runtime failed: ${String(error)}\n`);
  process.exit(3);
});
