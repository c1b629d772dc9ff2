import { mapWithConcurrency } from '../core/limit';
import {
  type AccountOutcome,
  accountFields,
  classifyFailure,
  failedAccountOutcome,
  type MemberAccount,
  type OrganizationRun,
  organizationRun,
} from '../core/organization-scan';
import { accountDataSets } from '../core/reconcile';
import { type RunScanDeps, type RunScanOptions, type RunScanResult, runScan } from './run-scan';

/**
 * The same per-account scan in every account of an organization: assume the member role, scan
 * with it, record the account's outcome. A failure in one account (the role cannot be assumed,
 * the reads are denied, the scan throws) is that account's outcome; the run goes on with the
 * others and always returns an outcome for every account it was given.
 */

/** Raised while getting an account's dependencies: the member role could not be assumed. */
export class MemberAccessError extends Error {
  override readonly name = 'MemberAccessError';
  constructor(
    message: string,
    readonly accountId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OrganizationScanDeps {
  /**
   * The scan dependencies of one member account (its collection runs with the member role's
   * credentials). Throws `MemberAccessError` when the role cannot be assumed.
   */
  accountDeps(account: MemberAccount): Promise<AccountScanDeps>;
  now(): Date;
}

export interface AccountScanDeps {
  scan: RunScanDeps;
  /** Closes the account's clients once its scan is done. */
  release?(): void;
}

export interface OrganizationScanOptions extends RunScanOptions {
  runId: string;
  /** Accounts scanned at once. Default 4. */
  concurrency?: number;
  onAccountStart?(account: MemberAccount): void;
  onAccountDone?(outcome: AccountOutcome, result?: RunScanResult): void;
}

export interface OrganizationScanResult {
  run: OrganizationRun;
  /** The scan result of every account that was scanned, by account id. */
  results: Map<string, RunScanResult>;
}

export async function scanOrganization(
  deps: OrganizationScanDeps,
  accounts: readonly MemberAccount[],
  options: OrganizationScanOptions,
): Promise<OrganizationScanResult> {
  const startedAt = deps.now().toISOString();
  const results = new Map<string, RunScanResult>();
  // Every account of the run is known with its OU path: environments mapped by OU apply to the
  // accounts a role trusts as well as to the account scanned.
  const accountOuPaths = new Map(options.accountOuPaths);
  for (const account of accounts) if (account.ouPath) accountOuPaths.set(account.id, account.ouPath);
  const outcomes = await mapWithConcurrency(accounts, options.concurrency ?? 4, async (account) => {
    options.onAccountStart?.(account);
    const { outcome, result } = await scanMemberAccount(deps, account, { ...options, accountOuPaths });
    if (result) results.set(account.id, result);
    options.onAccountDone?.(outcome, result);
    return outcome;
  });
  return {
    run: organizationRun({
      runId: options.runId,
      startedAt,
      finishedAt: deps.now().toISOString(),
      accounts,
      outcomes,
    }),
    results,
  };
}

/** One account of an organization run: never throws; every failure is the account's outcome. */
export async function scanMemberAccount(
  deps: OrganizationScanDeps,
  account: MemberAccount,
  options: RunScanOptions,
): Promise<{ outcome: AccountOutcome; result?: RunScanResult }> {
  const startedAt = deps.now();
  let accountDeps: AccountScanDeps;
  try {
    accountDeps = await deps.accountDeps(account);
  } catch (error) {
    return { outcome: failedOutcome(account, startedAt, deps.now(), error, 'assume') };
  }
  try {
    const accountOuPaths = new Map(options.accountOuPaths);
    if (account.ouPath) accountOuPaths.set(account.id, account.ouPath);
    const result = await runScan(accountDeps.scan, { ...options, accountOuPaths });
    if (result.accountId !== account.id) {
      return {
        outcome: failedOutcome(
          account,
          startedAt,
          deps.now(),
          new Error(
            `the member role answered for account ${result.accountId}, not ${account.id}; nothing was stored for it`,
          ),
          'scan',
        ),
      };
    }
    return { outcome: accountOutcome(account, result), result };
  } catch (error) {
    return { outcome: failedOutcome(account, startedAt, deps.now(), error, 'scan') };
  } finally {
    accountDeps.release?.();
  }
}

/** The outcome of a scan that ran: complete, or partial naming the sources it did not fully read. */
export function accountOutcome(account: MemberAccount, result: RunScanResult): AccountOutcome {
  const { record } = result;
  const unreadSources = [
    ...new Set([
      // iam-posture's own state (just-in-time, reviews) exists only where its feature is deployed:
      // a member account's scan that does not read it has still read the account (a failed read is
      // a coverage gap below).
      ...accountDataSets(record.unread ?? []),
      ...record.coverageGaps.filter((gap) => gap.category !== 'Deferred').map((gap) => gap.source),
    ]),
  ].sort();
  return {
    ...accountFields(account),
    outcome: unreadSources.length > 0 ? 'partial' : 'complete',
    ...(unreadSources.length > 0
      ? { unreadSources, detail: `not fully read: ${unreadSources.join(', ')}` }
      : {}),
    scanId: result.scanId,
    apiCalls: record.apiCalls.total,
    findings: record.findings.total,
    opened: record.changes.opened + record.changes.reopened + record.changes.unsuppressed,
    resolved: record.changes.resolved,
    held: record.held,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  };
}

/** A failed account, its reason classified from the error (the AWS error behind a `MemberAccessError`). */
export function failedOutcome(
  account: MemberAccount,
  startedAt: Date,
  finishedAt: Date,
  error: unknown,
  stage: 'assume' | 'scan',
): AccountOutcome {
  const cause = error instanceof MemberAccessError && error.cause !== undefined ? error.cause : error;
  const e = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    name?: unknown;
    message?: unknown;
  };
  const name = typeof e.name === 'string' ? e.name : undefined;
  const message = typeof e.message === 'string' ? e.message : String(cause);
  const what = error instanceof MemberAccessError ? error.message : message;
  return failedAccountOutcome(account, {
    reason: classifyFailure({ ...(name ? { name } : {}), message, stage }),
    detail: name && !what.startsWith(name) ? `${name}: ${what}` : what,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  });
}
