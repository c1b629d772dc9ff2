import type { Finding } from '../core/finding';
import { type PlanContext, type RemediationPlan, sameSteps } from '../core/remediation/plan';
import {
  type Actor,
  isExpired,
  type RemediationRequest,
  type RequestState,
  type StepRecord,
} from '../core/remediation/request';
import { EligibilityStepExecutor, type EligibilityStore } from './eligibility-steps';
import type {
  AccountAccess,
  ApprovalNotifier,
  FindingLookup,
  LiveStateReader,
  RemediationAccounts,
  RemediationEvents,
  RemediationExecutor,
  RemediationRequestStore,
} from './remediation-ports';
import { buildRemediationRequest, planFromLiveState } from './remediation-request';

export interface RemediationDeps {
  requests: RemediationRequestStore;
  findings: FindingLookup;
  /** The account of the credentials in use; used as is when `accounts` is absent. */
  reader: LiveStateReader;
  executor: RemediationExecutor;
  /**
   * When set, each request acts through the access it gives for the request's account (the
   * function's own account, or a member account's remediation role), or is refused with its reason.
   */
  accounts?: RemediationAccounts;
  events: RemediationEvents;
  /** Updates the Slack message; absent when Slack is not configured. */
  notifier?: ApprovalNotifier;
  /** Settings, protected principals and elevation profiles for planning; `now` comes from the clock. */
  planning: Omit<PlanContext, 'now' | 'action'>;
  /**
   * Where a conversion to just-in-time records the eligibility (the findings table); without it a
   * conversion fails before changing anything.
   */
  eligibility?: EligibilityStore;
  now: () => Date;
}

/**
 * What one execution attempt came to. `warnings` lists follow-up work that failed after the
 * outcome was recorded (marking the finding, the event, the Slack update).
 */
export type ExecutionOutcome =
  | { outcome: 'executed'; request: RemediationRequest; warnings: string[] }
  | { outcome: 'refused'; request: RemediationRequest; reason: string; warnings: string[] }
  | {
      outcome: 'failed';
      request: RemediationRequest;
      reason: string;
      /** True when AWS is left as it was (nothing changed, or every change was rolled back). */
      unchanged: boolean;
      warnings: string[];
    }
  | { outcome: 'expired'; request: RemediationRequest; warnings: string[] }
  /** Not in state `approved`: a duplicate delivery or a request someone else is acting on. Nothing was done. */
  | { outcome: 'skipped'; requestId: string; state: RequestState; reason: string };

/** The request id of an approval event names no stored request. */
export class RemediationRequestNotFoundError extends Error {
  override readonly name = 'RemediationRequestNotFoundError';
  constructor(readonly requestId: string) {
    super(`No remediation request ${requestId} is recorded.`);
  }
}

/**
 * Executes an approved request, at most once whatever the number of deliveries: `approved ->
 * executing` is one conditional write, and only its winner goes on. Then it re-reads the live
 * resource and plans again (a refusal if the rule now passes, the resource changed or the plan is
 * not the one approved), records every step's before-state before acting, acts, verifies, and
 * records the outcome. A step that fails rolls back the steps already done.
 */
export async function executeRemediation(
  requestId: string,
  deps: RemediationDeps,
): Promise<ExecutionOutcome> {
  const stored = await deps.requests.get(requestId);
  if (!stored) throw new RemediationRequestNotFoundError(requestId);
  if (stored.state !== 'approved') {
    return {
      outcome: 'skipped',
      requestId,
      state: stored.state,
      reason: `The request is ${stored.state}, not approved.`,
    };
  }
  const startedAt = deps.now();
  if (isExpired(stored, startedAt)) {
    const expired = await deps.requests.transition(requestId, 'approved', 'expired', {
      outcomeReason: `The approval expired at ${stored.expiresAt} before it was executed.`,
    });
    if (!expired) return skippedAfterRace(requestId, deps);
    return { outcome: 'expired', request: expired, warnings: await notify(expired, deps) };
  }
  // The start is recorded so that the sweeper can tell an execution that stopped without an outcome.
  const request = await deps.requests.transition(requestId, 'approved', 'executing', {
    executionStartedAt: startedAt.toISOString(),
  });
  if (!request) return skippedAfterRace(requestId, deps);
  return new Execution(request, deps).run();
}

async function skippedAfterRace(requestId: string, deps: RemediationDeps): Promise<ExecutionOutcome> {
  const now = await deps.requests.get(requestId);
  const state = now?.state ?? 'approved';
  return {
    outcome: 'skipped',
    requestId,
    state,
    reason: `Another delivery moved the request to ${state} first.`,
  };
}

