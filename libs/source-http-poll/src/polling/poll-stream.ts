import { type Kafka, type Message } from 'kafkajs';
import { systemClock } from '@sluice/errors';
import { JsonTemplate, TextTemplate, toJsonText } from '@sluice/http-client';
import { type ExpressionScope } from '@sluice/pipeline';
import { readTopicToEnd } from '@sluice/kafka';
import { counter, type Logger, type MessageTracing, type TraceSpan } from '@sluice/observability';
import { type PollStreamConfig } from '../connector/http-poll-settings';
import {
  comparable,
  compareMarks,
  EMPTY_CURSOR,
  type Mark,
  nextPollStart,
  overlapFloor,
  type PagePointer,
  type PollCursor,
  sinceValue,
} from '../cursor/poll-cursor';
import { type CursorStore } from '../offsets/cursor-store';
import { type ApiAnswer, type ApiClient, type ApiRequest } from '../request/api-client';
import { type ItemRecords } from './item-records';
import { pageItems } from './page-items';
import { type PagePublisher } from './page-publisher';
import { nextPage, pageUrl } from './pagination';
import { PollFailedError, StreamRefusedError } from './poll-errors';
import { pollDelayMs } from './poll-schedule';

export type StreamPhase = 'starting' | 'waiting' | 'polling' | 'reconciling' | 'refused' | 'stopped';

const itemsPublished = counter({
  name: 'sluice_http_poll_items_total',
  help: 'Items read from polled APIs, by stream and outcome (published, unchanged: a version already published, deleted).',
  labelNames: ['stream', 'outcome'],
});
const polls = counter({
  name: 'sluice_http_poll_polls_total',
  help: 'Polls by stream and outcome (ok, not_modified, failed, refused).',
  labelNames: ['stream', 'outcome'],
});

export interface PollStreamDeps {
  readonly client: ApiClient;
  readonly records: ItemRecords;
  readonly publisher: PagePublisher;
  readonly cursors: CursorStore;
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly tracing: MessageTracing;
}

/** Records of a deletion scan written per transaction. */
const DELETES_PER_TRANSACTION = 500;
/** A poll's pages share a transaction up to this many records, or this long. */
const RECORDS_PER_TRANSACTION = 5_000;
const COMMIT_INTERVAL_MS = 250;

/**
 * A poll under way: where it asked from, its next page, the largest mark published (the committed
 * mark to begin with), the largest mark this walk listed, the versions published, and when the poll
 * first started (a poll stopped between pages and started again keeps its start).
 */
interface Run {
  readonly since: Mark | undefined;
  next: PagePointer | undefined;
  max: Mark | undefined;
  reach: Mark | undefined;
  readonly seen: Map<string, readonly [string, number | null]>;
  readonly startedAt: number;
}

const lower = (a: Mark | undefined, b: Mark | undefined): Mark | undefined =>
  !a ? b : !b ? a : compareMarks(a, b) <= 0 ? a : b;
const higher = (a: Mark | undefined, b: Mark | undefined): Mark | undefined =>
  !a ? b : !b ? a : compareMarks(a, b) >= 0 ? a : b;

/**
 * The overlap's floor while a poll walks an ordered listing: the versions at or above it are
 * remembered, and an item listed below it and not remembered was published before. It follows the
 * walk (the largest mark listed), never above the mark published nor the poll's start: the next
 * poll asks from there (`nextPollStart`), and an item changed behind the walk sorts after its start.
 */
const runFloor = (run: Run, lookbackSeconds: number): number | null =>
  overlapFloor(nextPollStart(lower(run.max, run.reach), run.startedAt), lookbackSeconds);

/** Forgets the versions below `floor` (items with no mark are kept: whole-listing polls). */
function prune(seen: Map<string, readonly [string, number | null]>, floor: number | null): void {
  if (floor === null) return;
  for (const [key, [, at]] of seen) if (at !== null && at < floor) seen.delete(key);
}

/**
 * One polled endpoint, from request to committed cursor: each poll renders the request from the
 * cursor, follows the pages, drops the versions already published (the look-back's overlap, the
 * items of a tied mark), and commits each page's records with the stream's new cursor in one
 * Kafka transaction. A poll stopped between pages starts again from the largest mark it published
 * (startRun); a refused one (401,
 * 403) stops the stream; any other failure waits for the next interval, the cursor unmoved.
 */
