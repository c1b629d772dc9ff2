import { type CsvValue, csvRow } from '../csv';
import type { Finding } from '../finding';
import type { AnalysisReport } from './types';

/** Columns of the CSV output, in order. Nested values (evidence) are JSON text in one cell. */
export const CSV_COLUMNS = [
  'id',
  'severity',
  'ruleId',
  'resourceType',
  'resourceArn',
  'subResource',
  'accountId',
  'region',
  'reason',
  'evidence',
  'compliance',
  'remediation',
  'remediationAction',
  'result',
  'riskScore',
  'suppressed',
  'suppressionReason',
  'suppressionOwner',
  'suppressionExpires',
  // Added last so the positions of the columns before it never move.
  'owner',
] as const;

type Column = (typeof CSV_COLUMNS)[number];

const CELLS: Record<Column, (f: Finding) => CsvValue> = {
  id: (f) => f.id,
  severity: (f) => f.severity,
  ruleId: (f) => f.ruleId,
  resourceType: (f) => f.resourceType,
  resourceArn: (f) => f.resourceArn,
  subResource: (f) => f.subResource ?? '',
  accountId: (f) => f.accountId,
  region: (f) => f.region ?? '',
  reason: (f) => f.reason,
  evidence: (f) => JSON.stringify(f.evidence),
  compliance: (f) => f.compliance.map((c) => `${c.framework}:${c.control}`).join(' '),
  remediation: (f) => f.remediation.summary,
  remediationAction: (f) => f.remediation.action ?? '',
  result: (f) => f.result,
  riskScore: (f) => f.riskScore,
  suppressed: (f) => Boolean(f.suppression),
  suppressionReason: (f) => f.suppression?.reason ?? '',
  suppressionOwner: (f) => f.suppression?.owner ?? '',
  suppressionExpires: (f) => f.suppression?.expires ?? '',
  owner: (f) => f.owner?.id ?? '',
};

/**
 * RFC 4180: a header row, one row per finding, CRLF line ends, quoting where a field needs it.
 * Resource names, tags and reasons come from the account, so a cell that would start a
 * spreadsheet formula is prefixed with `'` (see ../csv).
 */
export function formatCsv(report: AnalysisReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const finding of report.findings) {
    lines.push(csvRow(CSV_COLUMNS.map((column) => CELLS[column](finding))));
  }
  return `${lines.join('\r\n')}\r\n`;
}