/** One execution of a request that this invocation moved to `executing`. */
class Execution {
  private readonly records: StepRecord[];
  /** The reader, executor and planning context of the request's account, once resolved. */
  private reader: LiveStateReader;
  private executor: RemediationExecutor;
  private planning: RemediationDeps['planning'];

  constructor(
    private readonly request: RemediationRequest,
    private readonly deps: RemediationDeps,
  ) {
    this.records = request.plan.steps.map((step) => ({ step, status: 'pending' }));
    this.reader = deps.reader;
    this.executor = this.withEligibility(deps.executor);
    this.planning = deps.planning;
  }

  /** Eligibility steps go to the eligibility store, the others to the account's IAM executor. */
  private withEligibility(executor: RemediationExecutor): RemediationExecutor {
    return new EligibilityStepExecutor(executor, this.deps.eligibility, {
      requestId: this.request.requestId,
      grantedBy: this.request.approvedBy ?? this.request.requestedBy,
      now: this.deps.now,
    });
  }

  /** The planning context for this request: the action approved, so that is what is planned again. */
  private planContext(finding: Finding): PlanContext {
    const action = this.request.actions.includes('convert-to-jit')
      ? 'convert-to-jit'
      : finding.remediation.action;
    return { ...this.planning, now: this.deps.now(), ...(action ? { action } : {}) };
  }

  async run(): Promise<ExecutionOutcome> {
    let access: AccountAccess | undefined;
    try {
      if (this.deps.accounts) {
        access = await this.deps.accounts.access(this.request.accountId, this.request.requestId);
        if (access.outcome === 'refused') return await this.refuse(access.reason);
        this.useAccount(access);
      }
      return await this.plannedAndApplied();
    } catch (error) {
      // Anything unexpected (a store write, a read) still ends recorded, with what was done undone.
      const undo = await this.rollBackDone();
      return this.fail(`Execution stopped: ${message(error)}.${undo.summary}`, undo.complete);
    } finally {
      if (access?.outcome === 'ready') access.close();
    }
  }

  private useAccount(access: Extract<AccountAccess, { outcome: 'ready' }>): void {
    this.reader = access.reader;
    this.executor = this.withEligibility(access.executor);
    const protection = this.deps.planning.protection;
    this.planning = {
      ...this.deps.planning,
      protection: { ...protection, ownArns: [...protection.ownArns, ...access.ownArns] },
    };
  }

  private async plannedAndApplied(): Promise<ExecutionOutcome> {
    const { deps, request } = this;
    const finding = await deps.findings.getFinding(request.findingId);
    if (!finding) return this.refuse(`Finding ${request.findingId} is no longer recorded.`);
    if (finding.suppression) {
      return this.refuse(`Finding ${finding.id} is suppressed (${finding.suppression.reason}).`);
    }
    if (finding.accountId !== request.accountId) {
      return this.refuse(
        `Finding ${finding.id} is recorded in account ${finding.accountId}, the request names account ${request.accountId}.`,
      );
    }

    let plan: RemediationPlan;
    try {
      plan = await planFromLiveState(finding, this.reader, this.planContext(finding));
    } catch (error) {
      return this.fail(`The live state could not be read: ${message(error)}. Nothing was changed.`, true);
    }
    if (plan.outcome === 'refused') return this.refuse(plan.reason);
    if (!sameSteps(plan.steps, request.plan.steps)) {
      return this.refuse(
        `The plan changed since it was approved (now: ${plan.summary}); request a new approval.`,
      );
    }

    for (const record of this.records) {
      try {
        record.before = await this.executor.captureBefore(record.step);
      } catch (error) {
        return this.fail(
          `The before-state of ${describeStep(record)} could not be recorded: ${message(error)}. Nothing was changed.`,
          true,
        );
      }
    }
    // The before-state is stored before anything changes, so rollback is possible whatever happens next.
    await deps.requests.saveSteps(request.requestId, this.records);

    for (const [index, record] of this.records.entries()) {
      record.status = 'applying';
      await deps.requests.saveSteps(request.requestId, this.records);
      try {
        await this.executor.apply(record.step);
        const problem = await this.executor.verify(record.step, record.before!);
        if (problem) throw new StepVerificationError(problem);
      } catch (error) {
        record.status = 'failed';
        record.error = message(error);
        const undo = await this.rollBackDone();
        return this.fail(
          `Step ${index + 1} of ${this.records.length} (${describeStep(record)}) failed: ${record.error}.${undo.summary}`,
          undo.complete,
        );
      }
      record.status = 'done';
      await deps.requests.saveSteps(request.requestId, this.records);
    }
    return this.succeed(finding);
  }

