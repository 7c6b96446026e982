import { declareConsumerTopics, type TopicPlan } from '@sluice/connect';
import { type PipelineConfig } from '../pipeline/pipeline-config';

/** The route step's settings that name topics (validated by the step's own schema before). */
interface RouteTopics {
  readonly cases?: ReadonlyArray<{ readonly topic: string }>;
  readonly topics?: Readonly<Record<string, string>>;
  readonly default?: string;
  readonly topicPattern?: string;
  readonly replacement?: string;
}

/**
 * The topics a transformer pipeline reads and writes: its inputs, `to`, every topic a route step
 * names, and its group's dead-letter topics. Outputs get their inputs' partition count, as the
 * transformer creates them. An input pattern, a computed `to` and outbox topics depend on the data:
 * notes, not guesses.
 */
export function declarePipelineTopics(
  plan: TopicPlan,
  pipeline: PipelineConfig,
  options: { readonly replicationFactor?: number } = {},
): void {
  const name = `transformer ${pipeline.name}`;
  const inputs = 'topics' in pipeline.from ? pipeline.from.topics : [];
  if ('pattern' in pipeline.from)
    plan.note(
      `${name}: from.pattern '${pipeline.from.pattern}' matches topics only Kafka knows; declare them`,
    );
  declareConsumerTopics(plan, {
    name,
    group: pipeline.groupId,
    inputs,
    parking: pipeline.onKeyFailure === 'park',
    replicationFactor: options.replicationFactor,
  });
  const outputs = new Set<string>();
  if (typeof pipeline.to === 'string') outputs.add(pipeline.to);
  else plan.note(`${name}: 'to' is an expression; the topics it computes are not declared`);
  for (const step of pipeline.steps) {
    if (step.type === 'route') routeTopics(step.config as RouteTopics, inputs).forEach((t) => outputs.add(t));
    if (step.type === 'outbox')
      plan.note(`${name}: the outbox step writes one topic per aggregate type; declare them`);
  }
  for (const output of outputs)
    plan.declare({
      name: output,
      partitions: { likeMaxOf: inputs },
      replicationFactor: options.replicationFactor,
      origin: `${name}: output`,
    });
}

function routeTopics(route: RouteTopics, inputs: readonly string[]): string[] {
  const named = [
    ...(route.cases ?? []).map((c) => c.topic),
    ...Object.values(route.topics ?? {}),
    ...(route.default === undefined ? [] : [route.default]),
  ];
  if (route.topicPattern === undefined || route.replacement === undefined) return named;
  // The same rewrite the route step applies per record, applied to each known input.
  const pattern = new RegExp(`^(?:${route.topicPattern})$`);
  const rewritten = inputs.filter((t) => pattern.test(t)).map((t) => t.replace(pattern, route.replacement!));
  return [...named, ...rewritten];
}
