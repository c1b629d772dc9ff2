import { z } from 'zod';

/**
 * Organization-wide scanning, the pure part: which member accounts a run scans, the role it
 * assumes in each, and the outcome every account gets. One account's failure is an outcome of
 * that account, never the run's: the run always finishes for the accounts that work.
 */

const ACCOUNT_ID = /^\d{12}$/;
const OU_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;

/** A member account as Organizations lists it, with where it sits in the OU tree. */
export interface MemberAccount {
  id: string;
  name: string;
  /** The account's parent (an OU id, or the root id `r-...`). */
  parentId?: string;
  /** Ids from the root down to the parent, both included; include/exclude by OU match any of them. */
  ouPath?: string[];
}

export const MemberAccountSchema = z.object({
  id: z.string().regex(ACCOUNT_ID, 'an account id is 12 digits'),
  name: z.string(),
  parentId: z.string().optional(),
  ouPath: z.array(z.string()).optional(),
});

/** Which accounts a run scans. Empty includes mean every account; excludes win over includes. */
export interface AccountSelection {
  includeAccounts?: readonly string[];
  excludeAccounts?: readonly string[];
  includeOus?: readonly string[];
  excludeOus?: readonly string[];
}

export const AccountSelectionSchema = z.object({
  includeAccounts: z.array(z.string().regex(ACCOUNT_ID, 'an account id is 12 digits')).optional(),
  excludeAccounts: z.array(z.string().regex(ACCOUNT_ID, 'an account id is 12 digits')).optional(),
  includeOus: z
    .array(z.string().regex(OU_ID, 'an OU id looks like ou-ab12-cd34ef56 (or a root r-ab12)'))
    .optional(),
  excludeOus: z
    .array(z.string().regex(OU_ID, 'an OU id looks like ou-ab12-cd34ef56 (or a root r-ab12)'))
    .optional(),
});

function inOus(account: MemberAccount, ous: ReadonlySet<string>): boolean {
  if (account.parentId && ous.has(account.parentId)) return true;
  return (account.ouPath ?? []).some((ou) => ous.has(ou));
}

/**
 * The accounts a selection keeps, in the order given. An account is kept when it is named by
 * `includeAccounts` or sits (directly or below) in an `includeOus` OU, or when both are empty;
 * then dropped when named by `excludeAccounts` or under an `excludeOus` OU.
 */
export function selectAccounts(
  accounts: readonly MemberAccount[],
  selection: AccountSelection,
): MemberAccount[] {
  const includeAccounts = new Set(selection.includeAccounts ?? []);
  const includeOus = new Set(selection.includeOus ?? []);
  const excludeAccounts = new Set(selection.excludeAccounts ?? []);
  const excludeOus = new Set(selection.excludeOus ?? []);
  const includeAll = includeAccounts.size === 0 && includeOus.size === 0;
  return accounts.filter((account) => {
    const included = includeAll || includeAccounts.has(account.id) || inOus(account, includeOus);
    return included && !excludeAccounts.has(account.id) && !inOus(account, excludeOus);
  });
}

