import type { Actor, RemediationRequest, RequestState, StepRecord } from '../core/remediation/request';
import { attempt, eventDetail, notify, restoreTouched } from './execute-remediation';
import type {
  ApprovalNotifier,
  FindingLookup,
  RemediationEvents,
  RemediationExecutor,
  RemediationRequestStore,
} from './remediation-ports';

export interface RollbackDeps {
  requests: RemediationRequestStore;
  findings: FindingLookup;
  executor: RemediationExecutor;
  events: RemediationEvents;
  notifier?: ApprovalNotifier;
  now: () => Date;
}

export interface RollbackOptions {
  /**
   * States a rollback may start from. The CLI (an operator with IAM credentials) accepts an executed
   * request; the remediation function accepts only `rollback-requested`, recorded by an authorized
   * Undo click, so an event on the bus cannot undo a remediation by itself. A `failed` request
   * whose in-line rollback was incomplete can be rolled back from the CLI.
   */
  accept: readonly RequestState[];
}

export type RollbackOutcome =
  | { outcome: 'rolled-back'; request: RemediationRequest; warnings: string[] }
  /** Nothing was done: the request is unknown or not in state `executed`. */
  | { outcome: 'not-rolled-back'; requestId: string; reason: string }
  /** Some before-states could not be restored; the request stays `executed` and can be rolled back again. */
  | { outcome: 'failed'; request: RemediationRequest; reason: string; problems: string[] };

/**
 * Restores the recorded before-state of every executed step, newest first, verifies each, then
 * moves the request `executed -> rolled-back` and reopens the finding. Restoring is idempotent,
 * so a rollback that stopped half-way can simply be run again.
 */
export async function rollbackRemediation(
  requestId: string,
  actor: Actor,
  deps: RollbackDeps,
  options: RollbackOptions = { accept: ['executed', 'rollback-requested', 'failed'] },
): Promise<RollbackOutcome> {
  const request = await deps.requests.get(requestId);
  if (!request)
    return {
      outcome: 'not-rolled-back',
      requestId,
      reason: `No remediation request ${requestId} is recorded.`,
    };
  if (!options.accept.includes(request.state)) {
    return {
      outcome: 'not-rolled-back',
      requestId,
      reason: `Request ${requestId} is ${request.state}; only a request that is ${listStates(options.accept)} can be rolled back.`,
    };
  }
  const records: StepRecord[] = (request.steps ?? []).map((record) => ({ ...record }));
  const problems = await restoreTouched(records, deps.executor);
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