export class PollStream {
  private cursor: PollCursor = EMPTY_CURSOR;
  private phaseNow: StreamPhase = 'starting';
  private readonly url: TextTemplate;
  private readonly query: [string, TextTemplate][];
  private readonly headers: [string, TextTemplate][];
  private readonly body: JsonTemplate | undefined;
  private readonly reconcileUrl: TextTemplate | undefined;
  private readonly reconcileQuery: [string, TextTemplate][] | undefined;
  private lastPollAt: number | undefined;
  private lastReconcileAt = 0;
  private nextPollAt: number | undefined;
  private lastError: string | undefined;
  /** Versions the committed cursor remembers (kept, not counted per status call). */
  private remembered = 0;
  private readonly counts = { polls: 0, pages: 0, published: 0, unchanged: 0, deleted: 0, failures: 0 };

  constructor(
    readonly config: PollStreamConfig,
    private readonly deps: PollStreamDeps,
  ) {
    this.url = TextTemplate.parse(config.request.url, encodeURIComponent);
    this.query = Object.entries(config.request.query).map(([k, v]) => [k, TextTemplate.parse(v)]);
    this.headers = Object.entries(config.request.headers).map(([k, v]) => [
      k.toLowerCase(),
      TextTemplate.parse(v),
    ]);
    this.body = config.request.body === undefined ? undefined : JsonTemplate.compile(config.request.body);
    if (config.reconcile) {
      this.reconcileUrl = config.reconcile.request.url
        ? TextTemplate.parse(config.reconcile.request.url, encodeURIComponent)
        : undefined;
      this.reconcileQuery = config.reconcile.request.query
        ? Object.entries(config.reconcile.request.query).map(([k, v]) => [k, TextTemplate.parse(v)])
        : undefined;
    }
  }

  get name(): string {
    return this.config.name;
  }

  get phase(): StreamPhase {
    return this.phaseNow;
  }

