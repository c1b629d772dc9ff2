import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { formatIssues } from '../core/settings';
import { ScanCompletedDetailSchema } from '../core/slack/scan-summary';
import { parseSlackNotifyConfig } from '../core/slack-function-config';
import { notifyFinding, postDueDigests } from '../use-cases/notify-finding';
import { notifyScanCompleted } from '../use-cases/notify-scan';
import { type RequestApprovalOutcome, requestApproval } from '../use-cases/request-approval';
import { type RequestApprovalWiring, requestApprovalWiring } from '../wiring/approval';
import { jitProfilesOf } from '../wiring/jit-profiles';
import { createObservability, instrument, type Observability } from '../wiring/powertools';

/**
 * The notifier: invoked by the EventBridge rule for `FindingOpened`. It reads the finding as
 * stored (the event is only a pointer: the table is the authority, and an event's evidence may be
 * truncated), opens a remediation request for a remediable finding and posts it to Slack with
 * Approve / Reject. A finding whose rule has no automatic remediation gets a message of its own
 * while the channel's hourly budget lasts, else a place in the day's digest, which the first
 * invocation after the day ends posts. A failure is thrown, so the asynchronous invocation is
 * retried and then lands in the dead-letter queue; a repeated delivery posts nothing twice.
 *
 * It is also invoked for `ScanCompleted`, and posts the scan's summary (with where its archived
 * report is) within the same hourly budget.
 */

const FindingOpenedDetailSchema = z.looseObject({
  scanId: z.string().min(1).max(200),
  finding: z.looseObject({ id: z.string().min(1).max(200) }),
});

/** The event is not a `FindingOpened` or `ScanCompleted` event this function can act on. */
export class InvalidFindingEventError extends Error {
  override readonly name = 'InvalidFindingEventError';
}

/** The function's dependencies from its environment: the Lambda's own role, region and table. */
export function notifyHandlerDeps(env: NodeJS.ProcessEnv): RequestApprovalWiring {
  return requestApprovalWiring({}, parseSlackNotifyConfig(env), jitProfilesOf(env));
}

type FindingEvent = EventBridgeEvent<string, unknown>;

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => RequestApprovalWiring,
  observability: Observability = createObservability(),
): (event: FindingEvent, context: Context) => Promise<{ outcome: string }> {
  const { logger } = observability;
  let deps: RequestApprovalWiring | undefined;
  return instrument(async (event: FindingEvent) => {
    if (event['detail-type'] === 'ScanCompleted') {
      const detail = ScanCompletedDetailSchema.safeParse(event.detail);
      if (!detail.success) {
        throw new InvalidFindingEventError(
          `the ScanCompleted detail is not one this function can summarize: ${formatIssues(detail.error)
            .slice(0, 3)
            .join('; ')}`,
        );
      }
      deps ??= build();
      const summary = await notifyScanCompleted(detail.data, deps.notices);
      logger.info('scan summary', {
        scanId: summary.scanId,
        accountId: detail.data.accountId,
        outcome: summary.outcome,
        ...(detail.data.report ? { reportKey: detail.data.report.key } : {}),
      });
      return { outcome: summary.outcome };
    }
    if (event['detail-type'] !== 'FindingOpened') {
      throw new InvalidFindingEventError(`unexpected event type ${event['detail-type']}`);
    }
    const detail = FindingOpenedDetailSchema.safeParse(event.detail);
    if (!detail.success) throw new InvalidFindingEventError('the event detail has no scan id or finding id');
    const { scanId } = detail.data;
    const findingId = detail.data.finding.id;
    deps ??= build();
    const finding = await deps.findings.getStoredFinding(findingId);
    if (!finding) {
      logger.info('finding no longer stored, nothing to request', { findingId, scanId });
      await postDigests(deps, logger);
      return { outcome: 'skipped' };
    }
    if (!finding.remediation.action) {
      const noticed = await notifyFinding({ finding, scanId }, deps.notices);
      logger.info('finding without automatic remediation', { findingId, scanId, outcome: noticed.outcome });
      await postDigests(deps, logger);
      return { outcome: noticed.outcome };
    }
    const outcome = await requestApproval({ finding, scanId }, deps.approval);
    report(outcome, scanId, logger);
    await postDigests(deps, logger);
    return { outcome: outcome.outcome };
  }, observability);
}

/**
 * Posts the digest of each finished day not posted yet. A failure is logged, not thrown: the
 * finding was handled, and the next invocation tries the digest again.
 */
async function postDigests(deps: RequestApprovalWiring, logger: Logger): Promise<void> {
  try {
    for (const digest of await postDueDigests(deps.notices)) {
      logger.info('digest posted', { day: digest.day, findings: digest.total });
    }
  } catch (error) {
    logger.warn('digest not posted', { error: error as Error });
  }
}

export const handler = createHandler(() => notifyHandlerDeps(process.env));

function report(outcome: RequestApprovalOutcome, scanId: string, logger: Logger): void {
  const keys = { findingId: outcome.findingId, scanId };
  switch (outcome.outcome) {
    case 'posted':
      logger.info('remediation request posted', {
        ...keys,
        requestId: outcome.request.requestId,
        actions: outcome.request.actions,
      });
      return;
    case 'already-requested':
      logger.info('remediation request already open', {
        ...keys,
        requestId: outcome.request.requestId,
        state: outcome.request.state,
      });
      return;
    case 'active-request':
      logger.info('finding already has an active remediation request', {
        ...keys,
        activeRequestId: outcome.activeRequestId,
      });
      return;
    case 'refused':
      logger.warn('remediation refused for finding', { ...keys, gate: outcome.gate, reason: outcome.reason });
      return;
    case 'skipped':
      logger.info('finding not offered for remediation', { ...keys, reason: outcome.reason });
      return;
  }
}
