import type { ScanSummary } from '../engine';
import type { Finding } from '../finding';
import type { CoverageGap } from '../model';
import type { Severity } from '../rule';
import type { AccountTrend } from '../trend-types';
import type { ReportPosture } from './posture';

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
  /**
   * Every credential's age and every identity's privilege and staleness, for the HTML report's
   * charts. Set by the analysis; not part of the JSON, CSV or table output.
   */
  posture?: ReportPosture;
  /**
   * The account's governance measures over its last stored scans (this one included), for the
   * HTML report's "Over time" charts. Set where the findings store is at hand (the scan function,
   * `scan --table`); not part of the JSON, CSV or table output.
   */
  trend?: AccountTrend[];
}

export const REPORT_FORMATS = ['table', 'json', 'csv', 'html', 'sarif', 'ocsf', 'asff'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
