import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoRemediationRequestStore } from '../adapters/dynamo-remediation-store';
import { EventBridgePublisher, remediationEvents } from '../adapters/event-publisher';
import { EmptySecretError, SecretReader } from '../adapters/secret-reader';
import { createSlackWebClient, SlackNotifier } from '../adapters/slack-notifier';
import { parseSlackInteractionConfig } from '../core/slack-function-config';
import {
  type InteractionAnswer,
  type RecordApprovalDeps,
  recordApproval,
} from '../use-cases/record-approval';

/**
 * The Slack interaction endpoint, behind a Lambda Function URL (payload format 2.0). The URL has
 * no IAM auth because Slack cannot sign with SigV4: the HMAC signature of every request, checked
 * with the signing secret from Secrets Manager, is the authentication. The handler answers within
 * Slack's 3 seconds: it records the decision and hands off through EventBridge; it never calls IAM.
 * When Slack retries anyway (`x-slack-retry-num`), a click already handled is answered 200 and empty.
 * It logs outcomes and identifiers, never the body, the signature, the secret or the token.
 */

const logger = new Logger({ serviceName: 'iam-posture-slack-interaction' });

let deps: RecordApprovalDeps | undefined;

function dependencies(): RecordApprovalDeps {
  if (deps) return deps;
  const config = parseSlackInteractionConfig(process.env);
  const secrets = new SecretReader(new SecretsManagerClient({}), [
    config.signingSecretArn,
    config.botTokenSecretArn,
  ]);
  // Slack waits 3 seconds for the answer: message updates and replies get one short try each (the
  // remediation function updates the message again once it acts).
  const slack = createSlackWebClient({
    ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}),
    timeoutMs: 1000,
    retries: 0,
    rejectRateLimitedCalls: true,
  });
  const dynamo = new DynamoDBClient({ maxAttempts: 3 });
  deps = {
    signingSecret: async () => {
      try {
        return await secrets.read(config.signingSecretArn);
      } catch (error) {
        if (!(error instanceof EmptySecretError)) throw error;
        logger.error('slack signing secret is not set', { secretArn: config.signingSecretArn });
        return '';
      }
    },
    approvers: config.approvers,
    requests: new DynamoRemediationRequestStore(dynamo, config.findingsTableName),
    events: remediationEvents(
      new EventBridgePublisher(new EventBridgeClient({ maxAttempts: 3 }), {
        eventBusName: config.eventBusName,
        maxAttempts: 3,
      }),
    ),
    // Updates the clicked message and replies to the click; new requests are not posted from here.
    notifier: new SlackNotifier(slack, { token: () => secrets.read(config.botTokenSecretArn) }),
    now: () => new Date(),
  };
  if (config.approvers.length === 0) logger.warn('no approvers are configured: every click is refused');
  return deps;
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  if (event.requestContext?.http?.method !== 'POST') {
    return { statusCode: 405, headers: { allow: 'POST' }, body: '' };
  }
  const rawBody = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64')
    : Buffer.from(event.body ?? '', 'utf8');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  try {
    const answer = await recordApproval({ headers, rawBody }, dependencies());
    report(answer, headers['x-slack-retry-num']);
    return respond(answer);
  } catch (error) {
    logger.error('slack interaction failed', { error: error as Error });
    return { statusCode: 500, headers: { 'content-type': 'text/plain' }, body: 'internal error' };
  }
}

function respond(answer: InteractionAnswer): APIGatewayProxyStructuredResultV2 {
  if (answer.statusCode === 401) {
    return { statusCode: 401, headers: { 'content-type': 'text/plain' }, body: 'invalid request signature' };
  }
  if (answer.statusCode === 400) {
    return {
      statusCode: 400,
      headers: { 'content-type': 'text/plain' },
      body: 'malformed interaction payload',
    };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: answer.text ? JSON.stringify({ response_type: 'ephemeral', text: answer.text }) : '',
  };
}

function report(answer: InteractionAnswer, retryNum: string | undefined): void {
  const keys = {
    outcome: answer.outcome,
    statusCode: answer.statusCode,
    ...(retryNum ? { slackRetryNum: retryNum } : {}),
    ...(answer.requestId ? { requestId: answer.requestId } : {}),
    ...(answer.userId ? { userId: answer.userId } : {}),
    ...(answer.detail ? { detail: answer.detail } : {}),
  };
  if (answer.statusCode === 200) logger.info('slack interaction handled', keys);
  else logger.warn('slack interaction refused', keys);
  for (const warning of answer.warnings) logger.error('slack interaction follow-up failed', { warning });
}
