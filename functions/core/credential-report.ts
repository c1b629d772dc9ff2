/**
 * The IAM credential report (`aws iam get-credential-report`, Content base64-decoded): a CSV with
 * one row per user plus the `<root_account>` row. Columns are looked up by name, so their order
 * and any extra columns AWS adds later do not matter.
 */

/** Columns every credential report has; a header without one of them is not a credential report. */
export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
] as const;

export const ROOT_ACCOUNT_USER = '<root_account>';

/** The text is not a credential report (wrong or missing header). Row problems are not errors. */
export class CredentialReportFormatError extends Error {
  override readonly name = 'CredentialReportFormatError';
  constructor(
    message: string,
    /** The missing or malformed column, when the problem is one column. */
    readonly column?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A value that is neither an ISO-8601 timestamp nor epoch seconds. */
export class TimestampFormatError extends Error {
  override readonly name = 'TimestampFormatError';
  constructor(readonly value: unknown) {
    super(`${describeValue(value)} is not an ISO-8601 timestamp or epoch seconds`);
  }
}

export interface CredentialReportKeySlot {
  slot: 1 | 2;
  active: boolean;
  /** `access_key_N_last_rotated`: when the key in this slot was created. */
  lastRotatedAt?: Date;
  lastUsedAt?: Date;
  lastUsedRegion?: string;
  lastUsedService?: string;
}

export interface CredentialReportRow {
  /** 1-based line number in the CSV (the header is line 1). */
  line: number;
  user: string;
  arn: string;
  isRoot: boolean;
  userCreatedAt?: Date;
  passwordEnabled: boolean;
  passwordLastUsedAt?: Date;
  passwordLastChangedAt?: Date;
  passwordNextRotationAt?: Date;
  mfaActive: boolean;
  accessKeys: [CredentialReportKeySlot, CredentialReportKeySlot];
}

/** A row that could not be read; the other rows are unaffected. */
export interface RejectedRow {
  line: number;
  /** The user and ARN columns, when the row got that far. */
  user?: string;
  arn?: string;
  reason: string;
}

export interface CredentialReport {
  rows: CredentialReportRow[];
  rejected: RejectedRow[];
}

/**
 * Checks that the first line is a credential report header. Throws `CredentialReportFormatError`
 * naming the first missing column.
 */
export function checkCredentialReportHeader(csv: string): void {
  const end = csv.indexOf('\n');
  readHeader(stripBom(end < 0 ? csv : csv.slice(0, end)).replace(/\r$/, ''));
}

/** A credential report parsed once: its rows, or why its header is not valid. */
export interface ParsedCredentialReport {
  report?: CredentialReport;
  error?: CredentialReportFormatError;
}

/** `parseCredentialReport`, with a header that is not valid as a result instead of an exception. */
export function readCredentialReportCsv(csv: string): ParsedCredentialReport {
  try {
    return { report: parseCredentialReport(csv) };
  } catch (error) {
    if (!(error instanceof CredentialReportFormatError)) throw error;
    return { error };
  }
}

/**
 * Parses the decoded credential report. A bad header throws `CredentialReportFormatError`; a bad
 * row is returned in `rejected` with its line number and the other rows survive.
 *
 * Fields are read in place, by offset: a report of 100,000 users has two million fields, and
 * slicing each into a string only to compare it with `N/A` would be most of the work.
 */
export function parseCredentialReport(csv: string): CredentialReport {
  const text = stripBom(csv);
  const headerEnd = lineEnd(text, 0);
  const columns = readHeader(text.slice(0, contentEnd(text, 0, headerEnd)));
  const quoted = text.includes('"');
  const fields: Fields = {
    text,
    start: new Int32Array(columns.width + 1),
    end: new Int32Array(columns.width + 1),
    count: 0,
  };
  const rows: CredentialReportRow[] = [];
  const rejected: RejectedRow[] = [];
  let line = 1;
  for (let at = headerEnd + 1; at < text.length; at = lineEnd(text, at) + 1) {
    line++;
    const end = contentEnd(text, at, lineEnd(text, at));
    if (end === at) continue;
    const row = quoted && text.slice(at, end).includes('"') ? quotedFields(text.slice(at, end)) : fields;
    if (row === fields) splitFields(fields, at, end, columns.width);
    if (row.count !== columns.width) {
      const reason = `row has ${row.count} fields, the header has ${columns.width}`;
      rejected.push(rejectedRow(line, row, columns, reason));
      continue;
    }
    try {
      rows.push(readRow(row, columns, line));
    } catch (error) {
      if (!(error instanceof RowFormatError)) throw error;
      rejected.push(rejectedRow(line, row, columns, error.message));
    }
  }
  return { rows, rejected };
}

/**
 * Parses an AWS timestamp: a `Date` (SDK), an ISO-8601 string (`2024-05-01T10:00:00Z`,
 * `2024-05-01T10:00:00.123456+00:00`, a date alone, no zone meaning UTC), or epoch seconds as a
 * number or numeric string (AWS CLI v1 prints JSON-protocol services this way). `undefined` and
 * `null` are absent values. Anything else throws `TimestampFormatError`, including impossible
 * dates such as February 30.
 */
export function parseAwsTimestamp(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return fromEpochSeconds(value, value);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TimestampFormatError(value);
    return value;
  }
  if (typeof value !== 'string') throw new TimestampFormatError(value);
  const text = value.trim();
  const ms = parseIso8601(text, 0, text.length);
  if (ms !== undefined) return new Date(ms);
  if (EPOCH_SECONDS.test(text)) return fromEpochSeconds(Number(text), value);
  throw new TimestampFormatError(value);
}

const EPOCH_SECONDS = /^-?\d+(?:\.\d+)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const CHAR = { dash: 45, colon: 58, plus: 43, dot: 46, comma: 44, space: 32, T: 84, t: 116, Z: 90, z: 122 };

function fromEpochSeconds(seconds: number, original: unknown): Date {
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(seconds) || Number.isNaN(date.getTime())) throw new TimestampFormatError(original);
  return date;
}