  private async succeed(finding: Finding): Promise<ExecutionOutcome> {
    const { deps, request } = this;
    const executedAt = deps.now();
    const executed = await deps.requests.transition(request.requestId, 'executing', 'executed', {
      steps: this.records,
      executedAt: executedAt.toISOString(),
    });
    if (!executed) throw new Error(`request ${request.requestId} left the executing state while it ran`);
    const warnings: string[] = [];
    const stillFailing = await this.ruleStillFails(finding);
    if (stillFailing) {
      // The change is made and recorded (and can be rolled back), but it did not fix the finding.
      warnings.push(`the finding stays open: ${stillFailing}`);
    } else {
      await attempt(warnings, 'marking the finding remediated', () =>
        deps.findings.markRemediated(finding.id, request.requestId, executedAt),
      );
    }
    await attempt(warnings, 'publishing RemediationExecuted', () =>
      deps.events.publish('RemediationExecuted', eventDetail(executed)),
    );
    warnings.push(...(await notify(executed, deps)));
    return { outcome: 'executed', request: executed, warnings };
  }

  /**
   * Re-reads the resource and re-runs the rule after the change: a finding counts as remediated only
   * when its rule no longer fails on the live state. Returns why it still fails, or undefined.
   */
  private async ruleStillFails(finding: Finding): Promise<string | undefined> {
    let plan: RemediationPlan;
    try {
      plan = await planFromLiveState(finding, this.reader, this.planContext(finding));
    } catch (error) {
      return `the live state could not be re-read to confirm the fix (${message(error)})`;
    }
    if (plan.outcome === 'refused' && (plan.gate === 'rule-passes' || plan.gate === 'not-found'))
      return undefined;
    return plan.outcome === 'plan'
      ? `rule ${finding.ruleId} still fails on the live state (a further change would be: ${plan.summary})`
      : `rule ${finding.ruleId} could not be confirmed to pass (${plan.reason})`;
  }

  private async refuse(reason: string): Promise<ExecutionOutcome> {
    const refused = await this.deps.requests.transition(this.request.requestId, 'executing', 'refused', {
      outcomeReason: reason,
    });
    if (!refused) throw new Error(`request ${this.request.requestId} left the executing state while it ran`);
    return { outcome: 'refused', request: refused, reason, warnings: await notify(refused, this.deps) };
  }

  private async fail(reason: string, unchanged: boolean): Promise<ExecutionOutcome> {
    const changes: Partial<RemediationRequest> = { outcomeReason: reason };
    if (this.records.some((r) => r.before)) changes.steps = this.records;
    const failed = await this.deps.requests.transition(
      this.request.requestId,
      'executing',
      'failed',
      changes,
    );
    const request = failed ?? { ...this.request, ...changes, state: 'failed' as const };
    const warnings = failed
      ? await notify(failed, this.deps)
      : ['the failure could not be recorded: the request left the executing state'];
    return { outcome: 'failed', request, reason, unchanged, warnings };
  }

  /** Restores, newest first, every step that was applied or may have been partly applied. */
  private async rollBackDone(): Promise<{ complete: boolean; summary: string }> {
    const touched = this.records.filter(isTouched).length;
    if (touched === 0) return { complete: true, summary: ' Nothing had been changed.' };
    const problems = await restoreTouched(this.records, this.executor);
    return problems.length === 0
      ? { complete: true, summary: ` Rolled back ${touched} step${touched === 1 ? '' : 's'}.` }
      : { complete: false, summary: ` Rollback incomplete: ${problems.join('; ')}.` };
  }
}

/**
 * Restores, newest first, the before-state of every touched step and verifies it. Restored records
 * become `rolled-back`; the others keep their status and say why in `error`. Returns the problems,
 * one per step not restored. Restoring is idempotent, so it can simply be run again.
 */
export async function restoreTouched(
  records: StepRecord[],
  executor: RemediationExecutor,
): Promise<string[]> {
  const problems: string[] = [];
  for (const record of records.filter(isTouched).reverse()) {
    const problem = await restoreOne(record, executor);
    if (problem === undefined) {
      record.status = 'rolled-back';
      continue;
    }
    record.error = record.error
      ? `${record.error}; rollback failed: ${problem}`
      : `rollback failed: ${problem}`;
    problems.push(`${describeStep(record)}: ${problem}`);
  }
  return problems;
}

async function restoreOne(record: StepRecord, executor: RemediationExecutor): Promise<string | undefined> {
  if (record.step.action === 'rotate-secret' && record.status !== 'done') {
    // A rotation that did not finish may still be running: moving its staging labels now could
    // leave the protected service and the secret out of step. Leave it to a person.
    return 'the rotation may still be in progress; its staging labels were left as they are';
  }
  if (!record.before) return 'no before-state was recorded';
  try {
    await executor.restore(record.before);
    return await executor.verifyRestored(record.before);
  } catch (error) {
    return message(error);
  }
}