/** The ARN of the role a run assumes in a member account. */
export function memberRoleArn(accountId: string, roleName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

const SESSION_NAME_MAX = 64;

/**
 * The STS session name of a run in an account: `iam-posture-<run id>`, cut to STS's 64
 * characters and to its character set, so CloudTrail in the member account names the run.
 */
export function memberSessionName(runId: string): string {
  return `iam-posture-${runId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, SESSION_NAME_MAX);
}

/** `complete`: every source read. `partial`: scanned, some sources not read. `failed`: not scanned. */
export const ACCOUNT_OUTCOMES = ['complete', 'partial', 'failed'] as const;
export type AccountOutcomeKind = (typeof ACCOUNT_OUTCOMES)[number];

/** Why an account was not scanned. */
export const FAILURE_REASONS = [
  /** The member role could not be assumed (missing, or its trust policy does not name us). */
  'assume-denied',
  /** A service control policy denied the reads. */
  'scp-denied',
  /** AWS kept throttling after every retry. */
  'throttled',
  /** The account's scan did not finish in its time budget. */
  'timed-out',
  /** The account is suspended or closed. */
  'suspended',
  /** Anything else; `detail` says what. */
  'error',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** What happened to one account in one run. */
export interface AccountOutcome {
  accountId: string;
  accountName: string;
  parentId?: string;
  /** The account's OU path (root first), for the organization view's OU filter. */
  ouPath?: string[];
  outcome: AccountOutcomeKind;
  /** Set when `failed`. */
  reason?: FailureReason;
  /** One sentence: the error of a failure, the sources not read of a partial scan. */
  detail?: string;
  /** Set when `partial`: the sources (API operations or export files) not fully read. */
  unreadSources?: string[];
  scanId?: string;
  apiCalls: number;
  findings: number;
  opened: number;
  resolved: number;
  /** Findings kept as they were because their input was not read. */
  held: number;
  startedAt: string;
  finishedAt: string;
}

export const AccountOutcomeSchema = z.object({
  accountId: z.string().regex(ACCOUNT_ID),
  accountName: z.string(),
  parentId: z.string().optional(),
  ouPath: z.array(z.string()).optional(),
  outcome: z.enum(ACCOUNT_OUTCOMES),
  reason: z.enum(FAILURE_REASONS).optional(),
  detail: z.string().optional(),
  unreadSources: z.array(z.string()).optional(),
  scanId: z.string().optional(),
  apiCalls: z.number().int().min(0),
  findings: z.number().int().min(0),
  opened: z.number().int().min(0),
  resolved: z.number().int().min(0),
  held: z.number().int().min(0),
  startedAt: z.string(),
  finishedAt: z.string(),
});

/** An error as far as classifying it needs: its name (the AWS error code) and message. */
export interface ErrorLike {
  name?: string;
  message?: string;
  /** The step that failed: assuming the role, or scanning with it. */
  stage: 'assume' | 'scan';
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);
const TIMED_OUT = new Set(['TimeoutError', 'States.Timeout', 'Sandbox.Timedout', 'AbortError']);

/**
 * The reason of a failed account, from the error's name (the AWS error code), never from a
 * substring of a message except where AWS puts the only signal there: an explicit deny by a
 * service control policy is an `AccessDenied` whose message says so.
 */
export function classifyFailure(error: ErrorLike): FailureReason {
  const name = error.name ?? '';
  if (THROTTLING.has(name)) return 'throttled';
  if (TIMED_OUT.has(name)) return 'timed-out';
  if (
    name === 'AccountSuspendedException' ||
    name === 'AccountNotFoundException' ||
    name === 'RegionDisabledException'
  ) {
    return name === 'RegionDisabledException' ? 'error' : 'suspended';
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'UnauthorizedOperation') {
    if (/service control policy/i.test(error.message ?? '')) return 'scp-denied';
    return error.stage === 'assume' ? 'assume-denied' : 'error';
  }
  if (error.stage === 'assume' && (name === 'InvalidClientTokenId' || name === 'ExpiredToken')) {
    return 'assume-denied';
  }
  return 'error';
}

/** Counts of a run's outcomes. */
export interface OutcomeCounts {
  total: number;
  complete: number;
  partial: number;
  failed: number;
}

export function countOutcomes(outcomes: readonly AccountOutcome[]): OutcomeCounts {
  const counts: OutcomeCounts = { total: outcomes.length, complete: 0, partial: 0, failed: 0 };
  for (const outcome of outcomes) counts[outcome.outcome]++;
  return counts;
}

/** The fields of an outcome that name the account and its place in the organization. */
export function accountFields(
  account: MemberAccount,
): Pick<AccountOutcome, 'accountId' | 'accountName' | 'parentId' | 'ouPath'> {
  return {
    accountId: account.id,
    accountName: account.name,
    ...(account.parentId ? { parentId: account.parentId } : {}),
    ...(account.ouPath ? { ouPath: account.ouPath } : {}),
  };
}

/** A failed account: nothing was read, called or stored for it beyond what `detail` says. */
export function failedAccountOutcome(
  account: MemberAccount,
  failure: { reason: FailureReason; detail: string; startedAt: string; finishedAt: string },
): AccountOutcome {
  return {
    ...accountFields(account),
    outcome: 'failed',
    reason: failure.reason,
    detail: failure.detail,
    apiCalls: 0,
    findings: 0,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt: failure.startedAt,
    finishedAt: failure.finishedAt,
  };
}

/** The record of one organization run, as stored and as published in `OrganizationScanCompleted`. */
export interface OrganizationRun {
  runId: string;
  startedAt: string;
  finishedAt: string;
  counts: OutcomeCounts;
  /** Every selected account, each with an outcome; accounts without one are `failed`. */
  outcomes: AccountOutcome[];
}

/**
 * The run record: every selected account gets an outcome; one that none was recorded for (its
 * child failed before it could record one) is `failed` with the reason given.
 */
export function organizationRun(input: {
  runId: string;
  startedAt: string;
  finishedAt: string;
  accounts: readonly MemberAccount[];
  outcomes: readonly AccountOutcome[];
  missing?: { reason: FailureReason; detail: string };
}): OrganizationRun {
  const byAccount = new Map(input.outcomes.map((outcome) => [outcome.accountId, outcome]));
  const outcomes = input.accounts.map(
    (account): AccountOutcome =>
      byAccount.get(account.id) ??
      failedAccountOutcome(account, {
        reason: input.missing?.reason ?? 'error',
        detail: input.missing?.detail ?? 'no outcome was recorded for this account',
        startedAt: input.startedAt,
        finishedAt: input.finishedAt,
      }),
  );
  return {
    runId: input.runId,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    counts: countOutcomes(outcomes),
    outcomes,
  };
}
