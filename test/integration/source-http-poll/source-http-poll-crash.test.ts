// source-http-poll under kill -9, against the local test API and the real Kafka: the app runs as its
// own process and is killed 10 times at random moments while the API's items change (between pages
// too), answers 500s, and rate-limits. The properties, read committed from the topic and the
// offsets topic: no item version published twice, each key's versions in increasing order, the
// latest version of every item published, the committed cursor never moving back, and the server's
// rate limit never exceeded. (A version replaced at the API before any poll saw it is
// invisible to every poller and is not asked for.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AppChild, freePort, stackAddresses, until } from '@sluice/test-support';
import { PollTestApi } from './poll-test-api';
import { PollTestBed } from './source-http-poll-harness';

const MAIN = join(__dirname, '..', '..', '..', 'apps', 'source-http-poll', 'src', 'main.js');
const KILLS = 10;

/** A mark as text that orders as the API does: epoch ms (13 digits until 2286), then the id. */
const markKey = (mark: { value: unknown; id?: unknown }) =>
  `${Date.parse(String(mark.value))}:${String(mark.id)}`;

/** The app as a child process on a fixed port, started again after each kill. */
class PollProcess extends AppChild {
  constructor(
    config: object,
    readonly port: number,
  ) {
    super(MAIN, config);
  }

