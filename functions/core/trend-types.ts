import type { ScanRecord } from './findings-table';
import type { Measure, MeasureId } from './governance';

/** The shapes of an account's governance measures over its scans (`iam-posture trend`, the HTML report). */

export interface TrendCell extends Measure {
  /** Value minus the previous scan's, when both have a value. */
  change?: number;
}

export interface TrendScan {
  scanId: string;
  evaluatedAt: string;
  origin: ScanRecord['origin'];
  /** False for a scan stored before the measures existed: it has no values, which is not zero. */
  recorded: boolean;
  /** Why some of this scan's measures count only what was read; empty for a complete scan. */
  partial: string[];
  measures: Partial<Record<MeasureId, TrendCell>>;
}

export interface AccountTrend {
  accountId: string;
  /** Oldest first. */
  scans: TrendScan[];
  superseded: number;
  /** Scan record items that could not be read, as `PK / SK: issue`. */
  malformed: string[];
}
