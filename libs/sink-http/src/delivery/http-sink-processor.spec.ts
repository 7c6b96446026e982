import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { getEventListeners } from 'node:events';
import { type AddressInfo } from 'node:net';
import { parseConfig } from '@sluice/config';
import { inStage, type ProcessContext, StageFailure, type StreamRecord } from '@sluice/stream';
import { httpDestinationConfigSchema } from '../config/http-destination-config';
import { InvalidUtf8Error, MalformedJsonError, RecordDecoding } from '../decoding/record-decoding';
import { HttpDestination } from './http-destination';
import { HttpSinkProcessor } from './http-sink-processor';
import { IdempotencyKey } from './idempotency-key';

let server: Server;
let base: string;
const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url!, headers: req.headers, body });
      res.writeHead(req.url === '/reject' ? 400 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const ctx = (): ProcessContext => ({ signal: new AbortController().signal, attempt: 1, stage: inStage });

function record(offset: number, value: unknown, topic = 'orders'): StreamRecord {
  return {
    topic,
    partition: 0,
    offset: BigInt(offset),
    key: Buffer.from(`k${offset}`),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers: [],
    timestamp: '1700000000000',
  };
}

function processor(destinations: Array<Record<string, unknown>>, tombstones: 'skip' | 'deliver' = 'skip') {
  const built = destinations.map(
    (d) => new HttpDestination(parseConfig(httpDestinationConfigSchema, d, { env: {} })),
  );
  return {
    p: new HttpSinkProcessor({
      destinations: built,
      decoding: new RecordDecoding('string', 'json'),
      tombstones,
    }),
    close: () => Promise.all(built.map((d) => d.close())),
  };
}

// Drives the processor the way the runtime does: inside TRANSFORMATION of the processor.
const run = (p: HttpSinkProcessor, r: StreamRecord) =>
  inStage('TRANSFORMATION', p.name, () => p.process(r, ctx()));

describe('HttpSinkProcessor', () => {
  it('routes by topic and `when`, fans out to every matching destination, produces nothing to Kafka', async () => {
    seen.length = 0;
    const { p, close } = processor([
      { name: 'all', url: `${base}/all` },
      { name: 'big', url: `${base}/big/{{ id }}`, when: 'total > 100' },
      { name: 'other-topic', url: `${base}/other`, topics: ['payments'] },
    ]);
    assert.deepEqual(await run(p, record(1, { id: 1, total: 5 })), []);
    assert.deepEqual(await run(p, record(2, { id: 2, total: 500 })), []);
    assert.deepEqual(seen.map((s) => s.url).sort(), ['/all', '/all', '/big/2']);
    await close();
  });

  it('tombstones are skipped by default, delivered with a null body when asked', async () => {
    seen.length = 0;
    const skip = processor([{ name: 'all', url: `${base}/all` }]);
    await run(skip.p, record(3, null));
    assert.equal(seen.length, 0);
    assert.equal(skip.p.skipCounters().tombstonesSkipped, 1);
    const deliver = processor([{ name: 'all', url: `${base}/all` }], 'deliver');
    await run(deliver.p, record(4, null));
    assert.equal(seen[0]!.body, 'null');
    await Promise.all([skip.close(), deliver.close()]);
  });

  it('an undecodable value fails in VALUE_CONVERTER; a refused request in TASK_PUT naming the destination', async () => {
    const { p, close } = processor([{ name: 'crm', url: `${base}/reject` }]);
    await assert.rejects(
      run(p, record(5, '{not json')),
      (e: unknown) =>
        e instanceof StageFailure && e.stage === 'VALUE_CONVERTER' && e.cause instanceof MalformedJsonError,
    );
    await assert.rejects(
      run(p, record(6, { id: 6 })),
      (e: unknown) =>
        e instanceof StageFailure && e.stage === 'TASK_PUT' && e.className === 'HttpDestination(crm)',
    );
    await close();
  });

  it('a header a template reads that is not UTF-8 fails in HEADER_CONVERTER, never sent with U+FFFD', async () => {
    seen.length = 0;
    const { p, close } = processor([
      { name: 'crm', url: `${base}/crm`, body: { tenant: '{{ $headers.tenant }}' } },
    ]);
    const withHeaders = (offset: number, tenant: Buffer) => ({
      ...record(offset, { id: offset }),
      headers: [
        { key: 'tenant', value: tenant },
        { key: 'trace-bin', value: Buffer.from([0xff, 0x00, 0xfe]) }, // never read: no failure
      ],
    });
    await assert.rejects(
      run(p, withHeaders(7, Buffer.from([0x63, 0x61, 0x66, 0xe9]))), // "café" in Latin-1
      (e: unknown) =>
        e instanceof StageFailure &&
        e.stage === 'HEADER_CONVERTER' &&
        e.cause instanceof InvalidUtf8Error &&
        /header "tenant"/.test(e.message),
    );
    assert.equal(seen.length, 0);
    await run(p, withHeaders(8, Buffer.from('café')));
    assert.equal(seen[0]!.body, '{"tenant":"café"}');
    await close();
  });

  it('batching: records in flight together go as one JSON array with the batch key and the member keys', async () => {
    seen.length = 0;
    const { p, close } = processor([
      { name: 'batched', url: `${base}/batch`, batch: { maxRecords: 3, lingerMs: 1000 } },
    ]);
    await Promise.all([
      run(p, record(10, { id: 10 })),
      run(p, record(11, { id: 11 })),
      run(p, record(12, { id: 12 })),
    ]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.body, '[{"id":10},{"id":11},{"id":12}]');
    const members = ['orders:0:10', 'orders:0:11', 'orders:0:12'];
    assert.equal(seen[0]!.headers['x-sluice-idempotency-keys'], members.join(','));
    assert.equal(seen[0]!.headers['idempotency-key'], IdempotencyKey.ofBatch(members));
    await close();
  });

  it('batching: a member whose body cannot be rendered fails alone, in its own stage; the others go', async () => {
    seen.length = 0;
    const { p, close } = processor([
      {
        name: 'batched',
        url: `${base}/batch`,
        body: '{{ $headers }}',
        batch: { maxRecords: 2, lingerMs: 50 },
      },
    ]);
    const withTenant = (offset: number, tenant: Buffer) => ({
      ...record(offset, { id: offset }),
      headers: [{ key: 'tenant', value: tenant }],
    });
    const [bad, good] = await Promise.allSettled([
      run(p, withTenant(20, Buffer.from([0xe9]))),
      run(p, withTenant(21, Buffer.from('acme'))),
    ]);
    assert.ok(
      bad.status === 'rejected' &&
        bad.reason instanceof StageFailure &&
        bad.reason.stage === 'HEADER_CONVERTER',
    );
    assert.equal(good.status, 'fulfilled');
    assert.deepEqual(
      seen.map((s) => s.body),
      ['[{"tenant":"acme"}]'],
    );
    await close();
  });

  it("batching: the listeners a batch puts on its records' signals are gone when it is done", async () => {
    const { p, close } = processor([
      { name: 'batched', url: `${base}/batch`, batch: { maxRecords: 2, lingerMs: 1000 } },
    ]);
    const partition = new AbortController(); // lives as long as the assignment, across many batches
    const context: ProcessContext = { signal: partition.signal, attempt: 1, stage: inStage };
    for (let i = 0; i < 5; i++)
      await Promise.all([
        p.process(record(30 + 2 * i, { id: i }), context),
        p.process(record(31 + 2 * i, { id: i }), context),
      ]);
    assert.equal(getEventListeners(partition.signal, 'abort').length, 0);
    await close();
  });

  it('batching: a batch that is not full goes after lingerMs', async () => {
    seen.length = 0;
    const { p, close } = processor([
      { name: 'batched', url: `${base}/batch`, batch: { maxRecords: 50, lingerMs: 10 } },
    ]);
    await run(p, record(20, { id: 20 }));
    assert.equal(seen[0]!.body, '[{"id":20}]');
    await close();
  });
});
