import { alignColumns } from '../core/report/columns';
import { formatOcsfLines, ocsfEventsFromStored } from '../core/report/ocsf';
import type { ToolInfo } from '../core/report/sarif';
import type {
  FindingsListing,
  FindingsQuery,
  FindingsReader,
  ListedFinding,
  MalformedItem,
} from './findings-ports';

/**
 * `iam-posture findings`: stored findings by status (default open), severity and rule, as a table
 * JSON, or OCSF events carrying each finding's lifecycle. A stored item that cannot be read is listed as malformed, never skipped silently.
 */

export const FINDINGS_FORMATS = ['table', 'json', 'ocsf'] as const;
export type FindingsFormat = (typeof FINDINGS_FORMATS)[number];

export function listStoredFindings(reader: FindingsReader, query: FindingsQuery): Promise<FindingsListing> {
  return reader.listFindings(query);
}

export function formatFindingsListing(
  listing: FindingsListing,
  format: FindingsFormat,
  tool: ToolInfo,
): string {
  switch (format) {
    case 'json':
      return formatJson(listing);
    case 'ocsf':
      return formatOcsfLines(ocsfEventsFromStored(listing.findings, tool));
    case 'table':
      return formatTable(listing);
  }
}

function formatJson(listing: FindingsListing): string {
  return `${JSON.stringify({ findings: listing.findings, malformed: listing.malformed }, null, 2)}\n`;
}

const COLUMNS = ['SEVERITY', 'STATUS', 'RULE', 'RESOURCE', 'FIRST SEEN', 'LAST SEEN', 'ID'] as const;

function formatTable(listing: FindingsListing): string {
  const rows = listing.findings.map(row);
  const lines: string[] = [];
  if (rows.length === 0) {
    lines.push('No stored findings match.');
  } else {
    lines.push(...alignColumns(COLUMNS, rows));
    lines.push('', `${rows.length} finding${rows.length === 1 ? '' : 's'}`);
  }
  for (const item of listing.malformed) lines.push(malformedLine(item));
  return `${lines.join('\n')}\n`;
}

function row(finding: ListedFinding): string[] {
  return [
    finding.severity,
    finding.status,
    finding.ruleId,
    finding.subResource ? `${finding.resourceArn} (${finding.subResource})` : finding.resourceArn,
    day(finding.firstSeenAt),
    lastSeen(finding),
    finding.id,
  ];
}

/** Open and suppressed: the latest scan that saw it; resolved and remediated: when that happened. */
function lastSeen(finding: ListedFinding): string {
  if (finding.status === 'resolved') return `resolved ${day(finding.resolvedAt)}`;
  if (finding.status === 'remediated') return `remediated ${day(finding.remediatedAt)}`;
  if (finding.unverifiedInLatestScan) return 'not checked in latest scan';
  return finding.lastSeenAt ? day(finding.lastSeenAt) : '-';
}

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '-';
}

function malformedLine(item: MalformedItem): string {
  const what = item.findingId ? `finding ${item.findingId}` : `${item.key.PK} / ${item.key.SK}`;
  return `warning: stored ${what} is malformed: ${item.issues.join('; ')}`;
}
