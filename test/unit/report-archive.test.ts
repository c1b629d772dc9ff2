import { describe, expect, it } from 'vitest';
import {
  ARCHIVED_REPORT_FORMAT,
  archivedReportBody,
  REPORTS_PREFIX,
  ReportKeyError,
  reportArchiveKey,
  reportFileName,
} from '../../functions/core/report-archive';
import { aFinding, aReport } from './report/fixtures';

const scan = {
  accountId: '111122223333',
  scanId: '20250603T235959.123Z-beef0001',
  startedAt: new Date('2025-06-03T23:59:59.123Z'),
};

describe('archived report key', () => {
  it('files a report under its account and the UTC day the scan started', () => {
    expect(reportArchiveKey(scan)).toBe(
      `reports/111122223333/2025/06/03/20250603T235959.123Z-beef0001.${ARCHIVED_REPORT_FORMAT.extension}`,
    );
    expect(reportArchiveKey(scan).startsWith(REPORTS_PREFIX)).toBe(true);
  });

  it('takes the extension from the format it is given', () => {
    const html = { format: 'json' as const, contentType: 'text/html; charset=utf-8', extension: 'html' };
    expect(reportArchiveKey(scan, html)).toBe(
      'reports/111122223333/2025/06/03/20250603T235959.123Z-beef0001.html',
    );
    expect(reportFileName(scan, html)).toBe('iam-posture-111122223333-20250603T235959.123Z-beef0001.html');
  });

  it('refuses an account id or scan id that would place the report elsewhere', () => {
    expect(() => reportArchiveKey({ ...scan, accountId: '../../other' })).toThrow(ReportKeyError);
    expect(() => reportArchiveKey({ ...scan, accountId: '11112222333' })).toThrow(
      'report key: account id "11112222333" is not 12 digits',
    );
    expect(() => reportArchiveKey({ ...scan, scanId: 'x/../../y' })).toThrow(
      'report key: scan id "x/../../y" is not a scan id',
    );
  });
});

describe('archived report body', () => {
  it('holds every finding of the report, in the archived format', () => {
    const report = aReport([aFinding({ id: 'f-one' }), aFinding({ id: 'f-two', ruleId: 'role-unused' })]);
    const body = archivedReportBody(report);
    expect(body).toContain('f-one');
    expect(body).toContain('f-two');
  });
});
