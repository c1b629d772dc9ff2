import { runFileKeys } from '../core/organization-run-files';
import type { AccountOutcome, MemberAccount } from '../core/organization-scan';
import {
  type CollectionCheckpoint,
  type CollectOptions,
  collectAccountStep,
  parseCollectionCheckpoint,
} from './collect';
import { type CachedCollectDeps, lastAccessedCacheSession } from './collect-with-cache';
import type { MemberAccess, RunFiles } from './org-run-ports';
import type { RunScanDeps, RunScanOptions, RunScanResult } from './run-scan';
import { scanMemberAccount } from './scan-organization';

/**
 * One account of an organization run, one invocation at a time. An invocation assumes the member
 * role, collects until its time budget is spent, and then either saves what it read as a
 * checkpoint (the state machine calls it again with the checkpoint's key) or, once everything is
 * read, analyzes, reconciles and stores the account's findings and records its outcome. The
 * account's scan, its failures and their classification are `scanMemberAccount`'s, exactly as
 * in a scan of the organization from the CLI.
 *
 * A checkpoint that cannot be read back fails the account with a reason naming it. Starting the
 * account over instead could loop for ever on an account whose checkpoints keep failing, and would
 * hide the problem; a rescan of the account starts it over on purpose.
 */

export interface ScanStepDeps {
  files: RunFiles;
  members: MemberAccess;
  /** The shared findings table and event bus; the collection is the step's own. */
  scan: Omit<RunScanDeps, 'collect'>;
  now(): Date;
  /** Milliseconds on a monotonic clock, for the time budget. */
  clock(): number;
  /**
   * Service-last-accessed results kept between scans: loaded by the invocation that plans the
   * account's jobs, saved by the one that finishes its collection. Without it, every scan starts
   * from no data.
   */
  lastAccessed?: Pick<CachedCollectDeps, 'cache' | 'warn'>;
  /**
   * Told of the account's stored scan once it is stored (not of a paused or failed one), for what
   * follows a scan outside the run: the governance metrics and the account's
   * due review campaigns. Awaited before the outcome is recorded; a throw is reported to `warn` and
   * changes neither the outcome nor the step's result.
   */
  onScanned?(result: RunScanResult): void | Promise<void>;
  /** Where a failure of `onScanned` is reported; without it, it is dropped. */
  warn?(message: string, fields: Record<string, unknown>): void;
}

export interface ScanStepOptions {
  scan: RunScanOptions;
  collect: CollectOptions;
  /** Milliseconds of work before the step checkpoints (checked between phases). */
  budgetMs: number;
  /** Principals per service-last-accessed batch. */
  lastAccessedBatch?: number;
}

/** The Map's failure record: `Error` and `Cause` as Step Functions' Catch passes them. */
export interface StepFailure {
  Error: string;
  Cause: string;
}

export type ScanStepInput =
  | { runId: string; account: MemberAccount; continuation?: string; error?: undefined }
  | { runId: string; account: MemberAccount; error: StepFailure };

export interface ScanStepResult {
  runId: string;
  account: MemberAccount;
  done: boolean;
  /** Set when not done: the checkpoint's key, for the next invocation. */
  continuation?: string;
  /** Set when done. */
  outcome?: AccountOutcome;
}

/** An input the step cannot act on (not an account's failure: the state machine sent it wrong). */
export class ScanStepInputError extends Error {
  override readonly name = 'ScanStepInputError';
}

