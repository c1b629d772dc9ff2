import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients';
import { AwsLiveStateReader } from '../adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../adapters/aws/remediation-executor';
import { DynamoFindingsStore } from '../adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../adapters/dynamo-remediation-store';
import { EventBridgePublisher, remediationEvents } from '../adapters/event-publisher';
import { SecretReader } from '../adapters/secret-reader';
import { createSlackWebClient, SlackNotifier } from '../adapters/slack-notifier';
import { parseRemediationFunctionConfig } from '../core/remediation-function-config';
import {
  type ExecutionOutcome,
  executeRemediation,
  type RemediationDeps,
} from '../use-cases/execute-remediation';
import { type RollbackOutcome, rollbackRequestedRemediation } from '../use-cases/rollback';

/**
 * The remediation function, invoked asynchronously by EventBridge rules for `RemediationApproved`
 * (execute the request) and `RollbackRequested` (the Undo button: restore its before-state). The
 * detail carries the request id (and, informational only, who asked for the rollback). A failure is
 * recorded by the use case and then thrown, so the invocation ends in the dead-letter queue.
 */

const logger = new Logger({ serviceName: 'iam-posture-remediation' });

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

let deps: RemediationDeps | undefined;
let clients: AwsClients | undefined;

/** Configuration and clients are built on the first invocation, then reused while warm. */
function dependencies(): RemediationDeps {
  if (deps) return deps;
  const config = parseRemediationFunctionConfig(process.env);
  clients ??= createAwsClients({});
  const aws = clients;
  const slack = config.slack;
  let notifier: SlackNotifier | undefined;
  if (slack) {
    // The secret's region is in its ARN (validated by the config schema).
    const secrets = new SecretReader(aws.secretsManager(slack.botTokenSecretArn.split(':')[3]!), [
      slack.botTokenSecretArn,
    ]);
    notifier = new SlackNotifier(createSlackWebClient(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}), {
      ...(slack.channelId ? { channelId: slack.channelId } : {}),
      token: () => secrets.read(slack.botTokenSecretArn),
    });
  }
  deps = {
    // One DynamoDB client per store: DynamoDBDocumentClient.from() keeps its translation options on
    // the client it wraps, so stores sharing a client would read items with each other's options.
    requests: new DynamoRemediationRequestStore(new DynamoDBClient({}), config.findingsTableName),
    findings: new DynamoFindingsStore(new DynamoDBClient({}), config.findingsTableName),
    reader: new AwsLiveStateReader(aws.iam, (region) => aws.secretsManager(region)),
    executor: new AwsRemediationExecutor(aws.iam, (region) => aws.secretsManager(region)),
    events: remediationEvents(
      new EventBridgePublisher(new EventBridgeClient({}), { eventBusName: config.eventBusName }),
    ),
    ...(notifier ? { notifier } : {}),
    planning: { settings: config.settings, protection: config.protection },
    now: () => new Date(),
  };
  return deps;
}

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<{ outcome: string }> {
  const detailType = event['detail-type'];
  if (detailType === 'RemediationApproved') {
    const detail = ApprovedDetailSchema.safeParse(event.detail);
    if (!detail.success)
      throw new InvalidRemediationEventError('the RemediationApproved detail has no request id');
    return withRequestId(detail.data.requestId, async () => {
      const outcome = await executeRemediation(detail.data.requestId, dependencies());
      reportExecution(outcome);
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
    return withRequestId(requestId, async () => {
      const outcome = await rollbackRequestedRemediation(requestId, dependencies());
      reportRollback(outcome);
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

async function withRequestId<T>(requestId: string, work: () => Promise<T>): Promise<T> {
  logger.appendKeys({ requestId });
  try {
    return await work();
  } finally {
    logger.removeKeys(['requestId']);
  }
}

function reportExecution(outcome: ExecutionOutcome): void {
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

function reportRollback(outcome: RollbackOutcome): void {
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
