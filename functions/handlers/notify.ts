import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { DynamoFindingsStore } from '../adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../adapters/dynamo-remediation-store';
import { SecretReader } from '../adapters/secret-reader';
import { createSlackWebClient, SlackNotifier } from '../adapters/slack-notifier';
import { parseSlackNotifyConfig } from '../core/slack-function-config';
import {
  type RequestApprovalDeps,
  type RequestApprovalOutcome,
  requestApproval,
} from '../use-cases/request-approval';

/**
 * The notifier: invoked by the EventBridge rule for `FindingOpened`. It reads the finding as
 * stored (the event is only a pointer: the table is the authority, and an event's evidence may be
 * truncated), opens a remediation request for a remediable finding and posts it to Slack with
 * Approve / Reject. A failure is thrown, so the asynchronous invocation is retried and then lands
 * in the dead-letter queue; a repeated delivery posts nothing twice.
 */

const logger = new Logger({ serviceName: 'iam-posture-notify' });

const FindingOpenedDetailSchema = z.looseObject({
  scanId: z.string().min(1).max(200),
  finding: z.looseObject({ id: z.string().min(1).max(200) }),
});

/** The event is not a `FindingOpened` event this function can act on. */
export class InvalidFindingEventError extends Error {
  override readonly name = 'InvalidFindingEventError';
}

interface Dependencies {
  findings: DynamoFindingsStore;
  approval: RequestApprovalDeps;
}

let deps: Dependencies | undefined;

function dependencies(): Dependencies {
  if (deps) return deps;
  const config = parseSlackNotifyConfig(process.env);
  const secrets = new SecretReader(new SecretsManagerClient({}), [config.botTokenSecretArn]);
  deps = {
    // One client per store: a document client writes its marshalling options into the client's config.
    findings: new DynamoFindingsStore(new DynamoDBClient({}), config.findingsTableName),
    approval: {
      requests: new DynamoRemediationRequestStore(new DynamoDBClient({}), config.findingsTableName),
      notifier: new SlackNotifier(
        createSlackWebClient(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}),
        { channelId: config.channelId, token: () => secrets.read(config.botTokenSecretArn) },
      ),
      protection: config.protection,
      now: () => new Date(),
      ...(config.requestTtlHours !== undefined ? { ttlHours: config.requestTtlHours } : {}),
    },
  };
  return deps;
}

export async function handler(event: EventBridgeEvent<string, unknown>): Promise<{ outcome: string }> {
  if (event['detail-type'] !== 'FindingOpened') {
    throw new InvalidFindingEventError(`unexpected event type ${event['detail-type']}`);
  }
  const detail = FindingOpenedDetailSchema.safeParse(event.detail);
  if (!detail.success) throw new InvalidFindingEventError('the event detail has no scan id or finding id');
  const { scanId } = detail.data;
  const findingId = detail.data.finding.id;
  const { findings, approval } = dependencies();
  const finding = await findings.getStoredFinding(findingId);
  if (!finding) {
    logger.info('finding no longer stored, nothing to request', { findingId, scanId });
    return { outcome: 'skipped' };
  }
  const outcome = await requestApproval({ finding, scanId }, approval);
  report(outcome, scanId);
  return { outcome: outcome.outcome };
}

function report(outcome: RequestApprovalOutcome, scanId: string): void {
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
    case 'refused':
      logger.warn('remediation refused for finding', { ...keys, gate: outcome.gate, reason: outcome.reason });
      return;
    case 'skipped':
      logger.info('finding not offered for remediation', { ...keys, reason: outcome.reason });
      return;
  }
}
