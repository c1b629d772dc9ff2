import { backoffDelay, type Sleep, sleep } from '../../core/backoff';

/** Time as the collector's polling loops see it; tests pass a fake that advances on `sleep`. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep: Sleep;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
};

/** Bounded exponential backoff for polling an asynchronous AWS job. */
export interface PollingOptions {
  /** Give up (a Timeout coverage gap) when the job is not done after this long. */
  timeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Polls `attempt` until it returns a value, sleeping with exponential backoff in between (never
 * past the deadline). Returns `undefined` when the deadline passes first. `attempt` may throw;
 * the error propagates.
 */
export async function pollUntil<T>(
  clock: Clock,
  options: PollingOptions,
  attempt: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const deadline = clock.now() + options.timeoutMs;
  const backoff = { baseMs: options.initialDelayMs, capMs: options.maxDelayMs };
  for (let retry = 1; ; retry++) {
    const result = await attempt();
    if (result !== undefined) return result;
    const remaining = deadline - clock.now();
    if (remaining <= 0) return undefined;
    await clock.sleep(Math.min(backoffDelay(retry, backoff), remaining));
  }
}
