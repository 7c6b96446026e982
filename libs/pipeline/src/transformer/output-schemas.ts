import { isRetriable } from '@sluice/errors';
import { LoadingCache, type SchemaRegistryClient } from '@sluice/schema';
import { type DerivedSchema } from '../schema/derived-schema';

/**
 * The registry ids of derived output schemas, registered once per (derived schema, subject): the
 * pipeline hands out the same DerivedSchema object for every record of one input schema, so this
 * is a lookup by identity on the hot path. The registry checks compatibility when it registers;
 * a refusal (a fatal error) is remembered, so records of that schema go to the DLQ without asking
 * again until restart; a retriable failure is forgotten so the next attempt asks again.
 */
export class OutputSchemaRegistrations {
  /** By schema and subject: the id once registered (the per-record answer), its registration until then. */
  private readonly ids = new WeakMap<DerivedSchema, LoadingCache<string, number>>();
  /**
   * By subject and schema text: a new input schema can derive an unchanged output (the key, most
   * often), which then shares the registration instead of asking again.
   */
  private readonly byText = new LoadingCache<string, number>({ keepsFailure: isRefusal });
  private count = 0;

  constructor(private readonly registry: SchemaRegistryClient) {}

  /** Registrations asked of the registry so far (status, tests). */
  get registrations(): number {
    return this.count;
  }

  /** The id itself once registered; the registration's promise before that. */
  idFor(subject: string, schema: DerivedSchema): number | Promise<number> {
    let bySubject = this.ids.get(schema);
    if (!bySubject) {
      bySubject = new LoadingCache({ keepsFailure: isRefusal });
      this.ids.set(schema, bySubject);
    }
    // Each schema sharing a registration forgets a retriable failure of it on its own.
    return bySubject.get(subject, async () =>
      this.byText.get(`${subject}\u0000${schema.text}`, () => {
        this.count++;
        return this.registry.register(subject, schema.text);
      }),
    );
  }
}

/** A refusal (the registry found the schema incompatible) stays until restart; anything else is asked again. */
function isRefusal(error: unknown): boolean {
  return !isRetriable(error);
}
