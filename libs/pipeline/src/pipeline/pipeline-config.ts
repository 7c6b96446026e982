import { z } from 'zod';
import { yamlPath } from '@sluice/config';
import { retryPolicySchema } from '@sluice/stream';
import { expressionText } from '../steps/config-fields';
import type { StepRegistry } from '../steps/step-registry';

/** One step of the pipeline file after validation: its type and its validated settings. */
export interface StepConfig {
  readonly type: string;
  readonly config: unknown;
}

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: letters, digits, ".", "_" and "-"');

/** A step entry is a one-key map, `- mask: { ... }`; its settings are checked by the step's own schema. */
function stepSchema(registry: StepRegistry) {
  return z.unknown().transform((raw, ctx): StepConfig => {
    const entries = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries(raw) : [];
    if (entries.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a map with exactly one step type, e.g. "- filter: {...}" (step types: ${registry.names().join(', ')})`,
      });
      return z.NEVER;
    }
    const [type, settings] = entries[0]!;
    const definition = registry.get(type);
    if (!definition) {
      ctx.addIssue({
        code: 'custom',
        path: [type],
        message: `unknown step type "${type}" (known: ${registry.names().join(', ')})`,
      });
      return z.NEVER;
    }
    const result = definition.configSchema.safeParse(settings ?? {});
    if (!result.success) {
      for (const issue of result.error.issues)
        ctx.addIssue({ code: 'custom', path: [type, ...issue.path], message: issue.message });
      return z.NEVER;
    }
    return { type, config: result.data };
  });
}

export function pipelineConfigSchema(registry: StepRegistry) {
  return z
    .strictObject({
      name: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"')
        .describe('The pipeline name; part of the default consumer group and of log and metric labels.'),
      from: z
        .union([
          z.strictObject({ topics: z.array(topicName).min(1).describe('The input topics.') }),
          z.strictObject({
            pattern: z
              .string()
              .refine((p) => {
                try {
                  new RegExp(p);
                  return true;
                } catch {
                  return false;
                }
              }, 'not a valid regular expression')
              .describe('A regular expression; every topic whose whole name matches is an input.'),
          }),
        ])
        .describe('The input: a list of topics, or a pattern.'),
      to: z
        .union([topicName, z.strictObject({ expression: expressionText('Evaluates to the topic name.') })])
        .describe("The output topic, or { expression } computing it per record. A route step's choice wins."),
      mode: z
        .enum(['exactly-once', 'at-least-once'])
        .default('exactly-once')
        .describe(
          'exactly-once: outputs and consumed offsets commit in one Kafka transaction. Default exactly-once.',
        ),
      groupId: z
        .string()
        .min(1)
        .optional()
        .describe(
          'The consumer group; its dead-letter topic is <groupId>.dlq. Default sluice-pipeline-<name>.',
        ),
      onKeyFailure: z
        .enum(['skip', 'park'])
        .default('skip')
        .describe(
          'After a record of a key is dead-lettered: skip (later records of the key go on) or park (later records ' +
            'of the key wait, also dead-lettered, until the key is released) so none overtakes it. Default skip.',
        ),
      retry: retryPolicySchema
        .default(retryPolicySchema.parse({}))
        .describe('How a record is retried on a retriable error.'),
      state: z
        .strictObject({
          storage: z
            .enum(['memory', 'disk'])
            .default('memory')
            .describe(
              "Where stateful steps' stores keep their entries unless a step says otherwise: memory, or disk " +
                "(LMDB under the transformer's runtime.stateDir: state larger than memory, rebuilt from the " +
                'changelog on assignment). Default memory.',
            ),
        })
        .prefault({})
        .describe('State stores of stateful steps (dedupe, aggregate).'),
      steps: z.array(stepSchema(registry)).default([]).describe('The steps, applied in order. Default none.'),
    })
    .transform((c) => ({ ...c, groupId: c.groupId ?? `sluice-pipeline-${c.name}` }));
}

export type PipelineConfig = z.output<ReturnType<typeof pipelineConfigSchema>>;

/** `steps[2].mask`: where a step is in the pipeline file. */
export function stepLabel(index: number, type: string): string {
  return yamlPath(['steps', index, type]);
}
