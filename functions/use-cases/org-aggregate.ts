import * as z from 'zod';
import { mapWithConcurrency } from '../core/limit';
import { outcomeKeyAccount, runFileKeys } from '../core/organization-run-files';
import {
  type AccountOutcome,
  AccountOutcomeSchema,
  type MemberAccount,
  MemberAccountSchema,
  type OrganizationRun,
  organizationRun,
} from '../core/organization-scan';
import type { OrganizationRunStore } from './findings-ports';
import type { RunFiles } from './org-run-ports';
import type { EventsOutcome, ScanEvent, ScanEventPublisher } from './run-scan';

/**
 * The last step of an organization run: every selected account with its outcome, including the
 * accounts whose step recorded none (failed: no outcome was recorded) and those whose outcome file
 * cannot be read (failed, naming the file). Stored in the findings table, written next to the run's
 * other files, and announced with one `OrganizationScanCompleted` event.
 */

export const ORGANIZATION_EVENT_VERSION = 1;

/** Outcome files read at once. */
const READ_CONCURRENCY = 16;

/** An event's detail above this loses outcomes of complete accounts first (EventBridge takes 256 KB). */
export const MAX_RUN_DETAIL_BYTES = 200_000;

export interface AggregateDeps {
  files: RunFiles;
  store: OrganizationRunStore;
  /** Without a publisher, no event is sent. */
  events?: ScanEventPublisher;
  now(): Date;
}

export interface AggregateInput {
  runId: string;
  accountsKey: string;
  startedAt: string;
}

export interface AggregateResult {
  run: OrganizationRun;
  runKey: string;
  events?: EventsOutcome;
}

export class RunAggregationError extends Error {
  override readonly name = 'RunAggregationError';
}

export const MISSING_OUTCOME = 'no outcome was recorded';

export async function aggregateOrganizationRun(
  deps: AggregateDeps,
  input: AggregateInput,
): Promise<AggregateResult> {
  const keys = runFileKeys(input.runId);
  if (input.accountsKey !== keys.accounts) {
    throw new RunAggregationError(
      `accountsKey "${input.accountsKey}" is not the account list of run ${input.runId} (${keys.accounts})`,
    );
  }
  if (Number.isNaN(Date.parse(input.startedAt))) {
    throw new RunAggregationError(`startedAt "${input.startedAt}" is not an ISO-8601 time`);
  }
  const accounts = await readAccounts(deps.files, keys.accounts);
  const byId = new Map(accounts.map((account) => [account.id, account]));
  const outcomeKeys = (await deps.files.listKeys(keys.outcomesPrefix)).filter((key) => {
    const id = outcomeKeyAccount(keys, key);
    return id !== undefined && byId.has(id);
  });
  const finishedAt = deps.now().toISOString();
  const outcomes = await mapWithConcurrency(outcomeKeys, READ_CONCURRENCY, async (key) => {
    const account = byId.get(outcomeKeyAccount(keys, key) as string) as MemberAccount;
    return readOutcome(deps.files, key, account, input.startedAt, finishedAt);
  });
  const run = organizationRun({
    runId: input.runId,
    startedAt: input.startedAt,
    finishedAt,
    accounts,
    outcomes,
    missing: { reason: 'error', detail: MISSING_OUTCOME },
  });
  await deps.files.putJson(keys.run, run);
  await deps.store.recordOrganizationRun(run);
  const events = deps.events
    ? await deps.events.publish([organizationScanCompletedEvent(run, keys.run)])
    : undefined;
  return { run, runKey: keys.run, ...(events ? { events } : {}) };
}

async function readAccounts(files: RunFiles, key: string): Promise<MemberAccount[]> {
  const value = await files.getJson(key);
  const result = z.array(MemberAccountSchema).safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = ['$', ...(issue?.path ?? []).map(String)].join('.');
    throw new RunAggregationError(`the account list ${key} is malformed at ${path}: ${issue?.message}`);
  }
  return result.data as MemberAccount[];
}

/** The outcome in `key`; an unreadable or malformed one fails the account, naming the file. */
async function readOutcome(
  files: RunFiles,
  key: string,
  account: MemberAccount,
  startedAt: string,
  finishedAt: string,
): Promise<AccountOutcome> {
  const failed = (detail: string): AccountOutcome => ({
    accountId: account.id,
    accountName: account.name,
    ...(account.parentId ? { parentId: account.parentId } : {}),
    ...(account.ouPath ? { ouPath: account.ouPath } : {}),
    outcome: 'failed',
    reason: 'error',
    detail,
    apiCalls: 0,
    findings: 0,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt,
    finishedAt,
  });
  let value: unknown;
  try {
    value = await files.getJson(key);
  } catch (error) {
    return failed(
      `the outcome file ${key} could not be read: ${error instanceof Error ? error.message : error}`,
    );
  }
  const result = AccountOutcomeSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = ['$', ...(issue?.path ?? []).map(String)].join('.');
    return failed(`the outcome file ${key} is malformed at ${path}: ${issue?.message}`);
  }
  if (result.data.accountId !== account.id) {
    return failed(`the outcome file ${key} is about account ${result.data.accountId}, not ${account.id}`);
  }
  return result.data as AccountOutcome;
}

/**
 * `OrganizationScanCompleted`: the run's counts and every account's outcome. A run too large for
 * one event keeps the outcomes of failed and partial accounts first and says how many it left out
 * and where the whole run is.
 */
export function organizationScanCompletedEvent(run: OrganizationRun, runKey: string): ScanEvent {
  const base = {
    version: ORGANIZATION_EVENT_VERSION,
    runId: run.runId,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    counts: run.counts,
  };
  const full = { ...base, outcomes: run.outcomes };
  if (Buffer.byteLength(JSON.stringify(full)) <= MAX_RUN_DETAIL_BYTES) {
    return { detailType: 'OrganizationScanCompleted', detail: full };
  }
  const rank = (outcome: AccountOutcome) => (outcome.outcome === 'complete' ? 1 : 0);
  const ordered = [...run.outcomes].sort((a, b) => rank(a) - rank(b));
  const kept: AccountOutcome[] = [];
  let bytes = Buffer.byteLength(
    JSON.stringify({ ...base, outcomes: [], outcomesOmitted: run.outcomes.length, runKey }),
  );
  for (const outcome of ordered) {
    const size = Buffer.byteLength(JSON.stringify(outcome)) + 1;
    if (bytes + size > MAX_RUN_DETAIL_BYTES) break;
    kept.push(outcome);
    bytes += size;
  }
  return {
    detailType: 'OrganizationScanCompleted',
    detail: { ...base, outcomes: kept, outcomesOmitted: run.outcomes.length - kept.length, runKey },
  };
}
