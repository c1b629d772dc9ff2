import { describe, expect, it } from 'vitest';
import { CONFLICT_BACKOFF, UNPROCESSED_BACKOFF } from '../../functions/adapters/dynamo-findings-store';
import { RETRY_BACKOFF } from '../../functions/adapters/event-publisher';
import { type BackoffPolicy, backoffDelay } from '../../functions/core/backoff';
import { COMMIT_BACKOFF } from '../../functions/use-cases/run-scan';

describe('backoffDelay', () => {
  const policy: BackoffPolicy = { baseMs: 100, capMs: 1000, jitterMs: 50 };

  it.each([
    { retry: 1, random: 0, delay: 100 },
    { retry: 2, random: 0, delay: 200 },
    { retry: 3, random: 0, delay: 400 },
    { retry: 4, random: 0, delay: 800 },
    { retry: 5, random: 0, delay: 1000 },
    { retry: 30, random: 0, delay: 1000 },
    { retry: 1, random: 0.5, delay: 125 },
    { retry: 1, random: 0.999, delay: 149 },
    // Jitter is added after the cap, so capped retries still spread out.
    { retry: 9, random: 0.999, delay: 1049 },
  ])('waits $delay ms before retry $retry with random $random', ({ retry, random, delay }) => {
    expect(backoffDelay(retry, policy, random)).toBe(delay);
  });

  it('adds no jitter when the policy has none, whatever the random value', () => {
    expect(backoffDelay(2, { baseMs: 1000, capMs: 10_000 }, 0.9)).toBe(2000);
  });

  it('treats retry 0 like the first retry rather than halving the base', () => {
    expect(backoffDelay(0, policy)).toBe(100);
  });
});

describe('the backoff of each retrying caller', () => {
  it.each([
    [
      'run-scan commit after a concurrent writer',
      COMMIT_BACKOFF,
      { baseMs: 100, capMs: 5000, jitterMs: 100 },
    ],
    ['BatchGetItem unprocessed keys', UNPROCESSED_BACKOFF, { baseMs: 100, capMs: 2000 }],
    ['cancelled DynamoDB transaction', CONFLICT_BACKOFF, { baseMs: 100, capMs: 2000, jitterMs: 50 }],
    ['EventBridge rejected entries', RETRY_BACKOFF, { baseMs: 100, capMs: 5000 }],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it.each([
    [COMMIT_BACKOFF, [100, 200, 400, 800, 1600, 3200, 5000]],
    [UNPROCESSED_BACKOFF, [100, 200, 400, 800, 1600, 2000, 2000]],
    [RETRY_BACKOFF, [100, 200, 400, 800, 1600, 3200, 5000]],
  ])('gives the delays %o before jitter', (policy, delays) => {
    expect(delays.map((_, i) => backoffDelay(i + 1, policy))).toEqual(delays);
  });
});
