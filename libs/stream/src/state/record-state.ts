import { type KeyValueStore, type StateAccess, type StateChange } from './key-value-store';
import { type StateStore } from './state-store';

/**
 * The stores as one attempt at one record sees them: its own writes on top of the batch's. The
 * writes are kept aside until the record's work succeeded (`changes`, then `apply`); a retry starts
 * a new RecordState, a dead-lettered record's writes are dropped with it.
 */
export class RecordState implements StateAccess {
  private readonly overlays = new Map<string, Map<string, Buffer | null>>();
  private readonly views = new Map<string, KeyValueStore>();

  constructor(private readonly stores: ReadonlyMap<string, StateStore>) {}

  store(name: string): KeyValueStore {
    let view = this.views.get(name);
    if (view) return view;
    const store = this.stores.get(name);
    if (!store)
      throw new Error(
        `state store "${name}" was not declared by the processor (declared: ${[...this.stores.keys()].join(', ') || 'none'})`,
      );
    const overlay = new Map<string, Buffer | null>();
    this.overlays.set(name, overlay);
    view = {
      get: (key) => {
        const own = overlay.get(key);
        if (own !== undefined) return own === null ? undefined : own;
        return store.get(key);
      },
      put: (key, value) => {
        store.checkKey(key);
        overlay.set(key, value);
      },
      delete: (key) => void overlay.set(key, null),
      entries: function* () {
        for (const [key, value] of store.entries()) if (!overlay.has(key)) yield [key, value];
        for (const [key, value] of overlay) if (value !== null) yield [key, value];
      },
    };
    this.views.set(name, view);
    return view;
  }

  /** The record's writes, store by store, in the order they were first made per key. */
  changes(): StateChange[] {
    const out: StateChange[] = [];
    for (const [store, overlay] of this.overlays)
      for (const [key, value] of overlay) out.push({ store, key, value });
    return out;
  }

  /** Makes the record's writes part of the batch under way. */
  apply(): void {
    for (const [name, overlay] of this.overlays) {
      const store = this.stores.get(name)!;
      for (const [key, value] of overlay) store.stage(key, value);
    }
  }
}
