import { isRetriable } from '@sluice/errors';
import { type SchemaRegistryClient } from '@sluice/schema';
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
  private readonly ids = new WeakMap<DerivedSchema, Map<string, number | Promise<number>>>();
  private readonly byText = new Map<string, Promise<number>>();
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
      bySubject = new Map();
      this.ids.set(schema, bySubject);
    }
    const known = bySubject.get(subject);
    if (known !== undefined) return known;
    // A new input schema can derive an unchanged output (the key, most often): same text, no request.
    const textKey = `${subject}\u0000${schema.text}`;
    let registering = this.byText.get(textKey);
    if (!registering) {
      this.count++;
      registering = this.registry.register(subject, schema.text);
      this.byText.set(textKey, registering);
    }
    const shared = registering;
    bySubject.set(subject, shared);
    shared.then(
      (id) => bySubject.set(subject, id),
      (error: unknown) => {
        // Each schema sharing the registration forgets it (a refusal stays remembered).
        if (!isRetriable(error)) return;
        if (this.byText.get(textKey) === shared) this.byText.delete(textKey);
        bySubject.delete(subject);
      },
    );
    return shared;
  }
}
