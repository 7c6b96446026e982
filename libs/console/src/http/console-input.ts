import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import { LATEST_INSTANT_MS, parseRangeInstant, type RangeBound, type RangeSpec } from '@sluice/kafka';
import { type BrowseStart } from '../topics/topic-browser';

// What the console's HTTP API accepts, as zod schemas: a malformed query parameter or body is a 400
// naming the parameter (or body field) and what was expected, never a 500 or a silent default.

const wholeText = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number (${what})`)
    .transform((v) => BigInt(v));

const smallWhole = (what: string, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number (${what})`)
    .transform(Number)
    .refine((n) => n <= max, `expected at most ${max} (${what})`);

const timeText = z.string().transform((v, ctx) => {
  const ms = parseRangeInstant(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an ISO-8601 time (2026-01-31T12:00:00Z) or epoch ms up to ${LATEST_INSTANT_MS}, got "${v}"`,
    });
    return z.NEVER;
  }
  return ms;
});

export const browseQuerySchema = z
  .strictObject({
    partition: smallWhole('a partition number', 1_000_000),
    offset: wholeText('an offset').optional(),
    time: timeText.optional(),
    limit: smallWhole('records shown', 500).default(50),
    key: z.string().min(1, 'expected a key to search for').optional(),
  })
  .refine((q) => !(q.offset !== undefined && q.time !== undefined), {
    message: 'give offset or time, not both',
    path: ['time'],
  });

export function browseStart(q: z.output<typeof browseQuerySchema>): BrowseStart {
  if (q.time !== undefined) return { timestamp: q.time };
  return { offset: q.offset ?? 0n };
}

export const listQuerySchema = z.strictObject({
  filter: z.string().default(''),
  limit: smallWhole('topics described', 1000).default(100),
});

export const deadLettersQuerySchema = z.strictObject({
  includeRedriven: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  limit: smallWhole('dead letters shown', 1000).default(200),
});

export const redriveBodySchema = z.strictObject({
  ids: z
    .array(z.string().regex(/^\d+\/\d+$/, 'expected a dead-letter id <dlq partition>/<offset>, e.g. 0/12'))
    .min(1, 'expected at least one dead-letter id (leave ids out to redrive all)')
    .optional(),
  dryRun: z.boolean({ error: 'expected true or false' }),
  actor: z.string().min(1).max(200).optional(),
});

export const purgeBodySchema = z.strictObject({
  dryRun: z.boolean({ error: 'expected true or false' }),
  force: z.boolean({ error: 'expected true or false' }).default(false),
  before: z
    .union([z.number().int().nonnegative().max(LATEST_INSTANT_MS, 'expected epoch ms of a date'), timeText])
    .optional(),
  actor: z.string().min(1).max(200).optional(),
});

export const snapshotBodySchema = z.strictObject({
  tables: z
    .array(z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'expected schema.table, e.g. public.orders'))
    .min(1, 'expected at least one table'),
});

const version = smallWhole('a version number', 1_000_000).refine(
  (n) => n >= 1,
  'expected a version, 1 or more',
);

export const diffQuerySchema = z.strictObject({ left: version, right: version });

export const checkBodySchema = z.strictObject({
  schema: z.string({ error: 'expected the schema as a JSON string' }).min(1, 'expected a schema'),
});

const offsetOrTime = z.union([
  z.strictObject({ offset: z.string().regex(/^\d+$/, 'expected a whole number') }),
  z.strictObject({ time: z.string().min(1) }),
]);

const replayFields = {
  topic: z.string().min(1, 'expected the topic to replay from'),
  from: offsetOrTime.optional(),
  to: offsetOrTime.optional(),
  partitions: z
    .array(z.number().int().nonnegative('expected a partition number'))
    .min(1, 'expected at least one partition (leave partitions out for all)')
    .optional(),
  toTopic: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
};

export const replayBodySchema = z
  .strictObject(replayFields)
  .refine((b) => (b.toTopic === undefined) !== (b.group === undefined), {
    message: 'expected exactly one of toTopic (re-publish) or group (move a consumer group)',
    path: ['toTopic'],
  })
  .refine((b) => b.group === undefined || b.to === undefined, {
    message: 'a group reset has no end: leave `to` out with `group`',
    path: ['to'],
  });

/** Moving a consumer group (the console runs no re-publish this way: /api/replay/republish does). */
export const replayResetBodySchema = replayBodySchema.refine((b) => b.group !== undefined, {
  message: 'only a group reset runs here: give `group` (a re-publish goes through /api/replay/republish)',
  path: ['group'],
});

/** Running a re-publish (after its dry run): the plan's fields, a target topic, and how to run it. */
export const republishBodySchema = z.strictObject({
  ...replayFields,
  toTopic: z.string().min(1, 'expected the topic to re-publish into'),
  group: z.undefined({ error: 'a re-publish goes into toTopic: leave group out' }).optional(),
  reencodeLatest: z.boolean({ error: 'expected true or false' }).optional(),
  rate: z
    .number({ error: 'expected records per second' })
    .int()
    .positive('expected records per second, above 0')
    .optional(),
  actor: z.string().min(1).max(200).optional(),
});

export type ReplayBody = z.output<typeof replayBodySchema>;

/** The body's range as @sluice/kafka's RangeSpec (a time that does not parse is a 400 naming it). */
export function replayRange(body: Pick<ReplayBody, 'from' | 'to' | 'partitions'>): RangeSpec {
  const bound = (b: ReplayBody['from'], field: string): RangeBound | undefined => {
    if (b === undefined) return undefined;
    if ('offset' in b) return { offset: BigInt(b.offset) };
    const parsed = timeText.safeParse(b.time);
    if (!parsed.success)
      throw new BadRequestException(`body ${field}.time: ${parsed.error.issues[0]!.message}`);
    return { timestamp: parsed.data };
  };
  const from = bound(body.from, 'from');
  const to = bound(body.to, 'to');
  return {
    ...(body.partitions !== undefined ? { partitions: body.partitions } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/**
 * Validates a query (`where` = 'query parameter') or a body ('body'): a 400 whose message names
 * each field at fault and what was expected.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'query parameter' | 'body',
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new BadRequestException(
    result.error.issues
      .map((issue) => {
        const field = issue.path.map(String).join('.');
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown ${where === 'body' ? 'field' : 'parameter'}(s) ${issue.keys.join(', ')}`
            : issue.message;
        return field ? `${where} ${field}: ${message}` : `${where}: ${message}`;
      })
      .join('; '),
  );
}
