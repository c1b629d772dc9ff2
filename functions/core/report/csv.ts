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

const CELLS: Record<Column, (f: Finding) => string> = {
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
  riskScore: (f) => String(f.riskScore),
  suppressed: (f) => (f.suppression ? 'true' : 'false'),
  suppressionReason: (f) => f.suppression?.reason ?? '',
  suppressionOwner: (f) => f.suppression?.owner ?? '',
  suppressionExpires: (f) => f.suppression?.expires ?? '',
  owner: (f) => f.owner?.id ?? '',
};

/** RFC 4180: a header row, one row per finding, CRLF line ends, quoting where a field needs it. */
export function formatCsv(report: AnalysisReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const finding of report.findings) {
    lines.push(CSV_COLUMNS.map((column) => csvField(CELLS[column](finding))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Quotes a field that holds a comma, a double quote, CR or LF; inner quotes are doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
