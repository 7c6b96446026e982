let installed = false;

/**
 * kafkajs 2.2.4 arms a timer with a negative delay on Node >= 23 (its request queue computes
 * `throttledUntil - now` while not throttled); Node clamps it to 1 ms and prints a
 * TimeoutNegativeWarning. Harmless, so filtered once per process; every other warning still prints.
 */
export function silenceKafkajsTimerWarning(): void {
  if (installed) return;
  installed = true;
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const listener of defaults) listener(warning);
  });
}
