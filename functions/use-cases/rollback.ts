import type { Actor, RemediationRequest, RequestState, StepRecord } from '../core/remediation/request';
import { EligibilityStepExecutor, type EligibilityStore } from './eligibility-steps';
import { attempt, eventDetail, notify, restoreTouched } from './execute-remediation';
import type {
  ApprovalNotifier,
  FindingLookup,
  RemediationAccounts,
  RemediationEvents,
  RemediationExecutor,
  RemediationRequestStore,
} from './remediation-ports';

export interface RollbackDeps {
  requests: RemediationRequestStore;
  findings: FindingLookup;
  /** Acts in the account of the credentials in use; used as is when `accounts` is absent. */
  executor: RemediationExecutor;
  /** When set, the before-state is restored through the access it gives for the request's account. */
  accounts?: RemediationAccounts;
  events: RemediationEvents;
  notifier?: ApprovalNotifier;
  /** Where a conversion to just-in-time recorded its eligibility: rollback deletes it there. */
  eligibility?: EligibilityStore;
  now: () => Date;
}

export type RollbackOutcome =
  | { outcome: 'rolled-back'; request: RemediationRequest; warnings: string[] }
  /** Nothing was done: the request is unknown, in a state that cannot be rolled back, or names no requester. */
  | { outcome: 'not-rolled-back'; requestId: string; reason: string }
  /** Some before-states could not be restored; the request stays `executed` and can be rolled back again. */
  | { outcome: 'failed'; request: RemediationRequest; reason: string; problems: string[] };

/**
 * States the command line rolls back from: an operator acting with their own IAM credentials.
 * `attention` is an execution that stopped without an outcome: its steps recorded as `applying` may
 * or may not have changed AWS, and restoring their before-state is right either way (a restore of
 * a change that never happened leaves the target as it is, and is verified by re-reading it).
 */
const OPERATOR_STATES: readonly RequestState[] = ['executed', 'rollback-requested', 'failed', 'attention'];

/**
 * The command line's rollback, run by `actor` with their own IAM credentials: restores the recorded
 * before-state of every executed step, newest first, verifies each, then moves the request to
 * `rolled-back` and reopens the finding. Restoring is idempotent, so a rollback that stopped
 * half-way can simply be run again. A `failed` request whose in-line rollback was incomplete can be
 * rolled back too.
 */
export function rollbackRemediation(
  requestId: string,
  actor: Actor,
  deps: RollbackDeps,
): Promise<RollbackOutcome> {
  return rollback(requestId, deps, OPERATOR_STATES, () => actor);
}

/**
 * The remediation function's rollback, started by a `RollbackRequested` event: only a request that
 * an authorized Undo click moved to `rollback-requested`, recorded as rolled back by the person whose
 * click was checked then (`rollbackRequestedBy`). Whoever the event names is not trusted: anyone who
 * can put an event on the bus could name anyone.
 */
export function rollbackRequestedRemediation(
  requestId: string,
  deps: RollbackDeps,
): Promise<RollbackOutcome> {
  return rollback(requestId, deps, ['rollback-requested'], (request) => request.rollbackRequestedBy);
}

async function rollback(
  requestId: string,
  deps: RollbackDeps,
  accept: readonly RequestState[],
  actorOf: (request: RemediationRequest) => Actor | undefined,
): Promise<RollbackOutcome> {
  const request = await deps.requests.get(requestId);
  if (!request)
    return {
      outcome: 'not-rolled-back',
      requestId,
      reason: `No remediation request ${requestId} is recorded.`,
    };
  if (!accept.includes(request.state)) {
    return {
      outcome: 'not-rolled-back',
      requestId,
      reason: `Request ${requestId} is ${request.state}; only a request that is ${listStates(accept)} can be rolled back.`,
    };
  }
  const actor = actorOf(request);
  if (!actor) {
    return {
      outcome: 'not-rolled-back',
      requestId,
      reason: `Request ${requestId} records nobody who asked for its rollback; nothing was changed.`,
    };
  }
  const records: StepRecord[] = (request.steps ?? []).map((record) => ({ ...record }));
  let problems: string[];
  if (deps.accounts) {
    const access = await deps.accounts.access(request.accountId, requestId);
    if (access.outcome === 'refused') {
      // The request stays where it is: once the account can be reached, the rollback runs again.
      return {
        outcome: 'failed',
        request,
        reason: `The rollback of request ${requestId} did not start; it runs again once the account can be reached.`,
        problems: [access.reason],
      };
    }
    try {
      problems = await restoreTouched(
        records,
        new EligibilityStepExecutor(access.executor, deps.eligibility),
      );
    } finally {
      access.close();
    }
  } else {
    problems = await restoreTouched(records, new EligibilityStepExecutor(deps.executor, deps.eligibility));
  }
  if (problems.length > 0) {
    return {
      outcome: 'failed',
      request,
      reason: `The rollback of request ${requestId} is incomplete; run it again once the cause is fixed.`,
      problems,
    };
  }

  const at = deps.now();
  const rolledBack = await deps.requests.transition(requestId, request.state, 'rolled-back', {
    steps: records,
    rolledBackAt: at.toISOString(),
    rolledBackBy: actor,
  });
  if (!rolledBack) {
    return {
      outcome: 'not-rolled-back',
      requestId,
      reason: `Request ${requestId} was rolled back by someone else first.`,
    };
  }
  const warnings: string[] = [];
  await attempt(warnings, 'reopening the finding', () =>
    deps.findings.markReopened(request.findingId, requestId, at),
  );
  await attempt(warnings, 'publishing RemediationRolledBack', () =>
    deps.events.publish('RemediationRolledBack', eventDetail(rolledBack)),
  );
  warnings.push(...(await notify(rolledBack, deps)));
  return { outcome: 'rolled-back', request: rolledBack, warnings };
}

/** `executed`, `executed or failed`, `executed, rollback-requested or failed`. */
function listStates(states: readonly RequestState[]): string {
  if (states.length <= 1) return states.join('');
  return `${states.slice(0, -1).join(', ')} or ${states.at(-1)}`;
}