/** A step that changed, or may have changed, AWS: done, failed part-way, or stopped while applying. */
export function isTouched(record: StepRecord): boolean {
  return record.status === 'done' || record.status === 'failed' || record.status === 'applying';
}

/** A step ran but the re-read state is not what it should be. */
export class StepVerificationError extends Error {
  override readonly name = 'StepVerificationError';
}

export interface CreateRemediationOptions {
  /** Print the plan and change nothing. */
  dryRun: boolean;
  /** The person running the command: requester and approver of a CLI request. */
  actor: Actor;
  ttlHours?: number;
}

export type CreateRemediationOutcome =
  | { outcome: 'dry-run'; plan: RemediationPlan }
  | { outcome: 'refused'; plan: Extract<RemediationPlan, { outcome: 'refused' }> }
  | { outcome: 'executed'; plan: RemediationPlan; execution: ExecutionOutcome };

/**
 * The command-line path: plans against live state; unless it is a dry run, records the request
 * exactly as the Slack path does, approved by the person running the command, and executes it.
 */
export async function createRemediationRequest(
  finding: Finding,
  deps: RemediationDeps,
  options: CreateRemediationOptions,
): Promise<CreateRemediationOutcome> {
  const plan = await planFromLiveState(finding, deps.reader, { ...deps.planning, now: deps.now() });
  if (options.dryRun) return { outcome: 'dry-run', plan };
  if (plan.outcome === 'refused') return { outcome: 'refused', plan };
  const now = deps.now();
  const request = buildRemediationRequest({
    finding,
    plan,
    requestedBy: options.actor,
    now,
    ...(options.ttlHours === undefined ? {} : { ttlHours: options.ttlHours }),
  });
  await deps.requests.create(request);
  const approved = await deps.requests.transition(request.requestId, 'pending', 'approved', {
    approvedBy: options.actor,
    approvedAt: now.toISOString(),
    decidedAt: now.toISOString(),
  });
  if (!approved) throw new Error(`request ${request.requestId} could not be approved`);
  return { outcome: 'executed', plan, execution: await executeRemediation(request.requestId, deps) };
}

/**
 * The detail of the Remediation* events: identifiers and outcome, never policy documents. Every
 * actor comes from the stored request, never from the event that started the work.
 */
export function eventDetail(request: RemediationRequest): Record<string, unknown> {
  return {
    version: 1,
    requestId: request.requestId,
    findingId: request.findingId,
    accountId: request.accountId,
    ruleId: request.ruleId,
    resourceArn: request.resourceArn,
    ...(request.subResource === undefined ? {} : { subResource: request.subResource }),
    actions: request.actions,
    state: request.state,
    ...(request.approvedBy ? { approvedBy: request.approvedBy } : {}),
    ...(request.executedAt ? { executedAt: request.executedAt } : {}),
    ...(request.rollbackRequestedBy ? { rollbackRequestedBy: request.rollbackRequestedBy } : {}),
    ...(request.rolledBackAt ? { rolledBackAt: request.rolledBackAt } : {}),
    ...(request.rolledBackBy ? { rolledBackBy: request.rolledBackBy } : {}),
  };
}

/** Updates the Slack message of a request that has one; a failure is a warning, not an error. */
export async function notify(
  request: RemediationRequest,
  deps: Pick<RemediationDeps, 'notifier'>,
): Promise<string[]> {
  const warnings: string[] = [];
  const notifier = deps.notifier;
  if (notifier && request.slack) {
    await attempt(warnings, 'updating the Slack message', () => notifier.updateRequest(request));
  }
  return warnings;
}

export async function attempt(warnings: string[], what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    warnings.push(`${what} failed: ${message(error)}`);
  }
}

export function describeStep(record: Pick<StepRecord, 'step'>): string {
  const step = record.step;
  switch (step.action) {
    case 'deactivate-access-key':
      return `deactivate access key ${step.accessKeyId} of user ${step.userName}`;
    case 'detach-managed-policy':
      return `detach ${step.policyArn} from ${step.principalType} ${step.principalName}`;
    case 'delete-inline-policy':
      return `delete inline policy ${step.policyName} of ${step.principalType} ${step.principalName}`;
    case 'quarantine-role':
      return `attach ${step.policyName} to role ${step.roleName}`;
    case 'rotate-secret':
      return `rotate secret ${step.secretId}`;
    case 'make-eligible':
      return `make ${step.principalArn} eligible for just-in-time profile ${step.profile}`;
  }
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\.+$/, '');
}
