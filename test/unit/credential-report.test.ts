import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_REPORT_COLUMNS,
  CredentialReportFormatError,
  checkCredentialReportHeader,
  parseAwsTimestamp,
  parseCredentialReport,
  TimestampFormatError,
} from '../../functions/core/credential-report';

const FIXTURE = readFileSync(
  new URL('../fixtures/export-shapes/cli-object/credential-report.csv', import.meta.url),
  'utf8',
);
const HEADER = FIXTURE.split('\n')[0]!;

/** A full row in header order, with overrides by column name. */
function row(values: Record<string, string>): string {
  const defaults: Record<string, string> = {
    user: 'bob',
    arn: 'arn:aws:iam::123456789012:user/bob',
    user_creation_time: '2024-01-01T00:00:00+00:00',
    password_enabled: 'false',
    mfa_active: 'false',
    access_key_1_active: 'false',
    access_key_2_active: 'false',
    cert_1_active: 'false',
    cert_2_active: 'false',
  };
  return HEADER.split(',')
    .map((column) => values[column] ?? defaults[column] ?? 'N/A')
    .join(',');
}

function formatError(csv: string): CredentialReportFormatError {
  try {
    parseCredentialReport(csv);
  } catch (error) {
    if (error instanceof CredentialReportFormatError) return error;
    throw error;
  }
  throw new Error('expected a CredentialReportFormatError');
}