  async status(): Promise<
    | {
        phase: string;
        streams: {
          phase: string;
          polls: number;
          items: { published: number };
          cursor: { mark?: { value: string; id: string } };
        }[];
      }
    | undefined
  > {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/status`, { signal: AbortSignal.timeout(1_000) });
      return res.ok ? ((await res.json()) as never) : undefined;
    } catch {
      return undefined;
    }
  }
}

describe('source-http-poll: kill -9 while items change', () => {
  const bed = new PollTestBed();
  const api = new PollTestApi({
    pageSize: 25,
    seed: 20,
    rateLimit: { perSecond: 40 },
    // No random 429s here: a process started after a kill cannot know the Retry-After its
    // predecessor was given (source-http-poll-limits proves Retry-After is honoured).
    faults: { error500: 0.05 },
    mutateBetweenPages: 0.3,
  });
  const topic = bed.topic('crash');
  let app: PollProcess;
  // The API's users at work until the kills are over, and /status sampled until the end (or the test
  // failed: then after() stops both, or their timers would keep this process alive).
  let changing = true;
  let sampling = true;
  before(async () => {
    const port = await freePort();
    const base = await api.start();
    api.seed(1_500, new Date(Date.now() - 3_600_000));
    const stack = stackAddresses();
    app = new PollProcess(
      {
        name: 'poll-crash',
        streams: [
          {
            name: 'items',
            topic,
            request: { url: `${base}/next-link/items`, query: { since: '{{ cursor.since }}' } },
            items: 'data',
            key: 'id',
            version: 'version',
            cursor: { field: 'updated_at', tieBreaker: 'id', lookbackSeconds: 2 },
            pagination: { type: 'next-link', path: 'next' },
            schedule: { intervalMs: 100 },
          },
        ],
        // Half the server's rate: a restarted process's full bucket and its predecessor's last
        // second together stay within the server's limit.
        hosts: { [new URL(base).host]: { rateLimit: { perSecond: 20 } } },
        requests: { timeoutMs: 2_000, retries: 10, initialDelayMs: 20, maxDelayMs: 1_000 },
        offsets: { topic: bed.offsetsTopic },
        topics: { partitions: 3 },
        kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-http-poll-crash', logLevel: 'nothing' },
        registry: { url: stack.registryUrl },
        http: { host: '127.0.0.1', port },
        logging: { level: 'warn' },
        tracing: { enabled: false },
      },
      port,
    );
  });
  after(async () => {
    changing = false;
    sampling = false;
    await app.kill('SIGKILL');
    app.remove();
    await api.stop();
    await bed.cleanup();
  });

  it(`publishes every item version once across ${KILLS} kills`, { timeout: 240_000 }, async (t) => {
    let n = 0;
    // The API's users at work: changes to existing items and new ones, some sharing a second.
    const mutator = (async () => {
      while (changing) {
        const id =
          Math.random() < 0.2
            ? `n${String(n++).padStart(5, '0')}`
            : `c${String(1 + Math.floor(Math.random() * 1_500)).padStart(5, '0')}`;
        api.upsert(id);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    // The committed mark as each process reports it (/status shows a cursor once Kafka committed
    // it, and a restarted process the one it read back): the offsets topic alone is compacted.
    const reported: string[] = [];
    const sampler = (async () => {
      while (sampling) {
        const mark = (await app.status())?.streams[0]?.cursor.mark;
        if (mark) reported.push(markKey(mark));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    app.start();
    for (let kill = 0; kill < KILLS; kill++) {
      // Killed while it polls: once it answers as running, at a random moment of its work.
      await until(
        async () => (await app.status())?.phase === 'running',
        60_000,
        'the app running',
        () => app.output().slice(-2_000),
      );
      await new Promise((r) => setTimeout(r, Math.random() * 1_500));
      await app.kill('SIGKILL');
      app.start();
    }
    changing = false;
    await mutator;
    // The API's own changes between pages stop too: one made during the last poll waited for could
    // sort behind that walk (the same second, a lower id) and be listed only by the poll after it.
    api.settle();
    // Caught up: two polls begun after the last change (the first may have begun before it) ended.
    let since: number | undefined;
    await until(
      async () => {
        const stream = (await app.status())?.streams[0];
        if (!stream) return false;
        since ??= stream.polls;
        return stream.phase === 'waiting' && stream.polls >= since + 2;
      },
      120_000,
      'the source to catch up',
      () => app.output().slice(-2_000),
    );
    sampling = false;
    await sampler;
    await app.kill('SIGTERM');

    const records = await bed.records(topic);
    const seen = new Map<string, number[]>();
    const twice: string[] = [];
    const ids = new Set<string>();
    for (const r of records) {
      const version = Number(r.version);
      const id = `${r.key}@${version}`;
      if (ids.has(id)) twice.push(id);
      ids.add(id);
      seen.set(r.key, [...(seen.get(r.key) ?? []), version]);
    }
    assert.deepEqual(twice, [], 'no item version twice');
    for (const [key, versions] of seen)
      assert.ok(
        versions.every((v, i) => i === 0 || v > versions[i - 1]!),
        `${key}'s versions in order: ${versions.join(',')}`,
      );
    // The offsets topic, read once: the last cursor for the message below, every cursor for the marks.
    const cursors = await bed.cursors('poll-crash', 'items');
    const missing = api.items().filter((item) => !ids.has(`${item.id}@${item.version}`));
    // Said with what tells a listing missed (never served) from a record lost (served, not in the topic).
    const served = api.served();
    const described = (i: (typeof missing)[number]) =>
      `${i.id}@${i.version} (${i.updated_at}, ${served.get(i.id)?.has(i.version) ? 'served' : 'never served'})`;
    assert.deepEqual(
      missing.map((i) => `${i.id}@${i.version}`),
      [],
      `the latest version of every item; missing: ${missing.map(described).join(', ')}; ` +
        `the last committed cursor: ${JSON.stringify(cursors.at(-1)?.mark)}`,
    );

    const marks = cursors.filter((c) => c.mark).map((c) => markKey(c.mark!));
    for (let i = 1; i < marks.length; i++)
      assert.ok(marks[i]! >= marks[i - 1]!, `cursor moved back: ${marks[i - 1]} → ${marks[i]}`);
    // A restarted process starts its stopped poll again from its largest mark less the look-back
    // (all 1,500 seeded items share one second), so under kills every second or two the first
    // poll may complete only once the kills are over.
    assert.ok(reported.length >= 1, `marks reported: ${reported.length}`);
    for (let i = 1; i < reported.length; i++)
      assert.ok(
        reported[i]! >= reported[i - 1]!,
        `reported cursor moved back: ${reported[i - 1]} → ${reported[i]}`,
      );

    assert.equal(api.stats.overLimit, 0, 'the server’s rate limit never exceeded');
    assert.ok(records.length >= 1_500, `${records.length} records`);
    t.diagnostic(
      `${records.length} records of ${api.items().length} items, ${marks.length} cursors in the offsets topic, ` +
        `${reported.length} marks reported, ` +
        `server answers ${JSON.stringify(api.stats.answered)}`,
    );
  });
});