  /** Polls on its schedule until `signal` fires or the API refuses the stream. */
  async run(committed: PollCursor | undefined, signal: AbortSignal): Promise<void> {
    this.cursor = committed ?? EMPTY_CURSOR;
    this.remembered = Object.keys(this.cursor.seen).length;
    // A restarted source reconciles after a full interval, not at once.
    this.lastReconcileAt = Date.now();
    while (!signal.aborted) {
      try {
        this.phaseNow = 'polling';
        await this.poll(signal);
        if (this.config.reconcile && Date.now() - this.lastReconcileAt >= this.config.reconcile.intervalMs) {
          this.phaseNow = 'reconciling';
          await this.reconcile(signal);
          this.lastReconcileAt = Date.now();
        }
        this.lastError = undefined;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof StreamRefusedError) {
          polls.inc({ stream: this.name, outcome: 'refused' });
          this.phaseNow = 'refused';
          this.lastError = error.message;
          this.deps.logger.error(
            { stream: this.name, status: error.status },
            `stream stopped: ${error.message}`,
          );
          return;
        }
        // Not ours to handle (a fenced producer): the source decides.
        if (!(error instanceof PollFailedError) && !isKafkaFailure(error)) throw error;
        polls.inc({ stream: this.name, outcome: 'failed' });
        this.counts.failures++;
        this.lastError = (error as Error).message;
        this.deps.logger.warn(
          { stream: this.name, err: error },
          `poll failed, next at its interval: ${this.lastError}`,
        );
      }
      this.phaseNow = 'waiting';
      const wait = pollDelayMs(this.config.schedule);
      this.nextPollAt = Date.now() + wait;
      await systemClock.sleep(wait, signal).catch(() => undefined);
    }
    this.phaseNow = 'stopped';
  }

  /**
   * One poll: the pages from the cursor (or from where a stopped poll left off) to the last. The
   * next page is fetched while the current one is encoded, and read and encoded while the pages
   * before it commit; pages are committed together, with the cursor after the last of them, up to
   * RECORDS_PER_TRANSACTION records or COMMIT_INTERVAL_MS, one transaction at a time.
   */
  async poll(signal: AbortSignal): Promise<void> {
    this.counts.polls++;
    this.lastPollAt = Date.now();
    const span = this.deps.tracing.root(`poll ${this.name}`, () => ({
      'sluice.http_poll.stream': this.name,
    }));
    let failure: unknown;
    let prefetch: Promise<ApiAnswer> | undefined;
    let committing: Promise<void> | undefined;
    try {
      const run: Run = this.startRun(this.cursor.run);
      let buffered: Message[] = [];
      let lastCommit = Date.now();
      let request = this.request(run.since, run.next);
      for (;;) {
        let answer: ApiAnswer;
        try {
          answer = await (prefetch ?? this.deps.client.send(request, signal));
        } finally {
          prefetch = undefined;
        }
        if (answer.notModified) {
          polls.inc({ stream: this.name, outcome: 'not_modified' });
          return;
        }
        const items = pageItems(this.name, answer.body, this.config.items);
        const next = nextPage(
          this.config.pagination,
          { body: answer.body, headers: answer.headers, url: request.url, items: items.length },
          run.next,
        );
        if (next) {
          request = this.request(run.since, next);
          prefetch = this.deps.client.send(request, signal);
          // Settled when awaited; a commit failing first must not leave it unhandled.
          prefetch.catch(() => undefined);
        }
        buffered.push(...(await this.page(items, run, span)));
        run.next = next;
        this.counts.pages++;
        if (next && buffered.length < RECORDS_PER_TRANSACTION && Date.now() - lastCommit < COMMIT_INTERVAL_MS)
          continue;
        const cursor = next ? this.inProgress(run) : this.completed(run, answer.headers);
        // One transaction in flight while the next pages are read and encoded; the next is sent
        // only once it committed, so a failed one fails the poll before a later cursor passes it.
        if (committing) await committing;
        committing = this.commit(buffered, cursor);
        committing.catch(() => undefined);
        buffered = [];
        lastCommit = Date.now();
        if (!next) break;
      }
      await committing;
      polls.inc({ stream: this.name, outcome: 'ok' });
    } catch (error) {
      failure = error;
      // The cursor as committed before the next poll reads it.
      await committing?.catch(() => undefined);
      throw error;
    } finally {
      span.end(failure);
    }
  }

  /** A transaction of records with the stream's cursor after them; the cursor is the stream's once committed. */
  private async commit(records: Message[], cursor: PollCursor): Promise<void> {
    await this.deps.publisher.publish([
      ...(records.length > 0 ? [{ topic: this.config.topic, messages: records }] : []),
      this.deps.cursors.record(this.name, cursor),
    ]);
    this.cursor = cursor;
    this.remembered = Object.keys(cursor.seen).length;
    this.counts.published += records.length;
  }

  /**
   * A poll's working state, from the committed cursor. A poll stopped between pages (a crash, a
   * failed page) is not resumed at its next page: an item changed while the source was down may
   * now sort before that page (same second, lower tie-breaker). It starts again from the largest
   * mark it listed less the look-back (ordered listings: everything before was walked), or from its
   * own `since` (unordered ones, and a run that listed nothing); its maximum, versions and start are
   * kept, so the overlap costs requests, not records (and an expired page token cannot stop it),
   * and the poll after it still asks from its start for what changed behind the walk.
   */
  private startRun(stopped: PollCursor['run']): Run {
    const { mark, from, seen } = this.cursor;
    const since = stopped
      ? ((this.config.cursor.ordered ? (stopped.reach ?? stopped.max) : undefined) ?? stopped.since)
      : (from ?? mark);
    return {
      since,
      next: undefined,
      max: stopped ? stopped.max : mark,
      reach: since,
      seen: new Map(Object.entries(seen)),
      startedAt: stopped?.startedAt ?? Date.now(),
    };
  }

  /**
   * A page's items as records: the versions already published dropped, the run's `seen` and
   * maximum updated. Below the overlap of the run's maximum an item not remembered counts as
   * published (ordered listings; otherwise the run's whole `seen` is kept).
   */
  private async page(items: Record<string, unknown>[], run: Run, span: TraceSpan): Promise<Message[]> {
    const { lookbackSeconds, ordered } = this.config.cursor;
    const floor = ordered
      ? runFloor(run, lookbackSeconds)
      : overlapFloor(this.cursor.from ?? this.cursor.mark, lookbackSeconds);
    const send = this.deps.tracing.send(span, this.config.topic, { 'sluice.http_poll.stream': this.name });
    const headers: Record<string, string | Buffer> = {};
    for (const h of send.headers()) headers[h.key] = h.value!;
    send.end();
    const messages: Message[] = [];
    let unchanged = 0;
    for (const [index, item] of items.entries()) {
      const listed = this.deps.records.listed(item, index);
      const at = listed.mark ? comparable(listed.mark.value) : null;
      run.reach = higher(run.reach, listed.mark);
      const known = run.seen.get(listed.key);
      const published =
        known?.[0] === listed.version ||
        // Older than a version already published: a stale read, never a step back.
        (at !== null && known?.[1] !== null && known?.[1] !== undefined && at < known[1]) ||
        // Below the overlap and not remembered: published before the mark moved past it.
        (at !== null && floor !== null && at < floor && known === undefined);
      if (published) {
        unchanged++;
        continue;
      }
      messages.push(await this.deps.records.upsert(listed, headers));
      run.seen.set(listed.key, [listed.version, at]);
      run.max = higher(run.max, listed.mark);
    }
    // Counted once a page: a labelled counter's increment hashes its labels.
    this.counts.unchanged += unchanged;
    if (unchanged > 0) itemsPublished.inc({ stream: this.name, outcome: 'unchanged' }, unchanged);
    if (messages.length > 0) itemsPublished.inc({ stream: this.name, outcome: 'published' }, messages.length);
    if (ordered) prune(run.seen, runFloor(run, lookbackSeconds));
    return messages;
  }

  /** The cursor of a poll stopped between pages: the committed mark, the run's state. */
  private inProgress(run: Run): PollCursor {
    return {
      ...this.cursor,
      seen: Object.fromEntries(run.seen),
      run: {
        ...(run.since ? { since: run.since } : {}),
        next: run.next!,
        ...(run.max ? { max: run.max } : {}),
        ...(run.reach ? { reach: run.reach } : {}),
        startedAt: run.startedAt,
      },
    };
  }

  /**
   * The cursor after a poll's last page: the mark moved, the next poll's start (the poll's own start
   * when the mark passed it), `seen` pruned to the next poll's overlap.
   */
  private completed(run: Run, headers: Readonly<Record<string, string>>): PollCursor {
    const mark = run.max ?? this.cursor.mark;
    const from = nextPollStart(mark, run.startedAt);
    prune(run.seen, overlapFloor(from, this.config.cursor.lookbackSeconds));
    const conditional = this.config.cursor.conditional;
    return {
      ...(mark ? { mark } : {}),
      ...(from && from !== mark ? { from } : {}),
      ...(conditional && headers.etag ? { etag: headers.etag } : {}),
      ...(conditional && headers['last-modified'] ? { lastModified: headers['last-modified'] } : {}),
      seen: Object.fromEntries(run.seen),
    };
  }

  /**
   * The deletion scan: the keys live in the topic (read committed to its end) that a full listing
   * no longer has get a delete event and a tombstone, committed with the cursor (which forgets them).
   */
  async reconcile(signal: AbortSignal): Promise<void> {
    const live = await this.liveKeys(signal);
    const listed = new Set<string>();
    let next: PagePointer | undefined;
    for (;;) {
      const request = this.request(undefined, next, true);
      const answer = await this.deps.client.send(request, signal);
      if (answer.notModified) return;
      const items = pageItems(this.name, answer.body, this.config.items);
      items.forEach((item, i) => listed.add(this.deps.records.listed(item, i).key));
      next = nextPage(
        this.config.pagination,
        { body: answer.body, headers: answer.headers, url: request.url, items: items.length },
        next,
      );
      if (!next) break;
    }
    const gone = [...live].filter((key) => !listed.has(key));
    for (let i = 0; i < gone.length; i += DELETES_PER_TRANSACTION) {
      const keys = gone.slice(i, i + DELETES_PER_TRANSACTION);
      const messages = (await Promise.all(keys.map((k) => this.deps.records.deletion(k, {})))).flat();
      const seen = { ...this.cursor.seen };
      for (const key of keys) delete seen[key];
      const cursor: PollCursor = { ...this.cursor, seen };
      await this.deps.publisher.publish([
        { topic: this.config.topic, messages },
        this.deps.cursors.record(this.name, cursor),
      ]);
      this.cursor = cursor;
      this.counts.deleted += keys.length;
      itemsPublished.inc({ stream: this.name, outcome: 'deleted' }, keys.length);
    }
    if (gone.length > 0)
      this.deps.logger.info(
        { stream: this.name, deleted: gone.length },
        'reconciliation deleted keys no longer listed',
      );
  }

  /** The keys whose latest record in the stream's topic is not a tombstone. */
  private async liveKeys(signal: AbortSignal): Promise<Set<string>> {
    const live = new Set<string>();
    await readTopicToEnd(this.deps.kafka, {
      topic: this.config.topic,
      signal,
      groupIdPrefix: `sluice.http-poll.${this.name}.reconcile`,
      onBatch: (_partition, records) => {
        for (const record of records) {
          if (record.key === null) continue;
          const key = this.deps.records.decodeKey(record.key);
          if (record.value === null) live.delete(key);
          else live.add(key);
        }
      },
    });
    return live;
  }

  /** The request of a page: the first renders the templates over the cursor; later ones follow the pointer. */
  private request(since: Mark | undefined, next: PagePointer | undefined, fullListing = false): ApiRequest {
    const scope = this.scope(fullListing ? undefined : since, fullListing);
    const base = new URL((fullListing ? (this.reconcileUrl ?? this.url) : this.url).render(scope));
    const query = fullListing ? (this.reconcileQuery ?? this.query) : this.query;
    for (const [name, template] of query) {
      const value = template.render(scope);
      if (value !== '') base.searchParams.set(name, value);
    }
    const headers: Record<string, string> = {};
    for (const [name, template] of this.headers) headers[name] = template.render(scope);
    if (next === undefined && !fullListing && this.config.cursor.conditional) {
      if (this.cursor.etag) headers['if-none-match'] = this.cursor.etag;
      if (this.cursor.lastModified) headers['if-modified-since'] = this.cursor.lastModified;
    }
    return {
      method: this.config.request.method,
      url: pageUrl(this.config.pagination, base, next),
      headers,
      ...(this.body ? { body: toJsonText(this.body.render(scope)) } : {}),
    };
  }

  private scope(since: Mark | undefined, fullListing: boolean): ExpressionScope {
    const { lookbackSeconds, initial } = this.config.cursor;
    const cursor = fullListing
      ? { since: null, value: null, id: null }
      : {
          since: sinceValue(since, lookbackSeconds, initial),
          value: since?.value ?? null,
          id: since?.id ?? null,
        };
    return {
      value: { cursor },
      key: null,
      headers: () => ({}),
      topic: this.config.topic,
      partition: 0,
      offset: '0',
      timestamp: Date.now(),
    };
  }

  status(): object {
    const { mark, from, etag, lastModified, run } = this.cursor;
    return {
      name: this.name,
      topic: this.config.topic,
      phase: this.phaseNow,
      cursor: {
        ...(mark ? { mark } : {}),
        ...(from ? { from } : {}),
        ...(etag ? { etag } : {}),
        ...(lastModified ? { lastModified } : {}),
        remembered: this.remembered,
        ...(run ? { resumesAt: run.next } : {}),
      },
      ...(this.lastPollAt ? { lastPollAt: new Date(this.lastPollAt).toISOString() } : {}),
      ...(this.nextPollAt && this.phaseNow === 'waiting'
        ? { nextPollAt: new Date(this.nextPollAt).toISOString() }
        : {}),
      items: {
        published: this.counts.published,
        unchanged: this.counts.unchanged,
        deleted: this.counts.deleted,
      },
      polls: this.counts.polls,
      pages: this.counts.pages,
      failures: this.counts.failures,
      requests: { ...this.deps.client.counters },
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}

/** kafkajs's errors (a broker away, a transaction aborted): the poll is repeated at its interval. */
function isKafkaFailure(error: unknown): boolean {
  return (error as Error)?.name?.startsWith('KafkaJS') ?? false;
}
