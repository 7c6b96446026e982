import { type AttemptHistory } from '@sluice/errors';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '@sluice/kafka';
import { recordBytes } from '../processor/stream-record';
import { lastHeaderText, type RecordHeader, type RecordHeaders } from './record-headers';

/** The dead-letter topic of a consumer group (PRODUCT.md: one per group). */
export function dlqTopicFor(group: string): string {
  return `${group}.dlq`;
}

/**
 * A dead letter is its record plus error headers (the stack trace is bounded at 32 KiB): a DLQ
 * takes the largest record of its inputs with this much room to spare.
 */
const DEAD_LETTER_HEADROOM_BYTES = 64 * 1024;

/**
 * The configs of a group's DLQ topic, for inputs whose largest max.message.bytes is
 * `largestInputBytes` (the runtime reads it at start; a plan made without the cluster assumes
 * Kafka's default, 1,048,588).
 */
export function deadLetterTopicConfigs(
  largestInputBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
): Record<string, string> {
  return { 'max.message.bytes': String(largestInputBytes + DEAD_LETTER_HEADROOM_BYTES) };
}

/**
 * Header names, exactly as Kafka Connect's `DeadLetterQueueReporter` writes them, so tools made
 * for Connect DLQs read Sluice's; then Sluice's own.
 */
export const DEAD_LETTER_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  connectorName: '__connect.errors.connector.name',
  taskId: '__connect.errors.task.id',
  stage: '__connect.errors.stage',
  className: '__connect.errors.class.name',
  exceptionClassName: '__connect.errors.exception.class.name',
  exceptionMessage: '__connect.errors.exception.message',
  exceptionStacktrace: '__connect.errors.exception.stacktrace',
  attempts: 'sluice.errors.attempts',
  firstTs: 'sluice.errors.first.ts',
  lastTs: 'sluice.errors.last.ts',
  parked: 'sluice.errors.parked',
  omitted: 'sluice.errors.omitted',
} as const;

/** Bounds on the error headers: an exception's message can carry a whole payload. */
const MAX_MESSAGE_CHARS = 8 * 1024;
const MAX_STACKTRACE_CHARS = 32 * 1024;
/** Room left under the DLQ topic's max.message.bytes for Kafka's record and batch framing. */
const FRAMING_BYTES = 1024;

const CONNECT_PREFIX = '__connect.errors.';
const SLUICE_PREFIX = 'sluice.errors.';

/**
 * Connect's `Stage` names (`org.apache.kafka.connect.runtime.errors.Stage`). Sluice uses
 * KEY_CONVERTER / VALUE_CONVERTER for decoding, TRANSFORMATION for pipeline steps, TASK_PUT for a
 * sink's write, KAFKA_PRODUCE for producing downstream.
 */
export const CONNECT_STAGES = [
  'TASK_POLL',
  'TASK_PUT',
  'TRANSFORMATION',
  'KEY_CONVERTER',
  'VALUE_CONVERTER',
  'HEADER_CONVERTER',
  'KAFKA_PRODUCE',
  'KAFKA_CONSUME',
] as const;
export type ConnectStage = (typeof CONNECT_STAGES)[number];

/** The consumed record that failed, with its bytes exactly as read. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  /** The record's timestamp (epoch ms, as kafkajs gives it); kept on the dead-letter record. */
  readonly timestamp?: string;
}

/** Where the failure happened. */
export interface DeadLetterContext {
  /** The consumer group; names the DLQ topic and, unless `connectorName` is given, the connector. */
  readonly group: string;
  readonly connectorName?: string;
  readonly taskId?: number;
  readonly stage: ConnectStage;
  /** The component that failed (Connect's executing class), e.g. a pipeline step's name. */
  readonly className: string;
}

/** Why the record is dead-lettered: its own failure, or parked behind an earlier failure of its key. */
export type DeadLetterReason =
  | (AttemptHistory & { readonly kind: 'failed'; readonly error: unknown })
  | { readonly kind: 'parked'; readonly behindOffset: bigint };

/** A record ready to produce to the dead-letter topic. */
export interface DeadLetterRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
  readonly timestamp?: string;
}

const text = (key: string, value: string): RecordHeader => ({ key, value: Buffer.from(value, 'utf8') });

