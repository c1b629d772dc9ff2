import type { Clock } from '../../functions/adapters/aws/clock';
import { NOW } from './builders';

/** A clock that stands still until slept on, then advances by the sleep; it records every sleep. */
export interface FakeClock extends Clock {
  sleeps: number[];
}

export function fakeClock(start: Date = NOW): FakeClock {
  let now = start.getTime();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Lets every other pending task run once, without waiting on the wall clock. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
