import type { AccountState, ItemKey, ScanRecord } from '../core/findings-table';
import type { FindingChange, FindingStatus, StoredFinding } from '../core/lifecycle';
import type { OrganizationRun } from '../core/organization-scan';
import type { Severity } from '../core/rule';

/** What the scan and listing use cases need from the findings store. */

/** Requests and capacity a store used, for measurement. */
export interface StoreStats {
  /** API requests that write (TransactWriteItems, PutItem, ...), cancelled ones included. */
  writeRequests: number;
  /** Items written by them (findings, scan records, the account state). */
  itemWrites: number;
  /** Write capacity units DynamoDB reported (ReturnConsumedCapacity); emulators may report none. */
  consumedWcu: number;
  /** Write units by DynamoDB's sizing rules: 1 per KB, 2 per KB in a transaction, plus index writes. */
  estimatedWcu: number;
  readRequests: number;
  consumedRcu: number;
}

/** A stored item that failed validation: reported, never overwritten blindly. */
export interface MalformedItem {
  key: ItemKey;
  findingId?: string;
  issues: string[];
}

export interface LoadedAccount {
  /** Undefined when no scan of the account was stored yet. */
  state?: AccountState;
  findings: StoredFinding[];
  malformed: MalformedItem[];
}

export interface CommitInput {
  accountId: string;
  /** The state read before reconciling; undefined for an account never scanned into the table. */
  expected?: AccountState;
  /** The time the scan's data describes. */
  asOf: Date;
  now: Date;
  changes: readonly FindingChange[];
  /** Written with the last transaction, and the account state then points at it. */
  scanRecord: ScanRecord;
}

export interface CommitResult {
  /** `conflict`: another writer changed the account since `expected` was read; nothing more was written. */
  outcome: 'committed' | 'conflict';
  /** Changes written (all of them when committed; those of the transactions before a conflict otherwise). */
  applied: FindingChange[];
}

export interface FindingsQuery {
  /** Default: every account scanned into the table. */
  accountId?: string;
  /** Default `open`. */
  status?: FindingStatus;
  severity?: Severity;
  ruleId?: string;
}

/** A stored finding as listed, with when a scan last saw it (derived from the account's latest scan). */
export interface ListedFinding extends StoredFinding {
  /** The latest scan of the account, when that scan saw the finding fail. */
  lastSeenScanId?: string;
  lastSeenAt?: string;
  /** True when the latest scan could not check the finding (coverage gap). */
  unverifiedInLatestScan?: boolean;
}

export interface FindingsListing {
  findings: ListedFinding[];
  malformed: MalformedItem[];
}

/** What a scan needs from the findings store. */
export interface ScanStore {
  /** The account state, then every finding of the account, as of one consistent point. */
  loadAccount(accountId: string): Promise<LoadedAccount>;
  /** Writes the changes and the scan record, conditional on `expected` still being current. */
  commitScan(input: CommitInput): Promise<CommitResult>;
  /** Stores a scan record that changes no finding. */
  recordScan(record: ScanRecord): Promise<void>;
  stats(): StoreStats;
}

/** Organization runs in the findings table: the run record with every account's outcome. */
export interface OrganizationRunStore {
  recordOrganizationRun(run: OrganizationRun): Promise<void>;
  /** The newest run record, or none before the first organization run. */
  latestOrganizationRun(): Promise<OrganizationRun | undefined>;
}

/** What listing stored findings needs from the findings store. */
export interface FindingsReader {
  listFindings(query: FindingsQuery): Promise<FindingsListing>;
}
