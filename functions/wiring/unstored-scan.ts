import { randomBytes } from 'node:crypto';
import type {
  CommitInput,
  CommitResult,
  LoadedAccount,
  ScanStore,
  StoreStats,
} from '../use-cases/findings-ports';
import type { CollectedInput, RunScanDeps } from '../use-cases/run-scan';

/**
 * The scan use case without a findings table: an organization scan reports every account through
 * the same per-account use case whether or not it stores them. Free of the AWS SDK, so a scan of
 * an organization export starts without loading it.
 */

/** Scan dependencies that keep nothing: the scan use case then only analyses and reports. */
export function unstoredScanDeps(collect: () => Promise<CollectedInput>): RunScanDeps {
  return {
    collect,
    store: new UnstoredScans(),
    now: () => new Date(),
    randomSuffix: () => randomBytes(4).toString('hex'),
  };
}

/** A store with nothing in it that keeps nothing: every scan starts from an empty account. */
class UnstoredScans implements ScanStore {
  async loadAccount(): Promise<LoadedAccount> {
    return { findings: [], malformed: [] };
  }
  async commitScan(input: CommitInput): Promise<CommitResult> {
    return { outcome: 'committed', applied: [...input.changes] };
  }
  async recordScan(): Promise<void> {}
  stats(): StoreStats {
    return {
      writeRequests: 0,
      itemWrites: 0,
      consumedWcu: 0,
      estimatedWcu: 0,
      readRequests: 0,
      consumedRcu: 0,
    };
  }
}
