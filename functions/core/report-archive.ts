import { formatReport } from './report';
import type { AnalysisReport, ReportFormat } from './report/types';

/**
 * The report each scan leaves in the reports bucket: which format, where, and under which name.
 *
 * Key layout: `reports/<account>/<yyyy>/<mm>/<dd>/<scanId>.<ext>`, the date being the scan's start
 * (UTC). One object per scan and format, written once and never overwritten: a listing of
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
 * The formats the deployed stack can archive: every format the CLI writes to a file except
 * `table` (a terminal view) and `asff` (Security Hub imports findings through its exporter, not
 * from a file).
 */
export const ARCHIVABLE_REPORT_FORMATS = ['html', 'json', 'csv', 'sarif', 'ocsf'] as const;
export type ArchivableReportFormat = (typeof ARCHIVABLE_REPORT_FORMATS)[number];

/**
 * Each archivable format's content type and extension; the one place to change them. SARIF keeps
 * its registered media type and the `.sarif` extension code-scanning tools look for; OCSF is one
 * event per line.
 */
export const ARCHIVED_FORMATS: Readonly<Record<ArchivableReportFormat, ArchivedReportFormat>> = {
  html: { format: 'html', contentType: 'text/html; charset=utf-8', extension: 'html' },
  json: { format: 'json', contentType: 'application/json', extension: 'json' },
  csv: { format: 'csv', contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  sarif: { format: 'sarif', contentType: 'application/sarif+json', extension: 'sarif' },
  ocsf: { format: 'ocsf', contentType: 'application/x-ndjson', extension: 'ocsf.jsonl' },
};

/**
 * The format archived when none is configured, and the one ScanCompleted points at when archived:
 * the HTML report is the one a person opens from the bucket (self-contained, with the charts and
 * the coverage).
 */
export const ARCHIVED_REPORT_FORMAT: ArchivedReportFormat = ARCHIVED_FORMATS.html;

export const DEFAULT_ARCHIVED_REPORT_FORMATS: readonly ArchivableReportFormat[] = ['html'];

/**
 * The archived report ScanCompleted and the Slack summary point at: the HTML one when it was
 * written, else the first written.
 */
export function primaryReportLocation(locations: readonly ReportLocation[]): ReportLocation | undefined {
  return (
    locations.find((location) => location.contentType === ARCHIVED_REPORT_FORMAT.contentType) ?? locations[0]
  );
}

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

/** The archived report's content in `format` (HTML unless told). */
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
