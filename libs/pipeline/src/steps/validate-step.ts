import { z } from 'zod';
import { Expression, type ExpressionScope } from '../expression/expression';
import { ValidationFailedError } from '../pipeline/pipeline-errors';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { scopeOf } from '../record/record-scope';
import type { StreamSchemas } from '../schema/derived-schema';
import { expressionText } from './config-fields';
import { type Step, type StepContext, stepDefinition } from './step';

const path = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'a field path such as total or customer.email',
  )
  .describe('The field checked: a path into the value such as total or customer.email.');

const common = {
  name: z.string().min(1).describe('The rule name, reported in the DLQ error or the tag header. Required.'),
  action: z
    .enum(['dlq', 'tag'])
    .default('dlq')
    .describe(
      'dlq: a violating record fails with ValidationFailedError naming the rule and goes to the dead-letter topic. ' +
        'tag: the rule name is added as a header (`tagHeader`) and the record passes on. Default dlq.',
    ),
};

const rule = z.discriminatedUnion('check', [
  z
    .strictObject({ ...common, check: z.literal('required'), field: path })
    .describe('The field is present and not null.'),
  z
    .strictObject({
      ...common,
      check: z.literal('type'),
      field: path,
      type: z.enum(['string', 'number', 'integer', 'boolean']),
    })
    .describe('A non-null field has this JavaScript type (useful for unions).'),
  z
    .strictObject({
      ...common,
      check: z.literal('range'),
      field: path,
      min: z.number().optional(),
      max: z.number().optional(),
    })
    .describe('A non-null number lies in [min, max] (either bound optional).'),
  z
    .strictObject({
      ...common,
      check: z.literal('regex'),
      field: path,
      pattern: z
        .string()
        .refine(validRegex, 'not a valid regular expression')
        .describe('regex: the regular expression (JavaScript syntax).'),
    })
    .describe('A non-null string matches the regular expression.'),
  z
    .strictObject({
      ...common,
      check: z.literal('enum'),
      field: path,
      values: z.array(z.union([z.string(), z.number()])).min(1),
    })
    .describe('A non-null field is one of `values`.'),
  z
    .strictObject({
      ...common,
      check: z.literal('expression'),
      expression: expressionText('Must be true (cross-field rules).'),
    })
    .describe(
      'An expression over the record is true, e.g. `shipped_at == null or shipped_at >= created_at`.',
    ),
]);

type RuleConfig = z.output<typeof rule>;

function validRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

interface CompiledRule {
  readonly name: string;
  readonly tag: boolean;
  /** Undefined when the record passes; else what is wrong. */
  readonly violation: (scope: ExpressionScope) => string | undefined;
}

function compileRule(cfg: RuleConfig): CompiledRule {
  const tag = cfg.action === 'tag';
  if (cfg.check === 'expression') {
    const expr = Expression.parse(cfg.expression);
    return {
      name: cfg.name,
      tag,
      violation: (s) => (expr.test(s) ? undefined : `\`${cfg.expression}\` is not true`),
    };
  }
  const field = Expression.parse(cfg.field);
  const check = fieldCheck(cfg);
  return {
    name: cfg.name,
    tag,
    violation: (s) => {
      const value = field.valueFor(s);
      if (value === null || value === undefined)
        return cfg.check === 'required' ? `${cfg.field} is missing` : undefined;
      const problem = check(value);
      return problem ? `${cfg.field} ${problem}` : undefined;
    },
  };
}

function fieldCheck(
  cfg: Exclude<RuleConfig, { check: 'expression' }>,
): (value: unknown) => string | undefined {
  const show = (v: unknown) => JSON.stringify(v);
  switch (cfg.check) {
    case 'required':
      return () => undefined;
    case 'type':
      return (v) => {
        const ok = cfg.type === 'integer' ? Number.isInteger(v) : typeof v === cfg.type;
        return ok ? undefined : `is ${show(v)}, not a ${cfg.type}`;
      };
    case 'range':
      return (v) => {
        if (typeof v !== 'number') return `is ${show(v)}, not a number`;
        if (cfg.min !== undefined && v < cfg.min) return `is ${v}, below ${cfg.min}`;
        if (cfg.max !== undefined && v > cfg.max) return `is ${v}, above ${cfg.max}`;
        return undefined;
      };
    case 'regex': {
      const regex = new RegExp(cfg.pattern);
      return (v) =>
        typeof v === 'string' && regex.test(v)
          ? undefined
          : `is ${show(v)}, which does not match /${cfg.pattern}/`;
    }
    case 'enum': {
      const allowed = new Set<unknown>(cfg.values);
      return (v) => (allowed.has(v) ? undefined : `is ${show(v)}, not one of ${show(cfg.values)}`);
    }
  }
}

/** Data-quality rules; a violation dead-letters the record naming the rule, or tags it and passes it on. */
export class ValidateStep implements Step {
  constructor(
    private readonly label: string,
    private readonly rules: readonly CompiledRule[],
    private readonly tagHeader: string,
  ) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    return input;
  }

  apply(record: WorkingRecord): StepResult {
    const scope = scopeOf(record);
    let tags: string[] | undefined;
    for (const r of this.rules) {
      const problem = r.violation(scope);
      if (problem === undefined) continue;
      if (!r.tag) throw new ValidationFailedError(this.label, r.name, problem);
      (tags ??= []).push(r.name);
    }
    if (!tags) return record;
    return {
      ...record,
      headers: [
        ...record.headers,
        ...tags.map((t) => ({ key: this.tagHeader, value: Buffer.from(t, 'utf8') })),
      ],
    };
  }
}

export const validateStep = stepDefinition({
  name: 'validate',
  summary:
    'Data-quality rules: required, type, range, regex, enum membership and cross-field expressions. A violated ' +
    'rule with action dlq fails the record with a ValidationFailedError naming the rule (the record goes to the ' +
    'dead-letter topic); with action tag the rule name is added as a header and the record passes on.',
  configSchema: z.strictObject({
    rules: z.array(rule).min(1).describe('The rules, checked in order; the first dlq violation stops.'),
    tagHeader: z
      .string()
      .min(1)
      .default('sluice.validation.failed')
      .describe('The header a tag rule adds (one per failed rule). Default sluice.validation.failed.'),
  }),
  example:
    'validate:\n  rules:\n    - { name: total-positive, check: range, field: total, min: 0 }\n' +
    '    - { name: known-status, check: enum, field: status, values: [new, paid, shipped], action: tag }\n' +
    "    - { name: shipped-after-created, check: expression, expression: 'shipped_at == null or shipped_at >= created_at' }",
  fromConfig: (cfg, ctx: StepContext) =>
    new ValidateStep(ctx.label, cfg.rules.map(compileRule), cfg.tagHeader),
});
