import type { Evidence } from '../../rule';

export const DAY_MS = 86_400_000;

/** ISO-8601 string for evidence; `null` when AWS has no value (never used, never rotated). */
export function isoOrNull(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** The UTC calendar date of an instant, `YYYY-MM-DD`. */
export function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Whole UTC calendar days from the day of `earlier` to the day of `later`. For values AWS records
 * as a date only (Secrets Manager's last access): an access "today" is 0 days ago whatever the
 * time of day, an access yesterday is 1.
 */
export function calendarDaysBetween(earlier: Date, later: Date): number {
  const start = Date.UTC(earlier.getUTCFullYear(), earlier.getUTCMonth(), earlier.getUTCDate());
  const end = Date.UTC(later.getUTCFullYear(), later.getUTCMonth(), later.getUTCDate());
  return Math.round((end - start) / DAY_MS);
}

/** Evidence entries for the dates that matter, ISO strings or `null`. */
export function dateEvidence(dates: Record<string, Date | undefined>): Evidence {
  return Object.fromEntries(Object.entries(dates).map(([key, date]) => [key, isoOrNull(date)]));
}
