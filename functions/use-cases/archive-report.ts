import type { AnalysisReport } from '../core/report/types';
import {
  ARCHIVED_REPORT_FORMAT,
  archivedReportBody,
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
 * Writes the scan's report to the archive. Never throws: the findings are stored by then, and a
 * report that could not be written costs a warning (in the scan result and the function's log),
 * not the scan. The next scan writes its own report.
 */
export async function archiveReport(
  archive: ReportArchive,
  input: ArchiveReportInput,
  warnings: string[],
): Promise<ReportLocation | undefined> {
  try {
    return await archive.put({
      key: reportArchiveKey(input),
      body: archivedReportBody(input.report),
      contentType: ARCHIVED_REPORT_FORMAT.contentType,
      fileName: reportFileName(input),
    });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    warnings.push(`the report of scan ${input.scanId} was not archived: ${reason}`);
    return undefined;
  }
}
