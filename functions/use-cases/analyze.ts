import { evaluateInventory } from '../core/engine';
import type { AccountOuPaths } from '../core/environments';
import type { CoverageGap, Inventory } from '../core/model';
import { normalize } from '../core/normalize';
import { createPrivilegeAnalyzer } from '../core/privilege';
import type { RawAccountData } from '../core/raw';
import { computePosture } from '../core/report/posture';
import type { AnalysisReport, ApiCallSummary, CoverageEntry } from '../core/report/types';
import type { PrivilegeAnalyzer, PrivilegeSummary } from '../core/rule';
import { RULES } from '../core/rules';
import type { ScanSettings } from '../core/settings';

export type { AnalysisReport, AnalysisSummary, ApiCallSummary, CoverageEntry } from '../core/report/types';

export interface AnalyzeOptions {
  settings: ScanSettings;
  /** Evaluate as of this instant (`--as-of`). */
  asOf?: Date;
  /** The current time, used when neither `asOf` nor the data's collection time is known. */
  now: Date;
  /** Requests a live collection sent, by operation: summarised in the report. */
  apiCalls?: Record<string, number>;
  /** OU paths of known accounts (organization mode), for environments mapped by OU. */
  accountOuPaths?: AccountOuPaths;
  /**
   * Whether to compute `posture` (the HTML report's charts; default true). It analyses the
   * privilege of every identity, not only those with findings, so output that never shows it
   * skips it.
   */
  posture?: boolean;
}

/**
 * Raw AWS documents -> findings, summary and coverage gaps. Pure: the caller reads the input
 * (export directory or live collection) and writes the output.
 */
export function analyzeAccount(raw: RawAccountData, options: AnalyzeOptions): AnalysisReport {
  return analyzeInventory(normalize(raw), options);
}

/** As `analyzeAccount`, for an inventory that is already normalized. */
export function analyzeInventory(inventory: Inventory, options: AnalyzeOptions): AnalysisReport {
  const now = evaluationTime(inventory, options);
  // The rules and the posture ask about the same principals: each is analysed once.
  const privilege = memoized(createPrivilegeAnalyzer(inventory));
  const { findings, summary } = evaluateInventory(inventory, {
    rules: RULES,
    settings: options.settings,
    now,
    privilege,
    ...(options.accountOuPaths ? { accountOuPaths: options.accountOuPaths } : {}),
  });
  return {
    findings,
    summary: options.apiCalls ? { ...summary, apiCalls: apiCallSummary(options.apiCalls) } : summary,
    coverage: inventory.coverageGaps.map(coverageEntry),
    ...(options.posture === false
      ? {}
      : { posture: computePosture(inventory, { now, thresholds: options.settings.thresholds, privilege }) }),
  };
}

/** One analysis per principal ARN, failures included (they are thrown again, not retried). */
function memoized(analyzer: PrivilegeAnalyzer): PrivilegeAnalyzer {
  const cache = new Map<string, PrivilegeSummary | { error: unknown }>();
  return (principal) => {
    let cached = cache.get(principal.arn);
    if (cached === undefined) {
      try {
        cached = analyzer(principal);
      } catch (error) {
        cached = { error };
      }
      cache.set(principal.arn, cached);
    }
    if ('error' in cached) throw cached.error;
    return cached;
  };
}

/** Requests by operation, with their total. */
export function apiCallSummary(byOperation: Record<string, number>): ApiCallSummary {
  return {
    total: Object.values(byOperation).reduce((sum, count) => sum + count, 0),
    byOperation: { ...byOperation },
  };
}

/** `asOf`, else when the data was collected, else now. */
export function evaluationTime(inventory: Pick<Inventory, 'collectedAt'>, options: AnalyzeOptions): Date {
  return options.asOf ?? inventory.collectedAt ?? options.now;
}

function coverageEntry(gap: CoverageGap): CoverageEntry {
  const { kind: _kind, ...entry } = gap;
  return entry;
}
