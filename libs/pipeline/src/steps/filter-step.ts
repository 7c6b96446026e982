import { z } from 'zod';
import { Expression } from '../expression/expression';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { scopeOf } from '../record/record-scope';
import type { StreamSchemas } from '../schema/derived-schema';
import { expressionText } from './config-fields';
import { type Step, stepDefinition } from './step';

const configSchema = z.strictObject({
  where: expressionText('Keep the record when this expression is true; drop it otherwise (false or null).'),
  tombstones: z
    .enum(['keep', 'drop'])
    .default('keep')
    .describe('What to do with tombstones (null values), which the predicate cannot see. Default keep.'),
});

/** Keeps the records for which a predicate holds (fields, `op`, `$headers`, `$topic`, ...). */
export class FilterStep implements Step {
  constructor(
    private readonly where: Expression,
    private readonly keepTombstones: boolean,
  ) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    return input;
  }

  apply(record: WorkingRecord): StepResult {
    return this.where.test(scopeOf(record)) ? record : null;
  }

  applyTombstone(record: WorkingRecord): StepResult {
    return this.keepTombstones ? record : null;
  }
}

export const filterStep = stepDefinition({
  name: 'filter',
  summary: 'Keeps the records for which an expression is true and drops the others.',
  configSchema,
  example: `filter:\n  where: "op != 'r' and after.status in ['paid', 'shipped']"`,
  fromConfig: (cfg) => new FilterStep(Expression.parse(cfg.where), cfg.tombstones === 'keep'),
});
