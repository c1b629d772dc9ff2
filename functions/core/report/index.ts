import { type Severity, severityRank } from '../rule';
import { AsffMappingError, type AsffReportOptions, formatAsff } from './asff';
import { formatCsv } from './csv';
import { formatJson } from './json';
import { formatTable, type TableOptions } from './table';
import type { AnalysisReport, ReportFormat } from './types';

export * from './asff';
export * from './catalog';
export { CSV_COLUMNS, csvField, formatCsv } from './csv';
export { formatJson, type JsonFinding, toJsonFinding } from './json';
export { coverageLine, formatTable, shortResource, summaryLine, type TableOptions } from './table';
export * from './types';

export function formatReport(
  report: AnalysisReport,
  format: ReportFormat,
  table: TableOptions & { asff?: AsffReportOptions },
): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'csv':
      return formatCsv(report);
    case 'table':
      return formatTable(report, table);
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
