import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { parseRemediationFunctionConfig } from '../core/remediation-function-config';
import { type RollbackDeps, type RollbackOutcome, rollbackRequestedRemediation } from '../use-cases/rollback';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { remediationWiring } from '../wiring/remediation';

/**
 * The rollback function, invoked asynchronously by the EventBridge rule for `RollbackRequested`
 * only (the Undo button). Its role holds the re-granting actions of the catalog, so it acts only on
 * a request an authorized Undo moved to `rollback-requested`: any other state (a duplicate
 * delivery, a forged event) is refused and logged with its reason, whatever the event says. The detail carries the request id
 * (and, informational only, who asked for the rollback).
 */

const RollbackDetailSchema = z.looseObject({
  requestId: z.string().min(1).max(200),
  /**
   * Informational: the rollback is recorded as done by the requester the Undo click stored, so an
   * event naming someone else is only logged.
   */
  requestedBy: z
    .looseObject({ kind: z.string(), id: z.string(), teamId: z.string().optional() })
    .optional()
    .catch(undefined),
});

/** The rollback did not run or stopped half-way; thrown so the event reaches the dead-letter queue. */
export class RollbackFailedError extends Error {
  override readonly name = 'RollbackFailedError';
  constructor(
    readonly requestId: string,
    reason: string,
  ) {
    super(`rollback of remediation request ${requestId} failed: ${reason}`);
  }
}

/** The event is not a `RollbackRequested`, or its detail is malformed. */
export class InvalidRollbackEventError extends Error {
  override readonly name = 'InvalidRollbackEventError';
}

/**
 * The function's dependencies from its environment: the Lambda's own (rollback) role, and in
 * organization mode the member accounts' rollback role, never their acting role.
 */
export function rollbackHandlerDeps(env: NodeJS.ProcessEnv): RollbackDeps {
  const config = parseRemediationFunctionConfig(env);
  return remediationWiring({
    aws: {},
    table: config.findingsTableName,
    eventBus: config.eventBusName,
    planning: { settings: config.settings, protection: config.protection },
    ...(config.slack ? { slack: config.slack } : {}),
    // Rollback never quarantines: restoring a quarantine detaches the ARN its before-state records.
    quarantinePolicy: 'none',
    routing: config.memberRollback
      ? {
          memberRoleName: config.memberRollback.rollbackRoleName,
          purpose: 'rollback',
          ...(config.memberRollback.externalId ? { externalId: config.memberRollback.externalId } : {}),
        }
      : { purpose: 'rollback' },
  }).deps;
}

type RollbackEvent = EventBridgeEvent<string, unknown>;

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => RollbackDeps,
  observability: Observability = createObservability(),
): (event: RollbackEvent, context: Context) => Promise<{ outcome: string }> {
  const { logger } = observability;
  let deps: RollbackDeps | undefined;
  const dependencies = () => {
    deps ??= build();
    return deps;
  };
  return instrument((event: RollbackEvent) => handle(event, dependencies, logger), observability);
}

export const handler = createHandler(() => rollbackHandlerDeps(process.env));

async function handle(
  event: RollbackEvent,
  dependencies: () => RollbackDeps,
  logger: Logger,
): Promise<{ outcome: string }> {
  const detailType = event['detail-type'];
  if (detailType !== 'RollbackRequested') {
    throw new InvalidRollbackEventError(
      `unexpected event type ${detailType}: the rollback function acts on RollbackRequested only`,
    );
  }
  const detail = RollbackDetailSchema.safeParse(event.detail);
  if (!detail.success) throw new InvalidRollbackEventError('the RollbackRequested detail has no request id');
  const { requestId, requestedBy } = detail.data;
  logger.appendKeys({ requestId });
  try {
    const outcome = await rollbackRequestedRemediation(requestId, dependencies());
    report(outcome, logger);
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
      throw new RollbackFailedError(requestId, `${outcome.reason} ${outcome.problems.join('; ')}`);
    }
    return { outcome: outcome.outcome };
  } finally {
    logger.removeKeys(['requestId']);
  }
}

function report(outcome: RollbackOutcome, logger: Logger): void {
  switch (outcome.outcome) {
    case 'rolled-back':
      logger.info('remediation rolled back', { findingId: outcome.request.findingId });
      for (const warning of outcome.warnings) logger.error('rollback follow-up failed', { warning });
      return;
    case 'not-rolled-back':
      logger.warn('rollback refused', { reason: outcome.reason });
      return;
    case 'failed':
      logger.error('rollback incomplete', { reason: outcome.reason, problems: outcome.problems });
      return;
  }
}
