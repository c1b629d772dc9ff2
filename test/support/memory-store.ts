import type { AccountState, ScanRecord } from '../../functions/core/findings-table';
import type { StoredFinding } from '../../functions/core/lifecycle';
import type { OrganizationRun } from '../../functions/core/organization-scan';
import type {
  CommitInput,
  CommitResult,
  LoadedAccount,
  OrganizationRunStore,
  ScanStore,
  StoreStats,
} from '../../functions/use-cases/findings-ports';

/**
 * A findings store in memory that commits only when the account state is still the one the scan
 * read, as the DynamoDB store does.
 */
export class MemoryStore implements ScanStore, OrganizationRunStore {
  state: AccountState | undefined;
  readonly findings = new Map<string, StoredFinding>();
  readonly records: ScanRecord[] = [];
  commits = 0;
  /** Organization runs as recorded, oldest first. */
  readonly organizationRuns: OrganizationRun[] = [];
  /** Called before each commit: a concurrent writer can change the store here. */
  beforeCommit: (() => void) | undefined;

  async loadAccount(): Promise<LoadedAccount> {
    return {
      ...(this.state ? { state: structuredClone(this.state) } : {}),
      findings: [...this.findings.values()].map((f) => structuredClone(f)),
      malformed: [],
    };
  }

  async commitScan(input: CommitInput): Promise<CommitResult> {
    this.commits++;
    this.beforeCommit?.();
    if ((this.state?.sequence ?? -1) !== (input.expected?.sequence ?? -1)) {
      return { outcome: 'conflict', applied: [] };
    }
    for (const change of input.changes) this.findings.set(change.after.id, structuredClone(change.after));
    this.records.push(input.scanRecord);
    this.state = {
      accountId: input.accountId,
      sequence: (this.state?.sequence ?? 0) + (input.changes.length > 0 ? 1 : 0),
      observedAt: input.asOf.toISOString(),
      latestScanId: input.scanRecord.scanId,
      updatedAt: input.now.toISOString(),
    };
    return { outcome: 'committed', applied: [...input.changes] };
  }

  async recordScan(record: ScanRecord): Promise<void> {
    this.records.push(record);
  }

  async recordOrganizationRun(run: OrganizationRun): Promise<void> {
    this.organizationRuns.push(structuredClone(run));
  }

  /** The run that started last, as the DynamoDB store's latest-run pointer keeps it. */
  async latestOrganizationRun(): Promise<OrganizationRun | undefined> {
    const latest = [...this.organizationRuns].sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1);
    return latest ? structuredClone(latest) : undefined;
  }

  stats(): StoreStats {
    return {
      writeRequests: this.commits,
      itemWrites: 0,
      consumedWcu: 0,
      estimatedWcu: 0,
      readRequests: 0,
      consumedRcu: 0,
    };
  }
}
