import type { ScanRecord } from '../core/findings-table';
import type { MalformedItem } from './findings-ports';

/** What `iam-posture trend` needs from the findings store: the accounts and their scan records. */

export interface ScanHistory {
  /** The newest completed scan records, newest first. */
  records: ScanRecord[];
  /** Scan record items that could not be read; the others still are. */
  malformed: MalformedItem[];
  /** Superseded scans passed over on the way (they describe data older than what was stored). */
  superseded: number;
}

export interface ScanHistoryReader {
  /** Accounts scanned into the table. */
  listAccounts(): Promise<string[]>;
  /** The newest `count` completed scans of an account. */
  scanHistory(accountId: string, count: number): Promise<ScanHistory>;
}
