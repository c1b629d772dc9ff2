import { type Severity, severityRank } from '../rule';
import { AsffMappingError, type AsffReportOptions, formatAsff } from './asff';
import { formatCsv } from './csv';
import { formatHtml } from './html';
import { formatJson } from './json';
import { formatOcsf } from './ocsf';
import { formatSarif, type ToolInfo } from './sarif';
import { formatTable, type TableOptions } from './table';
import type { AnalysisReport, ReportFormat } from './types';
import { PACKAGE_TOOL } from './version';

export { type CsvValue, csvField, csvRow } from '../csv';
export * from './asff';
export * from './catalog';
export { CSV_COLUMNS, formatCsv } from './csv';
export { formatHtml, formatOrganizationHtml, HTML_ROW_COLUMNS, type HtmlOrganizationRun } from './html';
export { formatJson, type JsonFinding, toJsonFinding } from './json';
export * from './ocsf';
export * from './posture';
export * from './sarif';
export { coverageLine, formatTable, shortResource, summaryLine, type TableOptions } from './table';
export * from './types';
export * from './version';

export function formatReport(
  report: AnalysisReport,
  format: ReportFormat,
  table: TableOptions & { asff?: AsffReportOptions },
  tool: ToolInfo = PACKAGE_TOOL,
): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'csv':
      return formatCsv(report);
    case 'table':
      return formatTable(report, table);
    case 'html':
      return formatHtml(report);
    case 'sarif':
      return formatSarif(report, tool);
    case 'ocsf':
      return formatOcsf(report, tool);
    case 'asff':
      if (!table.asff) throw new AsffMappingError('ASFF output needs the Security Hub region to import into');
      return formatAsff(report, table.asff);
  }
}

/** The report listing only findings at `min` or above; the summary keeps the counts of all. */
export function withMinSeverity(report: AnalysisReport, min: Severity): AnalysisReport {
  const limit = severityRank(min);
  return {
    ...report,
    findings: report.findings.filter((f) => severityRank(f.severity) <= limit),
    summary: { ...report.summary, minSeverity: min },
  };
}

/** Unsuppressed findings at `threshold` or above: what `--fail-on` counts. */
export function countAtOrAbove(report: AnalysisReport, threshold: Severity): number {
  const limit = severityRank(threshold);
  return report.findings.filter((f) => !f.suppression && severityRank(f.severity) <= limit).length;
}
