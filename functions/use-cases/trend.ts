import { type AccountTrend, accountTrend } from '../core/governance-trend';
import type { ScanHistoryReader } from './trend-ports';

/**
 * `iam-posture trend`: the governance measures of each account over its last scans. Every
 * account named (or every account in the table) gets a trend, one with no scans included, so an
 * account that stopped being scanned is visible rather than missing.
 */

export interface TrendOptions {
  /** Default: every account scanned into the table. */
  accounts: readonly string[];
  /** Scans per account. */
  last: number;
}

export async function governanceTrend(
  reader: ScanHistoryReader,
  options: TrendOptions,
): Promise<AccountTrend[]> {
  const accounts =
    options.accounts.length > 0 ? [...new Set(options.accounts)] : [...(await reader.listAccounts())].sort();
  const trends: AccountTrend[] = [];
  for (const accountId of accounts) {
    const history = await reader.scanHistory(accountId, options.last);
    trends.push(
      accountTrend(accountId, history.records, {
        superseded: history.superseded,
        malformed: history.malformed.map(
          (item) => `${item.key.PK} / ${item.key.SK} is malformed: ${item.issues.slice(0, 3).join('; ')}`,
        ),
      }),
    );
  }
  return trends;
}
