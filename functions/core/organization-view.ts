import type { ScanRecord, StoredAccountOutcome } from './findings-table';
import type { AccountOutcomeKind, FailureReason } from './organization-scan';
import { accountDataSets } from './reconcile';
import { SEVERITIES, type Severity } from './rule';

/**
 * The organization view of the findings table, the pure part: per account, its open findings by
 * severity and what its latest scan came to. An account keeps its newest outcome whatever recorded
 * it: an organization run, or a scan of the account on its own (the CLI, single-account mode).
 */

/** The latest scan of an account as the view shows it. */
export interface LatestScan {
  outcome: AccountOutcomeKind;
  /** Set when `failed`. */
  reason?: FailureReason;
  /** The error of a failure; the sources not read of a partial scan. */
  detail?: string;
  /** When the scan finished. */
  at: string;
  /** What recorded it: an organization run, or a scan record of the account. */
  source: 'organization-run' | 'scan';
  runId?: string;
  scanId?: string;
}

export interface OrganizationViewRow {
  accountId: string;
  /** Known from an organization run; absent for an account only ever scanned on its own. */
  accountName?: string;
  parentId?: string;
  ouPath?: string[];
  openFindings: Record<Severity, number> & { total: number };
  /** Absent for an account with findings in the table but no scan record left. */
  latestScan?: LatestScan;
}

/** Which accounts the view shows: empty sets mean every account. */
export interface OrganizationViewFilter {
  accounts?: readonly string[];
  /** An account is in an OU when its parent or any ancestor is. */
  ous?: readonly string[];
}

/** Keeps an account the filter names; `outcome` gives its place in the OU tree, when known. */
export function inView(
  accountId: string,
  outcome: Pick<StoredAccountOutcome, 'parentId' | 'ouPath'> | undefined,
  filter: OrganizationViewFilter,
): boolean {
  if (filter.accounts && filter.accounts.length > 0 && !filter.accounts.includes(accountId)) return false;
  if (filter.ous && filter.ous.length > 0) {
    const place = new Set([...(outcome?.parentId ? [outcome.parentId] : []), ...(outcome?.ouPath ?? [])]);
    if (!filter.ous.some((ou) => place.has(ou))) return false;
  }
  return true;
}

/**
 * What a stored scan record came to: `complete` when every source was read, `partial` when a
 * data set was not read or a read left a coverage gap (nothing unread is reported healthy).
 */
export function scanRecordOutcome(record: ScanRecord): LatestScan {
  // iam-posture's own state (just-in-time, reviews) is read only where its feature is deployed; not
  // reading it elsewhere leaves the account fully read (a failed read is a coverage gap).
  const unread = accountDataSets(record.unread ?? []);
  const problems: string[] = [];
  if (unread.length > 0) problems.push(`not read: ${unread.join(', ')}`);
  if (record.coverageGapCount > 0) {
    problems.push(`${record.coverageGapCount} coverage gap${record.coverageGapCount === 1 ? '' : 's'}`);
  }
  if (record.outcome === 'superseded')
    problems.push('superseded: newer data of the account was already stored');
  return {
    outcome: unread.length > 0 || record.coverageGapCount > 0 ? 'partial' : 'complete',
    ...(problems.length > 0 ? { detail: problems.join('; ') } : {}),
    at: record.finishedAt,
    source: 'scan',
    scanId: record.scanId,
  };
}

/** The outcome an organization run recorded for the account. */
export function runOutcome(outcome: StoredAccountOutcome): LatestScan {
  const detail =
    outcome.detail ??
    (outcome.unreadSources && outcome.unreadSources.length > 0
      ? `not read: ${outcome.unreadSources.join(', ')}`
      : undefined);
  return {
    outcome: outcome.outcome,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(detail ? { detail } : {}),
    at: outcome.finishedAt,
    source: 'organization-run',
    runId: outcome.runId,
    ...(outcome.scanId ? { scanId: outcome.scanId } : {}),
  };
}

/**
 * The newer of the run's outcome and the account's latest scan record. The run's own scan is the
 * same scan: the run's outcome says more (a failure's reason), so it is kept.
 */
export function latestScanOf(
  outcome: StoredAccountOutcome | undefined,
  record: ScanRecord | undefined,
): LatestScan | undefined {
  if (!outcome) return record ? scanRecordOutcome(record) : undefined;
  if (!record || record.scanId === outcome.scanId || record.finishedAt <= outcome.finishedAt) {
    return runOutcome(outcome);
  }
  return scanRecordOutcome(record);
}

export function viewRow(
  accountId: string,
  outcome: StoredAccountOutcome | undefined,
  record: ScanRecord | undefined,
  counts: Record<Severity, number>,
): OrganizationViewRow {
  const latestScan = latestScanOf(outcome, record);
  return {
    accountId,
    ...(outcome?.accountName ? { accountName: outcome.accountName } : {}),
    ...(outcome?.parentId ? { parentId: outcome.parentId } : {}),
    ...(outcome?.ouPath ? { ouPath: outcome.ouPath } : {}),
    openFindings: { ...counts, total: SEVERITIES.reduce((sum, s) => sum + counts[s], 0) },
    ...(latestScan ? { latestScan } : {}),
  };
}