/** The checkpoint named by the continuation could not be resumed from. */
export class CheckpointUnreadableError extends Error {
  override readonly name = 'CheckpointUnreadableError';
  constructor(
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the checkpoint ${key} cannot be resumed from (${detail}); the account was not started over: rescan it`,
      options,
    );
  }
}

/** The member role answered for another account than the one being scanned. */
export class AccountMismatchError extends Error {
  override readonly name = 'AccountMismatchError';
}

/** Ends the scan of this invocation once its checkpoint is saved; never leaves `scanAccountStep`. */
class CollectionPaused extends Error {
  override readonly name = 'CollectionPaused';
}

export async function scanAccountStep(
  deps: ScanStepDeps,
  input: ScanStepInput,
  options: ScanStepOptions,
): Promise<ScanStepResult> {
  const { runId, account } = input;
  const keys = runFileKeys(runId);
  const checkpointKey = keys.checkpoint(account.id);
  if (input.error !== undefined) {
    return finish(deps, input, await failureOutcome(deps, input.account, input.error, options));
  }
  if (input.continuation !== undefined && input.continuation !== checkpointKey) {
    throw new ScanStepInputError(
      `continuation "${input.continuation}" is not the checkpoint of account ${account.id} in run ${runId} (${checkpointKey})`,
    );
  }
  const deadline = deps.clock() + options.budgetMs;
  let paused = false;
  const { outcome, result } = await scanMemberAccount(
    {
      now: deps.now,
      accountDeps: async (member) => {
        const session = await deps.members.open(member);
        const collect = async () => {
          const from =
            input.continuation !== undefined ? await readCheckpoint(deps.files, checkpointKey) : undefined;
          if (from && from.accountId !== account.id) {
            throw new CheckpointUnreadableError(checkpointKey, `it holds account ${from.accountId}`);
          }
          const cached = deps.lastAccessed ? lastAccessedCacheSession(deps.lastAccessed) : undefined;
          const step = await collectAccountStep(
            { source: session.source, now: deps.now },
            {
              ...options.collect,
              ...(cached
                ? {
                    serviceLastAccessed: {
                      ...options.collect.serviceLastAccessed,
                      previous: cached.previous,
                    },
                  }
                : {}),
              shouldStop: () => deps.clock() >= deadline,
              ...(options.lastAccessedBatch !== undefined
                ? { lastAccessedBatch: options.lastAccessedBatch }
                : {}),
            },
            from,
          );
          const collected = step.done ? step.result.accountId : step.checkpoint.accountId;
          if (collected !== account.id) {
            throw new AccountMismatchError(
              `the member role answered for account ${collected}, not ${account.id}; nothing was stored for it`,
            );
          }
          if (!step.done) {
            await deps.files.putJson(checkpointKey, step.checkpoint);
            paused = true;
            throw new CollectionPaused('the collection continues in the next invocation');
          }
          await cached?.save(step.result.accountId, step.result.raw.serviceLastAccessed ?? {});
          return { raw: step.result.raw, origin: 'live' as const, apiCalls: step.result.apiCalls };
        };
        return { scan: { ...deps.scan, collect }, release: () => session.release() };
      },
    },
    account,
    options.scan,
  );
  // A pause is not an outcome: what scanMemberAccount made of it is dropped.
  if (paused) return { runId, account, done: false, continuation: checkpointKey };
  if (result) await afterScan(deps, result);
  return finish(deps, input, outcome);
}

/** What follows the stored scan; it never fails the account's step, which has its outcome already. */
async function afterScan(deps: ScanStepDeps, result: RunScanResult): Promise<void> {
  try {
    await deps.onScanned?.(result);
  } catch (error) {
    deps.warn?.('what follows the account scan failed', { accountId: result.accountId, error });
  }
}

async function finish(
  deps: ScanStepDeps,
  input: ScanStepInput,
  outcome: AccountOutcome,
): Promise<ScanStepResult> {
  await deps.files.putJson(runFileKeys(input.runId).outcome(input.account.id), outcome);
  return { runId: input.runId, account: input.account, done: true, outcome };
}

async function readCheckpoint(files: RunFiles, key: string): Promise<CollectionCheckpoint> {
  let value: unknown;
  try {
    value = await files.getJson(key);
  } catch (error) {
    throw new CheckpointUnreadableError(key, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  try {
    return parseCollectionCheckpoint(value);
  } catch (error) {
    throw new CheckpointUnreadableError(key, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
}

const MAX_CAUSE_CHARS = 1000;

/**
 * The account's outcome for a failure Step Functions caught (the step's invocation threw, timed
 * out or could not run). Its classification is the scan's: the failure is handed to
 * `scanMemberAccount` as what its collection threw.
 */
async function failureOutcome(
  deps: ScanStepDeps,
  account: MemberAccount,
  failure: StepFailure,
  options: ScanStepOptions,
): Promise<AccountOutcome> {
  const error = stepError(failure);
  const { outcome } = await scanMemberAccount(
    {
      now: deps.now,
      accountDeps: async () => ({ scan: { ...deps.scan, collect: () => Promise.reject(error) } }),
    },
    account,
    options.scan,
  );
  return outcome;
}

/**
 * The error behind a caught failure. A Lambda error arrives as `Error` = its type and `Cause` =
 * JSON `{ errorType, errorMessage, trace }`; a Step Functions error (`States.Timeout`, ...) as its
 * own name and a plain-text cause.
 */
export function stepError(failure: StepFailure): Error {
  let name = failure.Error || 'Error';
  let message = failure.Cause;
  const own = name.startsWith('States.') && name !== 'States.TaskFailed';
  const parsed = parseCause(failure.Cause);
  if (parsed && !own) {
    if (parsed.errorType) name = parsed.errorType;
    if (parsed.errorMessage !== undefined) message = parsed.errorMessage;
  } else if (parsed?.errorMessage !== undefined) {
    message = parsed.errorMessage;
  }
  const error = new Error(truncate(message || `the step failed with ${name}`));
  error.name = name;
  return error;
}

function parseCause(cause: string): { errorType?: string; errorMessage?: string } | undefined {
  try {
    const value: unknown = JSON.parse(cause);
    if (typeof value !== 'object' || value === null) return undefined;
    const { errorType, errorMessage } = value as Record<string, unknown>;
    return {
      ...(typeof errorType === 'string' && errorType ? { errorType } : {}),
      ...(typeof errorMessage === 'string' ? { errorMessage } : {}),
    };
  } catch {
    return undefined;
  }
}

function truncate(text: string): string {
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS)}...` : text;
}