/**
 * `YYYY-MM-DD[(T| )hh:mm[:ss[.fff...]]][Z|(+|-)hh[:]mm]` as epoch milliseconds; undefined when the
 * text is not that or names an impossible date or time. Hand-written: reports with 100,000 users
 * hold several hundred thousand timestamps.
 */
function parseIso8601(s: string, begin: number, n: number): number | undefined {
  if (n - begin < 10 || s.charCodeAt(begin + 4) !== CHAR.dash || s.charCodeAt(begin + 7) !== CHAR.dash) {
    return undefined;
  }
  const year = digits(s, begin, 4);
  const month = digits(s, begin + 5, 2);
  const day = digits(s, begin + 8, 2);
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let i = begin + 10;
  const separator = i < n ? s.charCodeAt(i) : 0;
  if (separator === CHAR.T || separator === CHAR.t || separator === CHAR.space) {
    hour = digits(s, i + 1, 2);
    if (s.charCodeAt(i + 3) !== CHAR.colon) return undefined;
    minute = digits(s, i + 4, 2);
    i += 6;
    if (s.charCodeAt(i) === CHAR.colon) {
      second = digits(s, i + 1, 2);
      i += 3;
      const mark = s.charCodeAt(i);
      if (mark === CHAR.dot || mark === CHAR.comma) {
        const start = ++i;
        let scale = 100;
        for (let d = s.charCodeAt(i) - 48; i < n && d >= 0 && d <= 9; d = s.charCodeAt(++i) - 48) {
          millis += d * scale;
          scale /= 10;
        }
        if (i === start) return undefined;
        millis = Math.floor(millis);
      }
    }
  }
  let offsetMinutes = 0;
  if (i < n) {
    const zone = s.charCodeAt(i);
    if (zone === CHAR.Z || zone === CHAR.z) {
      i++;
    } else if (zone === CHAR.plus || zone === CHAR.dash) {
      const offsetHours = digits(s, i + 1, 2);
      i += 3;
      if (s.charCodeAt(i) === CHAR.colon) i++;
      const offsetMins = digits(s, i, 2);
      i += 2;
      if (offsetHours < 0 || offsetMins < 0 || offsetHours > 23 || offsetMins > 59) return undefined;
      offsetMinutes = (zone === CHAR.dash ? -1 : 1) * (offsetHours * 60 + offsetMins);
    } else {
      return undefined;
    }
  }
  if (i !== n || year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return undefined;
  if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** The decimal value of `count` digits at `start`, or -1 when one of them is not a digit. */
function digits(s: string, start: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) {
    const d = s.charCodeAt(start + k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return 'an invalid Date';
  if (typeof value === 'number') return String(value);
  return `a value of type ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
}

/** A malformed field inside one row; caught per row. */
class RowFormatError extends Error {
  override readonly name = 'RowFormatError';
}

interface KeyColumns {
  active: number;
  lastRotated: number;
  lastUsedDate: number;
  lastUsedRegion: number;
  lastUsedService: number;
}

/** Field positions resolved once from the header; -1 for an optional column that is absent. */
interface Columns {
  names: string[];
  width: number;
  user: number;
  arn: number;
  userCreationTime: number;
  passwordEnabled: number;
  passwordLastUsed: number;
  passwordLastChanged: number;
  passwordNextRotation: number;
  mfaActive: number;
  keys: [KeyColumns, KeyColumns];
}

function readHeader(header: string): Columns {
  const names = splitCsvLine(header).map((name) => name.trim());
  const positions = new Map<string, number>();
  names.forEach((name, i) => {
    if (!positions.has(name)) positions.set(name, i);
  });
  for (const column of CREDENTIAL_REPORT_COLUMNS) {
    if (!positions.has(column)) {
      throw new CredentialReportFormatError(
        `credential report header has no "${column}" column (header: ${JSON.stringify(header.slice(0, 80))})`,
        column,
      );
    }
  }
  const at = (column: string): number => positions.get(column) ?? -1;
  const key = (n: 1 | 2): KeyColumns => ({
    active: at(`access_key_${n}_active`),
    lastRotated: at(`access_key_${n}_last_rotated`),
    lastUsedDate: at(`access_key_${n}_last_used_date`),
    lastUsedRegion: at(`access_key_${n}_last_used_region`),
    lastUsedService: at(`access_key_${n}_last_used_service`),
  });
  return {
    names,
    width: names.length,
    user: at('user'),
    arn: at('arn'),
    userCreationTime: at('user_creation_time'),
    passwordEnabled: at('password_enabled'),
    passwordLastUsed: at('password_last_used'),
    passwordLastChanged: at('password_last_changed'),
    passwordNextRotation: at('password_next_rotation'),
    mfaActive: at('mfa_active'),
    keys: [key(1), key(2)],
  };
}

/** One CSV row as offsets into `text`; `count` fields. */
interface Fields {
  text: string;
  start: Int32Array;
  end: Int32Array;
  count: number;
}

/** Index of the `\n` ending the line that starts at `at`, or the text length. */
function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end < 0 ? text.length : end;
}

/** `end` without a trailing `\r`. */
function contentEnd(text: string, start: number, end: number): number {
  return end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

/** Splits an unquoted line in place; fields beyond `width` are only counted. */
function splitFields(fields: Fields, start: number, end: number, width: number): void {
  let count = 0;
  let at = start;
  for (;;) {
    const comma = fields.text.indexOf(',', at);
    const stop = comma < 0 || comma >= end ? end : comma;
    if (count < width) {
      fields.start[count] = at;
      fields.end[count] = stop;
    }
    count++;
    if (stop === end) break;
    at = stop + 1;
  }
  fields.count = count;
}

/** RFC 4180 quoting (a rare line): the unquoted values laid end to end, with their offsets. */
function quotedFields(line: string): Fields {
  const values = splitCsvLine(line);
  const fields: Fields = {
    text: values.join(''),
    start: new Int32Array(values.length),
    end: new Int32Array(values.length),
    count: values.length,
  };
  let at = 0;
  values.forEach((value, i) => {
    fields.start[i] = at;
    at += value.length;
    fields.end[i] = at;
  });
  return fields;
}

function fieldIs(fields: Fields, index: number, value: string): boolean {
  const start = fields.start[index]!;
  return fields.end[index]! - start === value.length && fields.text.startsWith(value, start);
}

/** Values the report uses for "no value": no password, key never used, not applicable to root. */
function isAbsentAt(fields: Fields, index: number): boolean {
  return (
    fields.end[index] === fields.start[index] ||
    fieldIs(fields, index, 'N/A') ||
    fieldIs(fields, index, 'no_information') ||
    fieldIs(fields, index, 'not_supported')
  );
}

function fieldText(fields: Fields, index: number): string {
  return fields.text.slice(fields.start[index], fields.end[index]);
}

function textAt(fields: Fields, index: number): string | undefined {
  return index < 0 || isAbsentAt(fields, index) ? undefined : fieldText(fields, index);
}

function dateAt(fields: Fields, index: number, columns: Columns): Date | undefined {
  if (index < 0 || isAbsentAt(fields, index)) return undefined;
  const ms = parseIso8601(fields.text, fields.start[index]!, fields.end[index]!);
  if (ms !== undefined) return new Date(ms);
  const value = fieldText(fields, index);
  try {
    return parseAwsTimestamp(value);
  } catch {
    throw new RowFormatError(
      `column ${columns.names[index]} has ${JSON.stringify(value)}, which is not a timestamp`,
    );
  }
}

function flagAt(fields: Fields, index: number, columns: Columns): boolean {
  if (fieldIs(fields, index, 'true')) return true;
  if (fieldIs(fields, index, 'false') || isAbsentAt(fields, index)) return false;
  const value = fieldText(fields, index);
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new RowFormatError(
    `column ${columns.names[index]} has ${JSON.stringify(value)}, expected true or false`,
  );
}

function readSlot(fields: Fields, columns: Columns, slot: 1 | 2): CredentialReportKeySlot {
  const c = columns.keys[slot - 1]!;
  const keySlot: CredentialReportKeySlot = { slot, active: flagAt(fields, c.active, columns) };
  const lastRotatedAt = dateAt(fields, c.lastRotated, columns);
  const lastUsedAt = dateAt(fields, c.lastUsedDate, columns);
  const lastUsedRegion = textAt(fields, c.lastUsedRegion);
  const lastUsedService = textAt(fields, c.lastUsedService);
  if (lastRotatedAt) keySlot.lastRotatedAt = lastRotatedAt;
  if (lastUsedAt) keySlot.lastUsedAt = lastUsedAt;
  if (lastUsedRegion) keySlot.lastUsedRegion = lastUsedRegion;
  if (lastUsedService) keySlot.lastUsedService = lastUsedService;
  return keySlot;
}

function readRow(fields: Fields, columns: Columns, line: number): CredentialReportRow {
  const user = fieldText(fields, columns.user);
  if (user === '') throw new RowFormatError('column user is empty');
  const arn = fieldText(fields, columns.arn);
  if (!arn.startsWith('arn:')) throw new RowFormatError(`column arn has ${JSON.stringify(arn)}, not an ARN`);
  const row: CredentialReportRow = {
    line,
    user,
    arn,
    isRoot: user === ROOT_ACCOUNT_USER,
    passwordEnabled: flagAt(fields, columns.passwordEnabled, columns),
    mfaActive: flagAt(fields, columns.mfaActive, columns),
    accessKeys: [readSlot(fields, columns, 1), readSlot(fields, columns, 2)],
  };
  const userCreatedAt = dateAt(fields, columns.userCreationTime, columns);
  const passwordLastUsedAt = dateAt(fields, columns.passwordLastUsed, columns);
  const passwordLastChangedAt = dateAt(fields, columns.passwordLastChanged, columns);
  const passwordNextRotationAt = dateAt(fields, columns.passwordNextRotation, columns);
  if (userCreatedAt) row.userCreatedAt = userCreatedAt;
  if (passwordLastUsedAt) row.passwordLastUsedAt = passwordLastUsedAt;
  if (passwordLastChangedAt) row.passwordLastChangedAt = passwordLastChangedAt;
  if (passwordNextRotationAt) row.passwordNextRotationAt = passwordNextRotationAt;
  return row;
}

/** The user and ARN columns of a rejected row, when it has them. */
function rejectedRow(line: number, fields: Fields, columns: Columns, reason: string): RejectedRow {
  const row: RejectedRow = { line, reason };
  if (columns.user < fields.count) {
    const user = fieldText(fields, columns.user);
    if (user) row.user = user;
  }
  if (columns.arn < fields.count) {
    const arn = fieldText(fields, columns.arn);
    if (arn.startsWith('arn:')) row.arn = arn;
  }
  return row;
}

/** RFC 4180 fields of one line. */
function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  fields.push(current);
  return fields;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
