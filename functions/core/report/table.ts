import { arnResource } from '../arn';
import { describeGapResources } from '../coverage-gaps';
import type { Finding } from '../finding';
import { SEVERITIES, type Severity } from '../rule';
import type { AnalysisReport, ApiCallSummary, CoverageEntry } from './types';

export interface TableOptions {
  /** ANSI colours; the CLI asks for them only on a terminal and not under NO_COLOR. */
  color: boolean;
  /** Terminal width: long reasons wrap under their column. Without it, lines are not wrapped. */
  width?: number;
}

const RESET = '\u001b[0m';
const STYLES = {
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  brightRed: '\u001b[1;91m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  green: '\u001b[32m',
} as const;
type Style = keyof typeof STYLES;

const SEVERITY_STYLE: Record<Severity, Style> = {
  critical: 'brightRed',
  high: 'red',
  medium: 'yellow',
  low: 'cyan',
  informational: 'dim',
};

/** Narrower than this, reasons go under their finding instead of in a column. */
const MIN_REASON_WIDTH = 50;
/** Longer resource names do not widen the column; their reason starts on the next line. */
const MAX_RESOURCE_WIDTH = 52;
const INDENT = '  ';
const GAP = '  ';

/**
 * A terminal report: findings grouped by severity in the engine's risk order, suppressed findings
 * apart, coverage gaps, and a summary line.
 */
export function formatTable(report: AnalysisReport, options: TableOptions): string {
  const paint = painter(options.color);
  const { summary } = report;
  const out: string[] = [];
  out.push(
    paint('bold', `Account ${summary.accountId}`) +
      paint('dim', ` · evaluated as of ${summary.evaluatedAt} · ${resourceCounts(summary.resources)}`),
  );

  const active = report.findings.filter((f) => !f.suppression);
  const suppressed = report.findings.filter((f) => f.suppression);
  const columns = columnWidths(report.findings);

  if (active.length === 0) {
    out.push('', paint('green', 'No findings.'));
  }
  for (const severity of SEVERITIES) {
    const group = active.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push('', paint(SEVERITY_STYLE[severity], `${severity.toUpperCase()} (${group.length})`));
    for (const finding of group)
      out.push(...findingLines(finding, columns, options, attestationNotes(finding)));
  }

  if (suppressed.length > 0) {
    out.push('', paint('dim', `SUPPRESSED (${suppressed.length})`));
    for (const finding of suppressed) {
      const s = finding.suppression!;
      const note = `exempt until ${s.expires} (${s.owner}): ${s.reason}`;
      out.push(
        ...findingLines(finding, columns, options, [note, ...attestationNotes(finding)]).map((line) =>
          paint('dim', line),
        ),
      );
    }
  }

  if (report.coverage.length > 0) {
    out.push(
      '',
      paint('yellow', `COVERAGE GAPS (${report.coverage.length}): the scan could not read everything`),
    );
    for (const gap of report.coverage) {
      coverageLines(gap).forEach((text, paragraph) => {
        const lines = options.width ? wrap(text, Math.max(MIN_REASON_WIDTH, options.width - 4)) : [text];
        out.push(...lines.map((line, i) => (paragraph === 0 && i === 0 ? INDENT : INDENT.repeat(2)) + line));
      });
    }
  }

  if (summary.apiCalls) out.push('', ...apiCallLines(summary.apiCalls, paint));

  out.push('', summaryLine(report, paint));
  return `${out.join('\n')}\n`;
}

/** A live scan's API calls by operation, most frequent first. */
function apiCallLines(calls: ApiCallSummary, paint: Painter): string[] {
  const rows = Object.entries(calls.byOperation).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const width = Math.max(0, ...rows.map(([operation]) => operation.length));
  return [
    paint('dim', `API CALLS (${calls.total})`),
    ...rows.map(
      ([operation, count]) => `${INDENT}${operation.padEnd(width)}${GAP}${String(count).padStart(6)}`,
    ),
  ];
}

/** `12 findings: 1 critical, 3 high, ... · 2 suppressed · 1 coverage gap`. */
export function summaryLine(report: AnalysisReport, paint: Painter = painter(false)): string {
  const { summary } = report;
  const parts = SEVERITIES.filter((s) => summary.bySeverity[s] > 0).map((s) =>
    paint(SEVERITY_STYLE[s], `${summary.bySeverity[s]} ${s}`),
  );
  let line = `${plural(summary.total, 'finding')}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
  if (summary.suppressed > 0) line += ` · ${summary.suppressed} suppressed`;
  if (summary.errors > 0) line += ` · ${plural(summary.errors, 'rule error')}`;
  line += ` · ${plural(summary.coverageGaps, 'coverage gap')}`;
  if (summary.minSeverity) {
    const shown = report.findings.filter((f) => !f.suppression).length;
    line += ` · showing ${shown} at ${summary.minSeverity} or above`;
  }
  return line;
}

/** `source: reason`, the one-line description of a coverage gap; `source (pattern), N times: ...` for a grouped one. */
export function coverageLine(gap: CoverageEntry): string {
  const times = gap.count === undefined ? '' : `, ${gap.count} times`;
  return `${gap.source}${gap.detail ? ` (${gap.detail})` : ''}${times}: ${gap.reason}`;
}

/** A gap's line, then where a grouped gap was first seen, then the resources it touches. */
function coverageLines(gap: CoverageEntry): string[] {
  const lines = [coverageLine(gap)];
  if (gap.count !== undefined && gap.places && gap.places.length > 0) {
    lines.push(`first at ${gap.places.join(', ')}`);
  }
  lines.push(`touches ${describeGapResources(gap)}`);
  return lines;
}

/**
 * The readable part of an ARN: `role/ci/deployer` for IAM, `secret:prod/db-AbCdEf` for Secrets
 * Manager, `root` for the account root.
 */
export function shortResource(arn: string): string {
  return arnResource(arn) ?? arn;
}

interface Columns {
  rule: number;
  resource: number;
}

function columnWidths(findings: readonly Finding[]): Columns {
  let rule = 0;
  let resource = 0;
  for (const f of findings) {
    rule = Math.max(rule, f.ruleId.length);
    resource = Math.max(resource, resourceLabel(f).length);
  }
  return { rule, resource: Math.min(resource, MAX_RESOURCE_WIDTH) };
}

function resourceLabel(f: Finding): string {
  const name = shortResource(f.resourceArn);
  if (f.resourceType === 'coverage-gap') return name;
  return f.subResource ? `${name} [${f.subResource}]` : name;
}

/** The finding's head (rule and resource) and its reason, plus any notes, as a column or below. */
/** An owner's keep answer in force: shown under the reason, since it suppresses nothing. */
function attestationNotes(finding: Finding): string[] {
  const a = finding.attestation;
  if (!a) return [];
  const why = a.justification ? `: ${a.justification}` : '';
  return [`kept by ${a.by} in review ${a.campaignId} until ${a.until.slice(0, 10)}${why}`];
}

function findingLines(
  finding: Finding,
  columns: Columns,
  options: TableOptions,
  notes: string[] = [],
): string[] {
  const label = resourceLabel(finding);
  const head = `${INDENT}${finding.ruleId.padEnd(columns.rule)}${GAP}${label}`;
  const reasonColumn = INDENT.length + columns.rule + GAP.length + columns.resource + GAP.length;
  const reason = finding.result === 'error' ? `[rule error] ${finding.reason}` : finding.reason;
  const paragraphs = [reason, ...notes];
  const available = options.width === undefined ? Number.POSITIVE_INFINITY : options.width - reasonColumn;
  if (available < MIN_REASON_WIDTH) {
    // Too narrow for a reason column: the reason goes on its own lines under the finding.
    const indent = INDENT.repeat(3);
    const width = Math.max(MIN_REASON_WIDTH, (options.width ?? 0) - indent.length);
    return [head, ...paragraphs.flatMap((text) => wrap(text, width)).map((line) => indent + line)];
  }
  const lines = Number.isFinite(available) ? paragraphs.flatMap((text) => wrap(text, available)) : paragraphs;
  const pad = ' '.repeat(reasonColumn);
  if (label.length > columns.resource) return [head, ...lines.map((line) => pad + line)];
  const [first, ...rest] = lines;
  return [head.padEnd(reasonColumn) + first, ...rest.map((line) => pad + line)];
}

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

function resourceCounts(resources: Record<string, number>): string {
  const names: Record<string, [string, string]> = {
    role: ['role', 'roles'],
    user: ['user', 'users'],
    group: ['group', 'groups'],
    'access-key': ['access key', 'access keys'],
    secret: ['secret', 'secrets'],
    'server-certificate': ['certificate', 'certificates'],
  };
  // Read only where just-in-time elevation is deployed: listed when there are some.
  if (resources['jit-eligibility']) names['jit-eligibility'] = ['JIT eligibility', 'JIT eligibilities'];
  if (resources['break-glass-grant'])
    names['break-glass-grant'] = ['break-glass elevation', 'break-glass elevations'];
  if (resources['review-standing']) names['review-standing'] = ['review standing', 'review standings'];
  return Object.entries(names)
    .map(([kind, [one, many]]) => `${resources[kind] ?? 0} ${(resources[kind] ?? 0) === 1 ? one : many}`)
    .join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export type Painter = (style: Style, text: string) => string;

function painter(color: boolean): Painter {
  return color ? (style, text) => `${STYLES[style]}${text}${RESET}` : (_style, text) => text;
}
