import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { parseRemediationFunctionConfig } from '../core/remediation-function-config';
import {
  type ExecutionOutcome,
  executeRemediation,
  type RemediationDeps,
} from '../use-cases/execute-remediation';
import { type RollbackOutcome, rollbackRequestedRemediation } from '../use-cases/rollback';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { remediationWiring } from '../wiring/remediation';

/**
 * The remediation function, invoked asynchronously by EventBridge rules for `RemediationApproved`
 * (execute the request) and `RollbackRequested` (the Undo button: restore its before-state). The
 * detail carries the request id (and, informational only, who asked for the rollback). A failure is
 * recorded by the use case and then thrown, so the invocation ends in the dead-letter queue.
 */

const RequestIdSchema = z.string().min(1).max(200);
const ApprovedDetailSchema = z.looseObject({ requestId: RequestIdSchema });
/**
 * `requestedBy` is informational: the rollback is recorded as done by the requester the Undo click
 * stored, so an event naming someone else is only logged.
 */
const RollbackDetailSchema = z.looseObject({
  requestId: RequestIdSchema,
  requestedBy: z
    .looseObject({ kind: z.string(), id: z.string(), teamId: z.string().optional() })
    .optional()
    .catch(undefined),
});

/** The request was recorded `failed` (or its rollback stopped half-way); thrown for the DLQ. */
export class RemediationFailedError extends Error {
  override readonly name = 'RemediationFailedError';
  constructor(
    readonly requestId: string,
    reason: string,
  ) {
    super(`remediation request ${requestId} failed: ${reason}`);
  }
}

/** The event is not one this function acts on, or its detail is malformed. */
export class InvalidRemediationEventError extends Error {
  override readonly name = 'InvalidRemediationEventError';
}

/** The function's dependencies from its environment: the Lambda's own role, region and table. */
export function remediationHandlerDeps(env: NodeJS.ProcessEnv): RemediationDeps {
  const config = parseRemediationFunctionConfig(env);
  return remediationWiring({
    aws: {},
    table: config.findingsTableName,
    eventBus: config.eventBusName,
    planning: { settings: config.settings, protection: config.protection },
    ...(config.slack ? { slack: config.slack } : {}),
    // Each request acts in its finding's account, or is refused: never in the wrong account.
    routing: config.member
      ? {
          memberRoleName: config.member.remediationRoleName,
          ...(config.member.externalId ? { externalId: config.member.externalId } : {}),
        }
      : {},
  }).deps;
}

type RemediationEvent = EventBridgeEvent<string, unknown>;

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => RemediationDeps,
  observability: Observability = createObservability(),
): (event: RemediationEvent, context: Context) => Promise<{ outcome: string }> {
  const { logger } = observability;
  let deps: RemediationDeps | undefined;
  const dependencies = () => {
    deps ??= build();
    return deps;
  };
  return instrument((event: RemediationEvent) => handle(event, dependencies, logger), observability);
}

export const handler = createHandler(() => remediationHandlerDeps(process.env));

async function handle(
  event: RemediationEvent,
  dependencies: () => RemediationDeps,
  logger: Logger,
): Promise<{ outcome: string }> {
  const detailType = event['detail-type'];
  if (detailType === 'RemediationApproved') {
    const detail = ApprovedDetailSchema.safeParse(event.detail);
    if (!detail.success)
      throw new InvalidRemediationEventError('the RemediationApproved detail has no request id');
    return withRequestId(logger, detail.data.requestId, async () => {
      const outcome = await executeRemediation(detail.data.requestId, dependencies());
      reportExecution(outcome, logger);
      if (outcome.outcome === 'failed')
        throw new RemediationFailedError(detail.data.requestId, outcome.reason);
      return { outcome: outcome.outcome };
    });
  }
  if (detailType === 'RollbackRequested') {
    const detail = RollbackDetailSchema.safeParse(event.detail);
    if (!detail.success)
      throw new InvalidRemediationEventError('the RollbackRequested detail has no request id');
    const { requestId, requestedBy } = detail.data;
    return withRequestId(logger, requestId, async () => {
      const outcome = await rollbackRequestedRemediation(requestId, dependencies());
      reportRollback(outcome, logger);
      if (outcome.outcome === 'rolled-back' && requestedBy) {
        const recorded = outcome.request.rollbackRequestedBy;
        if (
          recorded?.kind !== requestedBy.kind ||
          recorded.id !== requestedBy.id ||
          recorded.teamId !== requestedBy.teamId
        ) {
          logger.warn('rollback event names another requester than the request records', {
            eventRequester: requestedBy.id,
            recordedRequester: recorded?.id,
          });
        }
      }
      if (outcome.outcome === 'failed') {
        throw new RemediationFailedError(requestId, `${outcome.reason} ${outcome.problems.join('; ')}`);
      }
      return { outcome: outcome.outcome };
    });
  }
  throw new InvalidRemediationEventError(`unexpected event type ${detailType}`);
}

async function withRequestId<T>(logger: Logger, requestId: string, work: () => Promise<T>): Promise<T> {
  logger.appendKeys({ requestId });
  try {
    return await work();
  } finally {
    logger.removeKeys(['requestId']);
  }
}

function reportExecution(outcome: ExecutionOutcome, logger: Logger): void {
  switch (outcome.outcome) {
    case 'executed':
      logger.info('remediation executed', {
        findingId: outcome.request.findingId,
        actions: outcome.request.actions,
        steps: outcome.request.steps?.length ?? 0,
      });
      break;
    case 'refused':
      logger.warn('remediation refused', { findingId: outcome.request.findingId, reason: outcome.reason });
      break;
    case 'failed':
      logger.error('remediation failed', {
        findingId: outcome.request.findingId,
        reason: outcome.reason,
        unchanged: outcome.unchanged,
      });
      break;
    case 'expired':
      logger.warn('remediation approval expired', { findingId: outcome.request.findingId });
      break;
    case 'skipped':
      logger.info('remediation request not approved, nothing done', { state: outcome.state });
      return;
  }
  for (const warning of outcome.warnings) logger.error('remediation follow-up failed', { warning });
}

function reportRollback(outcome: RollbackOutcome, logger: Logger): void {
  switch (outcome.outcome) {
    case 'rolled-back':
      logger.info('remediation rolled back', { findingId: outcome.request.findingId });
      for (const warning of outcome.warnings) logger.error('rollback follow-up failed', { warning });
      return;
    case 'not-rolled-back':
      logger.warn('rollback not started', { reason: outcome.reason });
      return;
    case 'failed':
      logger.error('rollback incomplete', { reason: outcome.reason, problems: outcome.problems });
      return;
  }
}
