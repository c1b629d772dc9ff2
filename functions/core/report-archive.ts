import { formatReport } from './report';
import type { AnalysisReport, ReportFormat } from './report/types';

/**
 * The report each scan leaves in the reports bucket: which format, where, and under which name.
 *
 * Key layout: `reports/<account>/<yyyy>/<mm>/<dd>/<scanId>.<ext>`, the date being the scan's start
 * (UTC). One object per scan, written once and never overwritten: a listing of
 * `reports/<account>/` sorts by time (scan ids start with their start time), so the newest report
 * is the last key, and no `latest` copy is kept: with versioning off, a copy rewritten by every
 * scan could be read half-way between two scans, and would double the writes for nothing the
 * ScanCompleted event and the Slack summary do not already say (the exact key).
 */

export interface ArchivedReportFormat {
  format: ReportFormat;
  contentType: string;
  extension: string;
}

/**
 * The format every archived report is written in; the one place to change it. The HTML report is
 * the one a person opens from the bucket: self-contained, with the charts and the coverage.
 */
export const ARCHIVED_REPORT_FORMAT: ArchivedReportFormat = {
  format: 'html',
  contentType: 'text/html; charset=utf-8',
  extension: 'html',
};

/** Everything the scan function writes to the reports bucket is under this prefix. */
export const REPORTS_PREFIX = 'reports/';

const ACCOUNT_ID = /^\d{12}$/;
/** Scan ids are `<start, compact ISO-8601>-<hex>`; nothing else may shape a key. */
const SCAN_ID = /^[0-9TZ.]+-[0-9a-f]+$/;

/** A key the archive refuses to write: it would land outside the account's reports. */
export class ReportKeyError extends Error {
  override readonly name = 'ReportKeyError';
}

/** `reports/<account>/<yyyy>/<mm>/<dd>/<scanId>.<ext>`. */
export function reportArchiveKey(
  input: { accountId: string; scanId: string; startedAt: Date },
  format: ArchivedReportFormat = ARCHIVED_REPORT_FORMAT,
): string {
  if (!ACCOUNT_ID.test(input.accountId)) {
    throw new ReportKeyError(`report key: account id "${input.accountId}" is not 12 digits`);
  }
  if (!SCAN_ID.test(input.scanId)) {
    throw new ReportKeyError(`report key: scan id "${input.scanId}" is not a scan id`);
  }
  const day = input.startedAt.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${REPORTS_PREFIX}${input.accountId}/${day}/${input.scanId}.${format.extension}`;
}

/** The file name a browser or `aws s3 cp` suggests: the account and scan, not the key's path. */
export function reportFileName(
  input: { accountId: string; scanId: string },
  format: ArchivedReportFormat = ARCHIVED_REPORT_FORMAT,
): string {
  return `iam-posture-${input.accountId}-${input.scanId}.${format.extension}`;
}

/** The archived report's content, in `ARCHIVED_REPORT_FORMAT`. */
export function archivedReportBody(
  report: AnalysisReport,
  format: ArchivedReportFormat = ARCHIVED_REPORT_FORMAT,
): string {
  return formatReport(report, format.format, { color: false });
}

/** Where one archived report is: what ScanCompleted carries and the Slack summary shows. */
export interface ReportLocation {
  bucket: string;
  key: string;
  /** The bucket's region (for the console link). */
  region: string;
  contentType: string;
  bytes: number;
}
