import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../../functions/core/jit/duration';

describe('parseDuration', () => {
  it.each([
    ['90m', 90],
    ['1h', 60],
    ['1h30m', 90],
    ['2h', 120],
    [' 45m ', 45],
    ['1m', 1],
    ['12h', 720],
    ['1h59m', 119],
  ])('reads %j as %i minutes', (text, minutes) => {
    expect(parseDuration(text)).toBe(minutes);
  });

  it.each([
    ['', 'write hours and minutes'],
    ['90', 'write hours and minutes'],
    ['1.5h', 'write hours and minutes'],
    ['1d', 'write hours and minutes'],
    ['-1h', 'write hours and minutes'],
    ['1H', 'write hours and minutes'],
    ['30m1h', 'write hours and minutes'],
    ['0m', 'at least 1 minute'],
    ['0h0m', 'at least 1 minute'],
    ['1h60m', 'below 60'],
  ])('refuses %j, naming the text', (text, problem) => {
    let error: unknown;
    try {
      parseDuration(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DurationError);
    expect((error as DurationError).name).toBe('DurationError');
    expect((error as DurationError).message).toContain(`"${text}"`);
    expect((error as DurationError).problem).toContain(problem);
  });
});

describe('formatDuration', () => {
  it.each([
    [90, '1h30m'],
    [60, '1h'],
    [45, '45m'],
    [0, '0m'],
    [720, '12h'],
    [61, '1h1m'],
  ])('writes %i minutes as %j', (minutes, text) => {
    expect(formatDuration(minutes)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (let minutes = 1; minutes <= 720; minutes++)
      expect(parseDuration(formatDuration(minutes))).toBe(minutes);
  });

  it.each([-1, 1.5, Number.NaN])('refuses %d', (minutes) => {
    expect(() => formatDuration(minutes)).toThrow(DurationError);
  });
});
