import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { parseRemediationFunctionConfig } from '../core/remediation-function-config';
import {
  type ExecutionOutcome,
  executeRemediation,
  type RemediationDeps,
} from '../use-cases/execute-remediation';
import { jitPlanning } from '../wiring/jit-profiles';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { remediationWiring } from '../wiring/remediation';

/**
 * The acting remediation function, invoked asynchronously by the EventBridge rule for
 * `RemediationApproved`: executes the request with a role that can only reduce privilege. Rollbacks
 * are the rollback function's (functions/handlers/rollback.ts); this one refuses them. The detail
 * carries the request id. A failure is recorded by the use case and then thrown, so the invocation
 * ends in the dead-letter queue.
 */

const RequestIdSchema = z.string().min(1).max(200);
const ApprovedDetailSchema = z.looseObject({ requestId: RequestIdSchema });

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

/**
 * The function's dependencies from its environment: the Lambda's own role, region and table. Its
 * executor restores nothing, attaches only the configured quarantine policy (none configured:
 * quarantine fails closed) and rotates only secrets whose function is configured.
 */
export function remediationHandlerDeps(env: NodeJS.ProcessEnv): RemediationDeps {
  const config = parseRemediationFunctionConfig(env);
  return remediationWiring({
    aws: {},
    table: config.findingsTableName,
    eventBus: config.eventBusName,
    planning: { settings: config.settings, protection: config.protection, ...jitPlanning(env) },
    ...(config.slack ? { slack: config.slack } : {}),
    quarantinePolicy: config.quarantinePolicyArn ? { arn: config.quarantinePolicyArn } : 'none',
    rotationFunctions: config.rotationFunctions,
    restores: false,
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
    // Re-granting is the rollback function's, under its own role; this role could not do it anyway.
    throw new InvalidRemediationEventError(
      'RollbackRequested is handled by the rollback function, not by the acting remediation function',
    );
  }
  throw new InvalidRemediationEventError(`unexpected event type ${detailType}`);
}

export async function withRequestId<T>(
  logger: Logger,
  requestId: string,
  work: () => Promise<T>,
): Promise<T> {
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
