import { z } from 'zod';
import { FatalRecordError } from '@sluice/errors';
import { Expression } from '../expression/expression';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { scopeOf } from '../record/record-scope';
import type { StreamSchemas } from '../schema/derived-schema';
import { expressionText } from './config-fields';
import { type Step, stepDefinition } from './step';

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: letters, digits, ".", "_" and "-"');

const configSchema = z
  .strictObject({
    cases: z
      .array(
        z.strictObject({
          when: expressionText('The condition.'),
          topic: topicName.describe('The destination when the condition is true.'),
        }),
      )
      .optional()
      .describe('Conditions tried in order; the first true one picks the topic.'),
    field: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a field path')
      .optional()
      .describe('Route by the value of this field (a path such as region or after.region)...'),
    topics: z
      .record(z.string(), topicName)
      .optional()
      .describe('...to the topic this map gives for the value.'),
    topicPattern: z
      .string()
      .optional()
      .describe('Route by the input topic name (Kafka Connect RegexRouter): a regular expression...'),
    replacement: z
      .string()
      .optional()
      .describe('...and its replacement, with $1.. for groups, e.g. clean.$1.'),
    default: topicName.optional().describe("Where unmatched records go. Default: the pipeline's `to`."),
    unmatched: z
      .enum(['default', 'drop', 'dlq'])
      .default('default')
      .describe(
        'What happens to a record no route matches: default (go to `default`, else `to`), drop, or dlq. Default default.',
      ),
  })
  .superRefine((c, ctx) => {
    const forms = [
      c.cases !== undefined,
      c.field !== undefined || c.topics !== undefined,
      c.topicPattern !== undefined,
    ];
    if (forms.filter(Boolean).length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of: cases, field + topics, topicPattern + replacement',
      });
    if ((c.field === undefined) !== (c.topics === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [c.field ? 'topics' : 'field'],
        message: 'field and topics go together',
      });
    if ((c.topicPattern === undefined) !== (c.replacement === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [c.topicPattern ? 'replacement' : 'topicPattern'],
        message: 'topicPattern and replacement go together',
      });
    if (c.topicPattern !== undefined) {
      try {
        new RegExp(c.topicPattern);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['topicPattern'],
          message: `invalid regular expression: ${(error as Error).message}`,
        });
      }
    }
  });

type Router = (record: WorkingRecord) => string | undefined;

/** Picks the destination topic per record: by conditions, by a field's value, or by the input topic's name. */
export class RouteStep implements Step {
  constructor(
    private readonly router: Router,
    private readonly fallback: string | undefined,
    private readonly unmatched: 'default' | 'drop' | 'dlq',
  ) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    return input;
  }

  apply(record: WorkingRecord): StepResult {
    const topic = this.router(record);
    if (topic !== undefined) return { ...record, topic };
    switch (this.unmatched) {
      case 'drop':
        return null;
      case 'dlq':
        throw new FatalRecordError(`no route matches the record`, { code: 'NO_ROUTE' });
      default:
        return this.fallback ? { ...record, topic: this.fallback } : record;
    }
  }

  /** Field conditions see null on a tombstone; topic-name routing still works. */
  applyTombstone(record: WorkingRecord): StepResult {
    return this.apply(record);
  }
}

function router(cfg: z.output<typeof configSchema>): Router {
  if (cfg.cases) {
    const cases = cfg.cases.map((c) => ({ when: Expression.parse(c.when), topic: c.topic }));
    return (record) => {
      const scope = scopeOf(record);
      return cases.find((c) => c.when.test(scope))?.topic;
    };
  }
  if (cfg.field && cfg.topics) {
    const field = Expression.parse(cfg.field);
    const topics = new Map(Object.entries(cfg.topics));
    return (record) => {
      const v = field.valueFor(scopeOf(record));
      return v === null || v === undefined ? undefined : topics.get(String(v));
    };
  }
  const pattern = new RegExp(`^(?:${cfg.topicPattern!})$`);
  const replacement = cfg.replacement!;
  return (record) => {
    const topic = record.metadata.topic;
    return pattern.test(topic) ? topic.replace(pattern, replacement) : undefined;
  };
}

export const routeStep = stepDefinition({
  name: 'route',
  summary:
    'Chooses the destination topic per record: the first matching condition (`cases`), a map from a field value ' +
    '(`field` + `topics`), or a rewrite of the input topic name (`topicPattern` + `replacement`, like Kafka ' +
    "Connect's RegexRouter). Unmatched records go to `default` or the pipeline's `to`, or are dropped or dead-lettered.",
  configSchema,
  example:
    "route:\n  cases:\n    - { when: \"region == 'eu'\", topic: orders.eu }\n    - { when: \"region in ['us', 'ca']\", topic: orders.na }\n  default: orders.other",
  fromConfig: (cfg) => new RouteStep(router(cfg), cfg.default, cfg.unmatched),
});
