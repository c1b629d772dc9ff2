import type { AnalysisReport } from '../core/report/types';
import {
  ARCHIVED_FORMATS,
  type ArchivableReportFormat,
  archivedReportBody,
  DEFAULT_ARCHIVED_REPORT_FORMATS,
  type ReportLocation,
  reportArchiveKey,
  reportFileName,
} from '../core/report-archive';
import type { ReportArchive } from './report-archive-ports';

export interface ArchiveReportInput {
  accountId: string;
  scanId: string;
  startedAt: Date;
  report: AnalysisReport;
}

/**
 * Writes the scan's report to the archive, one object per format, in the order given. Never
 * throws: the findings are stored by then, and a format that could not be written costs a warning
 * naming it (in the scan result and the function's log), not the other formats nor the scan. The
 * next scan writes its own reports.
 */
export async function archiveReport(
  archive: ReportArchive,
  input: ArchiveReportInput,
  warnings: string[],
  formats: readonly ArchivableReportFormat[] = DEFAULT_ARCHIVED_REPORT_FORMATS,
): Promise<ReportLocation[]> {
  const locations: ReportLocation[] = [];
  for (const name of formats) {
    const format = ARCHIVED_FORMATS[name];
    try {
      locations.push(
        await archive.put({
          key: reportArchiveKey(input, format),
          body: archivedReportBody(input.report, format),
          contentType: format.contentType,
          fileName: reportFileName(input, format),
        }),
      );
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      warnings.push(`the ${name} report of scan ${input.scanId} was not archived: ${reason}`);
    }
  }
  return locations;
}