describe('parseCredentialReport', () => {
  it('reads every row of a report with typed values', () => {
    const { rows, rejected } = parseCredentialReport(FIXTURE);
    expect(rejected).toEqual([]);
    expect(rows.map((r) => r.user)).toEqual(['<root_account>', 'alice', 'ci-bot']);
    const ciBot = rows[2]!;
    expect(ciBot).toEqual({
      line: 4,
      user: 'ci-bot',
      arn: 'arn:aws:iam::123456789012:user/machines/ci-bot',
      isRoot: false,
      userCreatedAt: new Date('2021-06-10T12:00:00Z'),
      passwordEnabled: false,
      mfaActive: false,
      accessKeys: [
        {
          slot: 1,
          active: true,
          lastRotatedAt: new Date('2024-01-05T07:30:00Z'),
          lastUsedAt: new Date('2025-05-31T23:10:00Z'),
          lastUsedRegion: 'eu-west-1',
          lastUsedService: 'lambda',
        },
        {
          slot: 2,
          active: false,
          lastRotatedAt: new Date('2021-06-10T12:01:00Z'),
          lastUsedAt: new Date('2022-01-01T00:00:00Z'),
          lastUsedRegion: 'us-east-1',
          lastUsedService: 'sts',
        },
      ],
    });
  });

  it('reads the <root_account> row, where password columns are not_supported', () => {
    const root = parseCredentialReport(FIXTURE).rows[0]!;
    expect(root.isRoot).toBe(true);
    expect(root.arn).toBe('arn:aws:iam::123456789012:root');
    expect(root.passwordEnabled).toBe(false);
    expect(root.passwordLastChangedAt).toBeUndefined();
    expect(root.passwordNextRotationAt).toBeUndefined();
    expect(root.passwordLastUsedAt).toEqual(new Date('2025-04-02T11:00:00Z'));
    expect(root.mfaActive).toBe(true);
    expect(root.accessKeys[0]).toMatchObject({ active: true, lastUsedService: 's3' });
  });

  it('treats N/A, no_information and not_supported as absent', () => {
    const alice = parseCredentialReport(FIXTURE).rows[1]!;
    expect(alice.passwordEnabled).toBe(true);
    expect(alice.passwordLastUsedAt).toBeUndefined(); // no_information
    expect(alice.passwordLastChangedAt).toEqual(new Date('2022-03-01T09:05:00Z'));
    expect(alice.accessKeys[0]).toEqual({
      slot: 1,
      active: true,
      lastRotatedAt: new Date('2024-11-20T08:00:00Z'),
    });
    expect(alice.accessKeys[1]).toEqual({ slot: 2, active: false });
  });

  it('reads CRLF line endings like LF', () => {
    const crlf = FIXTURE.replace(/\n/g, '\r\n');
    expect(crlf).toContain('\r\n');
    const parsed = parseCredentialReport(crlf);
    expect(parsed).toEqual(parseCredentialReport(FIXTURE));
    expect(parsed.rows[2]?.accessKeys[1]?.lastUsedService).toBe('sts');
  });

  it('ignores a byte order mark, a missing final newline and blank lines', () => {
    const text = `\uFEFF${FIXTURE.trimEnd()}\n\n`;
    expect(parseCredentialReport(text).rows).toHaveLength(3);
  });

  it('finds columns by name, in any order and with extra columns', () => {
    const columns = [...CREDENTIAL_REPORT_COLUMNS].reverse();
    const values: Record<string, string> = {
      user: 'carol',
      arn: 'arn:aws:iam::123456789012:user/carol',
      user_creation_time: '2024-02-02T00:00:00+00:00',
      password_enabled: 'true',
      password_last_used: '2024-03-03T00:00:00+00:00',
      password_last_changed: 'N/A',
      mfa_active: 'true',
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2024-02-02T00:01:00+00:00',
      access_key_2_active: 'false',
    };
    const csv = `${[...columns, 'future_column'].join(',')}\n${[...columns.map((c) => values[c] ?? 'N/A'), 'x'].join(',')}\n`;
    const [carol] = parseCredentialReport(csv).rows;
    expect(carol).toMatchObject({
      user: 'carol',
      passwordEnabled: true,
      passwordLastUsedAt: new Date('2024-03-03T00:00:00Z'),
      mfaActive: true,
    });
    expect(carol?.accessKeys[0]).toEqual({
      slot: 1,
      active: true,
      lastRotatedAt: new Date('2024-02-02T00:01:00Z'),
    });
    expect(carol?.passwordNextRotationAt).toBeUndefined();
  });

  it('reads a quoted field containing a comma', () => {
    const csv = `${HEADER}\n${row({ user: '"a,b"', arn: '"arn:aws:iam::123456789012:user/a,b"' })}\n`;
    const { rows, rejected } = parseCredentialReport(csv);
    expect(rejected).toEqual([]);
    expect(rows[0]).toMatchObject({ user: 'a,b', arn: 'arn:aws:iam::123456789012:user/a,b' });
  });

  describe('a bad row', () => {
    it('is rejected with its line number and the other rows survive', () => {
      const csv = [
        HEADER,
        row({ user: 'good-1' }),
        row({
          user: 'bad-date',
          arn: 'arn:aws:iam::123456789012:user/bad-date',
          access_key_1_last_rotated: '05/01/2024',
        }),
        row({ user: 'good-2' }),
        row({ user: 'bad-bool', mfa_active: 'yes' }),
        'short,row',
        row({ user: 'bad-arn', arn: 'user/bad-arn' }),
        row({ user: 'bad-calendar', password_last_changed: '2023-02-30T00:00:00+00:00' }),
        row({ user: 'good-3' }),
      ].join('\n');
      const { rows, rejected } = parseCredentialReport(csv);
      expect(rows.map((r) => [r.user, r.line])).toEqual([
        ['good-1', 2],
        ['good-2', 4],
        ['good-3', 9],
      ]);
      expect(rejected).toEqual([
        {
          line: 3,
          user: 'bad-date',
          arn: 'arn:aws:iam::123456789012:user/bad-date',
          reason: 'column access_key_1_last_rotated has "05/01/2024", which is not a timestamp',
        },
        {
          line: 5,
          user: 'bad-bool',
          arn: 'arn:aws:iam::123456789012:user/bob',
          reason: 'column mfa_active has "yes", expected true or false',
        },
        { line: 6, user: 'short', reason: `row has 2 fields, the header has ${HEADER.split(',').length}` },
        { line: 7, user: 'bad-arn', reason: 'column arn has "user/bad-arn", not an ARN' },
        {
          line: 8,
          user: 'bad-calendar',
          arn: 'arn:aws:iam::123456789012:user/bob',
          reason: 'column password_last_changed has "2023-02-30T00:00:00+00:00", which is not a timestamp',
        },
      ]);
    });

    it('counts lines the same way with CRLF', () => {
      const csv = [HEADER, row({ user: 'ok' }), row({ user: 'bad', mfa_active: 'maybe' })].join('\r\n');
      expect(parseCredentialReport(csv).rejected.map((r) => r.line)).toEqual([3]);
    });
  });

  describe('a header that is not a credential report', () => {
    it.each(CREDENTIAL_REPORT_COLUMNS.map((column) => [column]))('names the missing column %s', (column) => {
      const header = HEADER.split(',')
        .filter((c) => c !== column)
        .join(',');
      const error = formatError(`${header}\n`);
      expect(error.column).toBe(column);
      expect(error.message).toContain(`no "${column}" column`);
      expect(error.name).toBe('CredentialReportFormatError');
    });

    it('names a misspelled column', () => {
      const error = formatError(`${HEADER.replace('mfa_active', 'mfa_enabled')}\n${row({})}`);
      expect(error.column).toBe('mfa_active');
    });

    it('rejects an empty text and a base64 blob', () => {
      expect(formatError('').column).toBe('user');
      expect(formatError(Buffer.from(FIXTURE).toString('base64')).column).toBe('user');
    });

    it('is checked alone by checkCredentialReportHeader', () => {
      expect(() => checkCredentialReportHeader(`${HEADER}\r\nnot,a,valid,row`)).not.toThrow();
      expect(() => checkCredentialReportHeader('user,arn\nx,y')).toThrow(CredentialReportFormatError);
      expect(() => checkCredentialReportHeader('user,arn\nx,y')).toThrow(/user_creation_time/);
    });
  });
});

