import { type PollStreamConfig } from '../connector/http-poll-settings';

/**
 * The wait after a poll: the interval plus a whole number of ms drawn evenly from 0 to `jitterMs`,
 * so streams (and sources) started together drift apart instead of hitting an API in step.
 */
export function pollDelayMs(
  schedule: PollStreamConfig['schedule'],
  random: () => number = Math.random,
): number {
  return schedule.intervalMs + Math.floor(random() * (schedule.jitterMs + 1));
}
