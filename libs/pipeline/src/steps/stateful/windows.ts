/** Time windows on event time, aligned to the epoch (Kafka Streams' TimeWindows). */
export interface WindowSpec {
  /** Window length, ms. */
  readonly size: number;
  /** Distance between window starts, ms: equal to `size` for tumbling windows, smaller for hopping. */
  readonly advance: number;
  /** How long after its end a window still takes late records, ms. */
  readonly grace: number;
}

/** Start times of the windows that hold time `t`, oldest first. */
export function windowsOf(spec: WindowSpec, t: number): number[] {
  const starts: number[] = [];
  const last = Math.floor(t / spec.advance) * spec.advance;
  for (let start = last; start > t - spec.size; start -= spec.advance) starts.unshift(start);
  return starts;
}

/** A window is closed once the stream time reached its end plus the grace period. */
export function isClosed(spec: WindowSpec, start: number, streamTime: number): boolean {
  return start + spec.size + spec.grace <= streamTime;
}

/** Whether windows may have closed between two stream times (a close deadline lies in between). */
export function closesBetween(spec: WindowSpec, before: number, after: number): boolean {
  const shift = spec.size + spec.grace;
  return Math.floor((after - shift) / spec.advance) !== Math.floor((before - shift) / spec.advance);
}
