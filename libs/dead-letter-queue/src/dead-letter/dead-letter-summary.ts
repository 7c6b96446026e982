import { type DeadLetter } from './dead-letter';

export interface ErrorClassCount {
  readonly errorClass: string;
  readonly count: number;
  /** Timestamps (ms) of its oldest and newest dead letter. */
  readonly oldest: number;
  readonly newest: number;
}

/** What `sluice dlq list` shows of a DLQ. */
export interface DeadLetterSummary {
  readonly total: number;
  readonly oldest?: number;
  readonly newest?: number;
  /** Most frequent first. */
  readonly byErrorClass: readonly ErrorClassCount[];
  /** Dead letters per original topic (`(unknown)` without an origin). */
  readonly byTopic: ReadonlyArray<{ readonly topic: string; readonly count: number }>;
  /** Keys parked now (from `<group>.dlq.parked`). */
  readonly parkedKeys: number;
}

export function summarize(letters: readonly DeadLetter[], parkedKeys: number): DeadLetterSummary {
  const classes = new Map<string, { count: number; oldest: number; newest: number }>();
  const topics = new Map<string, number>();
  let oldest: number | undefined;
  let newest: number | undefined;
  for (const l of letters) {
    const c = classes.get(l.errorClass);
    if (c) {
      c.count += 1;
      c.oldest = Math.min(c.oldest, l.timestamp);
      c.newest = Math.max(c.newest, l.timestamp);
    } else classes.set(l.errorClass, { count: 1, oldest: l.timestamp, newest: l.timestamp });
    const topic = l.source?.topic ?? '(unknown)';
    topics.set(topic, (topics.get(topic) ?? 0) + 1);
    oldest = oldest === undefined ? l.timestamp : Math.min(oldest, l.timestamp);
    newest = newest === undefined ? l.timestamp : Math.max(newest, l.timestamp);
  }
  return {
    total: letters.length,
    ...(oldest !== undefined ? { oldest, newest } : {}),
    byErrorClass: [...classes]
      .map(([errorClass, c]) => ({ errorClass, ...c }))
      .sort((a, b) => b.count - a.count || a.errorClass.localeCompare(b.errorClass)),
    byTopic: [...topics]
      .map(([topic, count]) => ({ topic, count }))
      .sort((a, b) => b.count - a.count || a.topic.localeCompare(b.topic)),
    parkedKeys,
  };
}