function errorClassName(error: unknown): string {
  if (error instanceof Error) {
    const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === 'string' && ctor !== '' ? ctor : error.name;
  }
  return error === null ? 'null' : typeof error;
}

/** Like Java's printStackTrace: the stack, then each cause as `Caused by: ...` (at most 8 deep). */
function stackTrace(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined; depth++) {
    const part =
      current instanceof Error
        ? (current.stack ?? `${errorClassName(current)}: ${current.message}`)
        : String(current);
    parts.push(depth === 0 ? part : `Caused by: ${part}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/**
 * Builds the dead-letter record for `record`: key, value, timestamp and headers unchanged, then
 * Connect's error headers and Sluice's. Values are UTF-8 text as Connect writes them (numbers in
 * decimal, times as epoch milliseconds). Exception headers are written only for a record's own
 * failure, as Connect writes them only when there is an error; a parked record says which offset
 * it waited behind in `sluice.errors.parked`.
 *
 * One deliberate difference from Connect: error headers the original already carries (a record
 * that was dead-lettered before, redriven, and failed again) are replaced, not kept — stale error
 * details would describe the wrong failure.
 */
export function buildDeadLetterRecord(
  record: ConsumedRecord,
  context: DeadLetterContext,
  reason: DeadLetterReason,
): DeadLetterRecord {
  const H = DEAD_LETTER_HEADERS;
  const headers: RecordHeader[] = record.headers.filter(
    (h) => !h.key.startsWith(CONNECT_PREFIX) && !h.key.startsWith(SLUICE_PREFIX),
  );
  headers.push(
    text(H.topic, record.topic),
    text(H.partition, String(record.partition)),
    text(H.offset, String(record.offset)),
    text(H.connectorName, context.connectorName ?? context.group),
  );
  if (context.taskId !== undefined) headers.push(text(H.taskId, String(context.taskId)));
  headers.push(text(H.stage, context.stage), text(H.className, context.className));
  if (reason.kind === 'failed') {
    const message = reason.error instanceof Error ? reason.error.message : String(reason.error);
    headers.push(
      text(H.exceptionClassName, errorClassName(reason.error)),
      text(H.exceptionMessage, cut(message, MAX_MESSAGE_CHARS)),
      text(H.exceptionStacktrace, cut(stackTrace(reason.error), MAX_STACKTRACE_CHARS)),
      text(H.attempts, String(reason.attempts)),
      text(H.firstTs, String(reason.firstAttemptAt)),
      text(H.lastTs, String(reason.lastAttemptAt)),
    );
  } else {
    headers.push(text(H.attempts, '0'), text(H.parked, String(reason.behindOffset)));
  }
  return {
    topic: dlqTopicFor(context.group),
    key: record.key,
    value: record.value,
    headers,
    ...(record.timestamp !== undefined ? { timestamp: record.timestamp } : {}),
  };
}

function cut(value: string, maxChars: number): string {
  return value.length <= maxChars
    ? value
    : `${value.slice(0, maxChars)}… (${value.length - maxChars} characters cut)`;
}

/** A group's DLQ and its max.message.bytes: what a dead letter bound for it must fit (`fitDeadLetter`). */
export interface DeadLetterLimit {
  readonly topic: string;
  readonly maxBytes: number;
}

/** Its bytes with Kafka's framing of each header (two varint lengths, up to 8 bytes). */
const framedBytes = (record: DeadLetterRecord): number => recordBytes(record) + 8 * record.headers.length;

/**
 * A dead letter the DLQ topic can hold (`maxBytes`: its max.message.bytes). Kafka refuses a larger
 * one for good, and a runtime that cannot write its dead letter cannot commit past the record:
 * it would fail on it after every restart. What does not fit is left out, in this order, and
 * `sluice.errors.omitted` says what and how large: the value, then the original's own headers,
 * then the key, then the stack trace. The other error headers always stay, so the dead letter still names the original's
 * topic, partition and offset, where it can be read while the topic retains it.
 */
export function fitDeadLetter(record: DeadLetterRecord, maxBytes: number): DeadLetterRecord {
  const limit = maxBytes - FRAMING_BYTES;
  if (framedBytes(record) <= limit) return record;
  const omitted: string[] = [];
  const withOmitted = (next: DeadLetterRecord): DeadLetterRecord => ({
    ...next,
    headers: [...next.headers, text(DEAD_LETTER_HEADERS.omitted, omitted.join('; '))],
  });
  let fitted: DeadLetterRecord = record;
  for (const leaveOut of OMITTED_IN_TURN) {
    const left = leaveOut(fitted);
    if (left === undefined) continue;
    omitted.push(left.what);
    fitted = left.rest;
    if (framedBytes(withOmitted(fitted)) <= limit) break;
  }
  return withOmitted(fitted);
}

/** What `fitDeadLetter` leaves out, in turn: undefined when a dead letter has none of it. */
const OMITTED_IN_TURN: ReadonlyArray<
  (record: DeadLetterRecord) => { readonly what: string; readonly rest: DeadLetterRecord } | undefined
> = [
  (r) =>
    r.value === null ? undefined : { what: `value (${r.value.length} bytes)`, rest: { ...r, value: null } },
  (r) => {
    const own = r.headers.filter((h) => !isErrorHeader(h.key));
    return own.length === 0
      ? undefined
      : {
          what: `headers (${own.length})`,
          rest: { ...r, headers: r.headers.filter((h) => isErrorHeader(h.key)) },
        };
  },
  (r) => (r.key === null ? undefined : { what: `key (${r.key.length} bytes)`, rest: { ...r, key: null } }),
  (r) => ({
    what: 'stack trace',
    rest: { ...r, headers: r.headers.filter((h) => h.key !== DEAD_LETTER_HEADERS.exceptionStacktrace) },
  }),
];

function isErrorHeader(key: string): boolean {
  return key.startsWith(CONNECT_PREFIX) || key.startsWith(SLUICE_PREFIX);
}

/** What the error headers of a dead-letter record say (Connect's, and Sluice's when present). */
export interface DeadLetterInfo {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly connectorName?: string;
  readonly taskId?: number;
  readonly stage?: string;
  readonly className?: string;
  readonly exception?: {
    readonly className: string;
    readonly message?: string;
    readonly stacktrace?: string;
  };
  readonly attempts?: number;
  readonly firstAttemptAt?: number;
  readonly lastAttemptAt?: number;
  /** Set on parked records: the offset of the failed record of the same key they waited behind. */
  readonly parkedBehind?: bigint;
  /** What was left out to fit the DLQ topic (`value (N bytes)`, …): the original has it. */
  readonly omitted?: string;
}

function int(textValue: string | undefined): number | undefined {
  if (textValue === undefined || !/^-?\d+$/.test(textValue.trim())) return undefined;
  return Number(textValue.trim());
}

function big(textValue: string | undefined): bigint | undefined {
  if (textValue === undefined || !/^-?\d+$/.test(textValue.trim())) return undefined;
  return BigInt(textValue.trim());
}

/**
 * Reads the error headers of a dead-letter record — Sluice's or Kafka Connect's — for `sluice dlq`.
 * Undefined when the record carries no `__connect.errors.topic`. Fields that are absent or not
 * readable are left out; the origin's partition and offset default to -1, as Connect writes them
 * when it does not know.
 */
export function readDeadLetterHeaders(headers: RecordHeaders): DeadLetterInfo | undefined {
  const H = DEAD_LETTER_HEADERS;
  const get = (key: string) => lastHeaderText(headers, key);
  const topic = get(H.topic);
  if (topic === undefined) return undefined;
  const exceptionClassName = get(H.exceptionClassName);
  const fields: Record<string, unknown> = {
    topic,
    partition: int(get(H.partition)) ?? -1,
    offset: big(get(H.offset)) ?? -1n,
    connectorName: get(H.connectorName),
    taskId: int(get(H.taskId)),
    stage: get(H.stage),
    className: get(H.className),
    exception:
      exceptionClassName === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries({
              className: exceptionClassName,
              message: get(H.exceptionMessage),
              stacktrace: get(H.exceptionStacktrace),
            }).filter(([, v]) => v !== undefined),
          ),
    attempts: int(get(H.attempts)),
    firstAttemptAt: int(get(H.firstTs)),
    lastAttemptAt: int(get(H.lastTs)),
    parkedBehind: big(get(H.parked)),
    omitted: get(H.omitted),
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as unknown as DeadLetterInfo;
}
