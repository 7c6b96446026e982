import { castStep } from './cast-step';
import { convertTimestampStep } from './convert-timestamp-step';
import { customStep } from './custom-step';
import { dropStep } from './drop-step';
import { aggregateStep } from './stateful/aggregate-step';
import { dedupeStep } from './stateful/dedupe-step';
import { joinStep } from './stateful/join-step';
import { enrichStep } from './enrich/enrich-step';
import { filterStep } from './filter-step';
import { insertStep } from './insert-step';
import { maskStep } from './mask-step';
import { outboxStep } from './outbox-step';
import { renameStep } from './rename-step';
import { routeStep } from './route-step';
import { selectStep } from './select-step';
import { setKeyStep } from './set-key-step';
import type { StepDefinition } from './step';
import { unwrapStep } from './unwrap-step';
import { validateStep } from './validate-step';

/** Step types by their YAML name. The built-in ones are registered; `register` adds more. */
export class StepRegistry {
  private readonly definitions = new Map<string, StepDefinition>();

  register(definition: StepDefinition): this {
    if (this.definitions.has(definition.name))
      throw new Error(`step type "${definition.name}" is registered twice`);
    this.definitions.set(definition.name, definition);
    return this;
  }

  get(name: string): StepDefinition | undefined {
    return this.definitions.get(name);
  }

  names(): string[] {
    return [...this.definitions.keys()];
  }

  all(): StepDefinition[] {
    return [...this.definitions.values()];
  }
}

/** Sluice's built-in steps, in the order the reference documentation lists them. */
export const BUILT_IN_STEPS: readonly StepDefinition[] = [
  filterStep,
  selectStep,
  dropStep,
  renameStep,
  insertStep,
  maskStep,
  castStep,
  convertTimestampStep,
  unwrapStep,
  validateStep,
  setKeyStep,
  routeStep,
  enrichStep,
  outboxStep,
  dedupeStep,
  aggregateStep,
  joinStep,
  customStep,
] as StepDefinition[];

export function builtInStepRegistry(): StepRegistry {
  const registry = new StepRegistry();
  for (const d of BUILT_IN_STEPS) registry.register(d);
  return registry;
}
