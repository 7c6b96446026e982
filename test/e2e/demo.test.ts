// The demo as an automated test: `sluice demo` (the README's first command) runs the whole pipeline
// — source-postgres, transformer, sink-postgres and sink-http, each its own process — under a
// workload, drains, and exits 0 only when the replica equals the source, the webhook receiver got
// each event once (no event twice, also across the two kill -9 of the source the first run makes),
// and the poison record reached the dead-letter topic. Jaeger and Prometheus are
// left out here (their suites cover them); the stack the test setup started is reused. With
// --webhooks a Stripe-style sender also feeds source-webhook → a second transformer → the replica,
// and the run checks each event the sender got a 2xx for is in the table once.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const ROOT = join(__dirname, '..', '..', '..');

describe('sluice demo', () => {
  it('runs the pipeline live and every end-of-run check holds', { timeout: 600_000 }, async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'sluice.js'),
        'demo',
        '--duration',
        '20',
        '--rate',
        '40',
        '--customers',
        '300',
        // kill -9 of the source twice during the workload: each webhook event still arrives once
        // (the source publishes exactly once; a re-published change would be a second webhook).
        '--kill-source',
        '2',
        '--no-observability',
      ],
      { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output.slice(-6000));
    assert.match(output, /demo: every check holds/);
    for (const table of ['customers', 'orders', 'order_items'])
      assert.match(output, new RegExp(`ok +replica ${table}: \\d+ rows equal`));
    assert.match(output, /ok +webhook: each event once: [1-9]\d* events, each accepted once/);
    assert.match(output, /kill -9 source-postgres \(pid \d+\), 2 of 2: started again/);
    assert.match(output, /ok +poison record dead-lettered/);
    // The live view ran: stages with throughput and the end-to-end latency line.
    assert.match(output, /source-postgres +\d+/);
    assert.match(output, /end-to-end latency \(source commit → sink write\): p50 [\d.]+ ms, p99 [\d.]+ ms/);
    // The default path runs no webhook source.
    assert.doesNotMatch(output, /source-webhook|webhook source:/);
  });

  it(
    '--webhooks: a Stripe-style sender into source-webhook, each acknowledged event in the table once',
    { timeout: 600_000 },
    async () => {
      const { code, output } = await runDemo(['--webhooks', '--duration', '15', '--no-observability']);
      assert.equal(code, 0, output.slice(-6000));
      assert.match(output, /demo: every check holds/);
      assert.match(
        output,
        /ok +webhook source: each acknowledged event once: [1-9]\d* events acknowledged \(\d+\/\d+ redeliveries answered duplicate\), \d+ records in demo\.webhooks\.stripe, \d+ invoice\.paid rows in demo_replica\.invoices, each once/,
      );
      // The default checks still hold beside it, and the live view shows the webhook counters.
      for (const table of ['customers', 'orders', 'order_items'])
        assert.match(output, new RegExp(`ok +replica ${table}: \\d+ rows equal`));
      assert.match(output, /ok +webhook: each event once/);
      assert.match(output, /source-webhook +\d+/);
      assert.match(
        output,
        /webhook source: sender \d+ events, \d+ acknowledged, .* source-webhook \d+ accepted, \d+ duplicate/,
      );
    },
  );
});

async function runDemo(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}
