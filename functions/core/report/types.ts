import type { ScanSummary } from '../engine';
import type { Finding } from '../finding';
import type { CoverageGap } from '../model';
import type { Severity } from '../rule';

/** API calls a live collection made, by operation (`iam:GetAccountAuthorizationDetails`). */
export interface ApiCallSummary {
  total: number;
  byOperation: Record<string, number>;
}

export interface AnalysisSummary extends ScanSummary {
  /** Present when the data was collected live. */
  apiCalls?: ApiCallSummary;
  /** Set when the report lists only findings at or above this severity; the counts cover all. */
  minSeverity?: Severity;
}

/** One thing the scan could not read, as reported to users. */
export type CoverageEntry = Omit<CoverageGap, 'kind'>;

/** The output contract of a scan: `{ findings, summary, coverage }`. */
export interface AnalysisReport {
  /** Ordered by risk (most severe first). */
  findings: Finding[];
  summary: AnalysisSummary;
  coverage: CoverageEntry[];
}

export const REPORT_FORMATS = ['table', 'json', 'csv', 'asff'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
