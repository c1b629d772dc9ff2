/**
 * Service-last-accessed results kept between scans. A job per principal is the one per-entity
 * cost of a scan that grows with the account (IAM runs them one by one, each polled to
 * completion), so a scan generates at most a budget of them and reuses the rest: each scan
 * refreshes the principals without data first, then the stalest, and an account of thousands of
 * roles converges over a few daily scans instead of never finishing one.
 */

/** Principal ARN -> `get-service-last-accessed-details` output, as the export directory holds it. */
export type ServiceLastAccessedByPrincipal = Record<string, unknown>;

export interface LastAccessedSaveResult {
  /** Principals whose stored result was written: new ones and those whose result changed. */
  written: number;
  /** Principals whose stored result was already the same: nothing written for them. */
  unchanged: number;
}

/** The cache, one entry per principal, per account. */
export interface LastAccessedCache {
  /**
   * Every usable cached result of the account. An entry that cannot be read is left out (and
   * reported by the adapter), so its principal is simply generated again.
   */
  load(accountId: string): Promise<ServiceLastAccessedByPrincipal>;
  /** Stores the account's results; writes only the principals whose result changed. */
  save(accountId: string, data: ServiceLastAccessedByPrincipal): Promise<LastAccessedSaveResult>;
}
