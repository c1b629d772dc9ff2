/**
 * The one CSV cell encoder of every CSV this tool writes (findings, trend, compliance, review
 * evidence). Text in those files is attacker-influenced: anyone who can create a role, tag it or
 * answer a review can choose its first character. A spreadsheet runs a cell that starts with
 * `=`, `+`, `-` or `@` as a formula (and some strip a leading tab or CR before deciding), so such a
 * text cell gets a leading `'` (OWASP "CSV injection"), which spreadsheets show as text.
 *
 * Only text is neutralised. A number is written as a number, so a change of `-3` in the trend
 * stays `-3` and sums in a spreadsheet; a role named `-3` is text and becomes `'-3`. Callers pass
 * numbers as numbers, never stringified, for that reason.
 */

export type CsvValue = string | number | boolean | null | undefined;

/** A spreadsheet runs a text cell starting with one of these as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field: formula-like text prefixed with `'`, quoted when it holds `,` `"` CR or LF. */
export function csvField(value: CsvValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return String(value);
  // NaN and -Infinity are not numbers a spreadsheet reads; they are encoded as the text they print.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const raw = String(value);
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (without its line end) from the cells in column order. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',');
}
