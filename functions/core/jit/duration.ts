/**
 * Durations as people type them in Slack, the CLI and the deploy config: `90m`, `1h`, `1h30m`,
 * `2h`. Whole minutes only: a grant's window is written with second precision, but nobody asks
 * for 90 seconds of admin.
 */

/** A duration that is not `<hours>h`, `<minutes>m` or `<hours>h<minutes>m`, or is zero. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  constructor(
    readonly text: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`"${text}" is not a duration: ${problem}`, options);
  }
}

const DURATION = /^(?:(\d{1,4})h)?(?:(\d{1,5})m)?$/;

/** Minutes in `text`: `90m` -> 90, `1h` -> 60, `1h30m` -> 90. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (trimmed === '' || !match) {
    throw new DurationError(text, 'write hours and minutes like 90m, 1h, 1h30m or 2h');
  }
  const hours = match[1] === undefined ? 0 : Number(match[1]);
  const minutes = match[2] === undefined ? 0 : Number(match[2]);
  // `1h90m` is almost certainly a typo for something else; `90m` alone is fine.
  if (match[1] !== undefined && minutes >= 60) {
    throw new DurationError(text, 'the minutes after hours must be below 60 (write 2h30m, not 1h90m)');
  }
  const total = hours * 60 + minutes;
  if (total === 0) throw new DurationError(text, 'must be at least 1 minute');
  return total;
}

/** The shortest text `parseDuration` reads back as `minutes`: 90 -> `1h30m`, 60 -> `1h`, 45 -> `45m`. */
export function formatDuration(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 0) {
    throw new DurationError(String(minutes), 'must be a whole, non-negative number of minutes');
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest}m`;
  return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
}
