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
  /** Ids registered: the per-record answer, without a promise. */
  private readonly registered = new WeakMap<DerivedSchema, Map<string, number>>();
  private readonly ids = new WeakMap<DerivedSchema, Map<string, Promise<number>>>();
  private readonly byText = new Map<string, Promise<number>>();
  private count = 0;

  constructor(private readonly registry: SchemaRegistryClient) {}

  /** Registrations asked of the registry so far (status, tests). */
  get registrations(): number {
    return this.count;
  }

  /** The id at once once registered; the registration's promise before that. */
  idFor(subject: string, schema: DerivedSchema): number | Promise<number> {
    return this.registered.get(schema)?.get(subject) ?? this.registration(subject, schema);
  }

  private registration(subject: string, schema: DerivedSchema): Promise<number> {
    let bySubject = this.ids.get(schema);
    if (!bySubject) {
      bySubject = new Map();
      this.ids.set(schema, bySubject);
    }
    let id = bySubject.get(subject);
    if (!id) {
      // A new input schema can derive an unchanged output (the key, most often): same text, no request.
      const textKey = `${subject}\u0000${schema.text}`;
      id = this.byText.get(textKey);
      if (!id) {
        this.count++;
        id = this.registry.register(subject, schema.text);
        this.byText.set(textKey, id);
      }
      const registering = id;
      bySubject.set(subject, registering);
      registering.then(
        (registeredId) => {
          let known = this.registered.get(schema);
          if (!known) this.registered.set(schema, (known = new Map()));
          known.set(subject, registeredId);
        },
        (error: unknown) => {
          // Each schema sharing the registration forgets it (a refusal stays remembered).
          if (!isRetriable(error)) return;
          if (this.byText.get(textKey) === registering) this.byText.delete(textKey);
          if (bySubject.get(subject) === registering) bySubject.delete(subject);
        },
      );
    }
    return id;
  }
}
