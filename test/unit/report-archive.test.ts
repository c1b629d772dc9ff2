import { describe, expect, it } from 'vitest';
import {
  ARCHIVABLE_REPORT_FORMATS,
  ARCHIVED_FORMATS,
  ARCHIVED_REPORT_FORMAT,
  archivedReportBody,
  primaryReportLocation,
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

describe('archivable formats', () => {
  it('gives each format its content type and extension', () => {
    expect(ARCHIVABLE_REPORT_FORMATS).toEqual(['html', 'json', 'csv', 'sarif', 'ocsf']);
    expect(ARCHIVED_FORMATS).toEqual({
      html: { format: 'html', contentType: 'text/html; charset=utf-8', extension: 'html' },
      json: { format: 'json', contentType: 'application/json', extension: 'json' },
      csv: { format: 'csv', contentType: 'text/csv; charset=utf-8', extension: 'csv' },
      sarif: { format: 'sarif', contentType: 'application/sarif+json', extension: 'sarif' },
      ocsf: { format: 'ocsf', contentType: 'application/x-ndjson', extension: 'ocsf.jsonl' },
    });
    expect(ARCHIVED_REPORT_FORMAT).toBe(ARCHIVED_FORMATS.html);
  });

  it('keys each format under the same scan, by its extension', () => {
    expect(reportArchiveKey(scan, ARCHIVED_FORMATS.sarif)).toBe(
      'reports/111122223333/2025/06/03/20250603T235959.123Z-beef0001.sarif',
    );
    expect(reportArchiveKey(scan, ARCHIVED_FORMATS.ocsf)).toBe(
      'reports/111122223333/2025/06/03/20250603T235959.123Z-beef0001.ocsf.jsonl',
    );
    expect(reportFileName(scan, ARCHIVED_FORMATS.csv)).toBe(
      'iam-posture-111122223333-20250603T235959.123Z-beef0001.csv',
    );
  });

  it('writes each format as the CLI does', () => {
    const report = aReport([aFinding({ id: 'f-one' })]);
    const sarif = JSON.parse(archivedReportBody(report, ARCHIVED_FORMATS.sarif)) as { version: string };
    expect(sarif.version).toBe('2.1.0');
    const json = JSON.parse(archivedReportBody(report, ARCHIVED_FORMATS.json)) as {
      findings: { id: string }[];
    };
    expect(json.findings.map((finding) => finding.id)).toEqual(['f-one']);
    const ocsf = archivedReportBody(report, ARCHIVED_FORMATS.ocsf).trim().split('\n');
    expect(ocsf.length).toBeGreaterThan(0);
    for (const line of ocsf) expect(typeof JSON.parse(line)).toBe('object');
    expect(archivedReportBody(report, ARCHIVED_FORMATS.csv).split('\r\n')[0]).toMatch(/^id,severity,ruleId,/);
  });

  it('points at the HTML report when archived, else the first written', () => {
    const at = (key: string, contentType: string) => ({
      bucket: 'reports-bucket',
      key,
      region: 'eu-west-1',
      contentType,
      bytes: 1,
    });
    const sarif = at('a.sarif', ARCHIVED_FORMATS.sarif.contentType);
    const html = at('a.html', ARCHIVED_FORMATS.html.contentType);
    const csv = at('a.csv', ARCHIVED_FORMATS.csv.contentType);
    expect(primaryReportLocation([sarif, html, csv])).toBe(html);
    expect(primaryReportLocation([csv, sarif])).toBe(csv);
    expect(primaryReportLocation([])).toBeUndefined();
  });
});
