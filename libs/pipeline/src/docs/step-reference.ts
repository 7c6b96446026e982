import { configReferenceMarkdown } from '@sluice/config';
import type { StepDefinition } from '../steps/step';
import { BUILT_IN_STEPS } from '../steps/step-registry';

/**
 * The reference of the step types, generated from their zod config schemas (the schema is the
 * documentation): one section per step with its summary, an example and a table of its settings.
 * `docs/pipeline-steps.md` is this text; a spec fails when the committed file is stale.
 */
export function stepReferenceMarkdown(steps: readonly StepDefinition[] = BUILT_IN_STEPS): string {
  const out = [
    '# Pipeline steps',
    '',
    '<!-- Generated from the step config schemas by `sluice pipeline docs --out docs/pipeline-steps.md`; do not edit. -->',
    '',
    'Every step is one entry of `steps:` in a pipeline file, a map with one key, the step type. See',
    '[pipelines.md](pipelines.md) for the file format, the expression language and schema derivation.',
    '',
    ...steps.map((s) => `- [\`${s.name}\`](#${s.name.toLowerCase()})`),
    '',
  ];
  for (const step of steps) out.push(...section(step));
  return `${out.join('\n').trimEnd()}\n`;
}

function section(step: StepDefinition): string[] {
  const lines = [`## ${step.name}`, '', step.summary, '', '```yaml', step.example, '```', ''];
  const settings = configReferenceMarkdown(step.configSchema);
  if (settings !== '') lines.push(settings, '');
  return lines;
}
