import { describeError } from '../core/describe-error';
import {
  isExpired,
  isStuckExecuting,
  type RemediationRequest,
  type RequestState,
} from '../core/remediation/request';
import type { ApprovalNotifier, RemediationRequestStore } from './remediation-ports';

/**
 * The scheduled sweep of remediation requests that nobody will move on their own:
 *
 * - `pending` or `approved` requests past their expiry are moved to `expired` (releasing their
 *   finding's lock) and their Slack message loses its buttons. Without the sweep, an unanswered
 *   request would hold its finding's lock until somebody clicked on it.
 * - `executing` requests older than the remediation function can run have lost the function that
 *   was executing them (killed, timed out, its outcome write failed). They are moved to
 *   `attention` with their step records as stored: steps left `applying` may or may not have
 *   changed AWS, so an operator rolls them back with `iam-posture rollback <id>`, which restores
 *   the before-state of every such step. The Slack message says so.
 *
 * Every move is a conditional write from the state the sweep read, so a click or an execution that
 * moves the request first wins and the sweep leaves it alone.
 */

export interface SweepDeps {
  requests: RemediationRequestStore;
  /** Updates the request's Slack message; absent when Slack is not configured. */
  notifier?: Pick<ApprovalNotifier, 'updateRequest'>;
  /** The remediation function's timeout: an execution older than this (plus a grace) has stopped. */
  executionTimeoutMs: number;
  now: () => Date;
  /** Requests read per state and sweep; the next sweep picks up the rest. */
  batchSize?: number;
}

export interface SweepReport {
  expired: string[];
  attention: string[];
  /** Requests another writer moved first: left as they are. */
  raced: string[];
  /** Follow-up work that failed after a move was recorded (a Slack update). */
  warnings: string[];
}

const DEFAULT_BATCH = 100;

export async function sweepRequests(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { expired: [], attention: [], raced: [], warnings: [] };
  const now = deps.now();
  const batch = deps.batchSize ?? DEFAULT_BATCH;

  for (const state of ['pending', 'approved'] as const satisfies readonly RequestState[]) {
    for (const request of await deps.requests.listByState(state, batch)) {
      if (!isExpired(request, now)) continue;
      const reason =
        state === 'pending'
          ? `Nobody decided before ${request.expiresAt}.`
          : `The approval expired at ${request.expiresAt} before it was executed.`;
      const expired = await deps.requests.transition(request.requestId, state, 'expired', {
        outcomeReason: reason,
      });
      if (!expired) {
        report.raced.push(request.requestId);
        continue;
      }
      report.expired.push(request.requestId);
      await updateMessage(expired, deps, report);
    }
  }

  for (const request of await deps.requests.listByState('executing', batch)) {
    if (!isStuckExecuting(request, now, deps.executionTimeoutMs)) continue;
    const applying = (request.steps ?? []).filter((record) => record.status === 'applying').length;
    const marked = await deps.requests.transition(request.requestId, 'executing', 'attention', {
      attentionAt: now.toISOString(),
      outcomeReason: `No outcome was recorded within the remediation function's ${Math.round(deps.executionTimeoutMs / 1000)} s; ${applying} step${applying === 1 ? ' was' : 's were'} left applying.`,
    });
    if (!marked) {
      report.raced.push(request.requestId);
      continue;
    }
    report.attention.push(request.requestId);
    await updateMessage(marked, deps, report);
  }
  return report;
}

async function updateMessage(
  request: RemediationRequest,
  deps: SweepDeps,
  report: SweepReport,
): Promise<void> {
  if (!deps.notifier || !request.slack) return;
  try {
    await deps.notifier.updateRequest(request);
  } catch (error) {
    report.warnings.push(
      `updating the Slack message of ${request.requestId} failed: ${describeError(error)}`,
    );
  }
}