describe('parseAwsTimestamp', () => {
  it.each([
    ['ISO-8601 with Z', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z'],
    ['ISO-8601 with +00:00 (AWS CLI)', '2024-05-01T10:00:00+00:00', '2024-05-01T10:00:00.000Z'],
    ['microseconds', '2024-05-01T10:00:00.123456+00:00', '2024-05-01T10:00:00.123Z'],
    ['a positive offset', '2024-05-01T12:30:00+02:30', '2024-05-01T10:00:00.000Z'],
    ['a negative offset without colon', '2024-05-01T05:00:00-0500', '2024-05-01T10:00:00.000Z'],
    ['no zone, meaning UTC', '2024-05-01T10:00:00', '2024-05-01T10:00:00.000Z'],
    ['a date alone', '2024-05-01', '2024-05-01T00:00:00.000Z'],
    ['a space separator', '2024-05-01 10:00:00Z', '2024-05-01T10:00:00.000Z'],
    ['epoch seconds', 1714557600, '2024-05-01T10:00:00.000Z'],
    ['fractional epoch seconds', 1714557600.25, '2024-05-01T10:00:00.250Z'],
    ['epoch seconds as a string', '1714557600', '2024-05-01T10:00:00.000Z'],
    ['fractional epoch seconds as a string', '1714557600.5', '2024-05-01T10:00:00.500Z'],
    ['a leap day', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (_label, input, iso) => {
    expect(parseAwsTimestamp(input)?.toISOString()).toBe(iso);
  });

  it('returns a Date from the SDK as is', () => {
    const date = new Date('2024-05-01T10:00:00Z');
    expect(parseAwsTimestamp(date)).toBe(date);
  });

  it('treats undefined and null as absent', () => {
    expect(parseAwsTimestamp(undefined)).toBeUndefined();
    expect(parseAwsTimestamp(null)).toBeUndefined();
  });

  it.each([
    ['a US date', '05/01/2024'],
    ['a word', 'yesterday'],
    ['an empty string', ''],
    ['February 30', '2023-02-30T00:00:00Z'],
    ['February 29 of a common year', '2023-02-29'],
    ['month 13', '2024-13-01T00:00:00Z'],
    ['hour 24', '2024-05-01T24:00:00Z'],
    ['N/A (absent values are the caller’s business)', 'N/A'],
    ['a boolean', true],
    ['an object', { date: '2024-05-01' }],
    ['an invalid Date', new Date('nope')],
    ['infinity', Number.POSITIVE_INFINITY],
  ])('rejects %s', (_label, input) => {
    expect(() => parseAwsTimestamp(input)).toThrow(TimestampFormatError);
  });

  it('names the value in the error', () => {
    expect(() => parseAwsTimestamp('05/01/2024')).toThrow(
      '"05/01/2024" is not an ISO-8601 timestamp or epoch seconds',
    );
  });
});
