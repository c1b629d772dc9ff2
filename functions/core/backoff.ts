/** Exponential backoff between retries: `baseMs`, doubling, at most `capMs`, plus up to `jitterMs`. */
export interface BackoffPolicy {
  /** The delay before the first retry. */
  baseMs: number;
  /** The longest delay, jitter excluded. */
  capMs: number;
  /** Random extra delay in [0, jitterMs), added after the cap. Default 0. */
  jitterMs?: number;
}

/**
 * The delay before retry number `retry` (1 for the first retry):
 * `min(capMs, baseMs * 2^(retry - 1)) + floor(random * jitterMs)`. `random` is in [0, 1); callers
 * pass `Math.random()` where they want jitter, so the function itself stays deterministic.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random = 0): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return exponential + Math.floor(random * (policy.jitterMs ?? 0));
}

/** Waits `ms` milliseconds; injected wherever code waits, so tests pass a recording fake. */
export type Sleep = (ms: number) => Promise<void>;

/** The real wait, a timer. The core never calls it; callers use it as their default `Sleep`. */
export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
