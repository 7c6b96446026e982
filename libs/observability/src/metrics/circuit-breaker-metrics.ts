import { gauge } from './metrics-registry';

const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

const circuitState = gauge({
  name: 'sluice_circuit_breaker_state',
  help: 'Circuit breaker per destination: 0 closed, 1 half-open, 2 open.',
  labelNames: ['group', 'destination'],
});

/** One destination's breaker as its owner reports it. */
export interface CircuitReading {
  /** The destination's configured name (bounded: never a URL with record data). */
  readonly destination: string;
  readonly state: keyof typeof STATE_VALUE;
}

/**
 * Feeds `sluice_circuit_breaker_state` from the sink's breakers, read at each scrape; returns the
 * removal. The sink keeps its breakers; this only turns their states into a gauge.
 */
export function watchCircuitBreakers(group: string, read: () => readonly CircuitReading[]): () => void {
  return circuitState.collectWith((g) => {
    for (const { destination, state } of read()) g.set({ group, destination }, STATE_VALUE[state]);
  });
}
