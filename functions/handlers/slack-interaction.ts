import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseSlackInteractionConfig } from '../core/slack-function-config';
import { remediationRoute } from '../use-cases/record-approval';
import {
  type InteractionAnswer,
  routeSlackRequest,
  type SlackRoute,
  type SlackRouterDeps,
} from '../use-cases/slack-router';
import { recordApprovalWiring } from '../wiring/approval';
import { jitInteractionRoute } from '../wiring/jit-slack';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { reviewInteractionRoute } from '../wiring/review';

/**
 * The Slack interaction endpoint, behind a Lambda Function URL (payload format 2.0). The URL has
 * no IAM auth because Slack cannot sign with SigV4: the HMAC signature of every request, checked
 * with the signing secret from Secrets Manager, is the authentication. The handler answers within
 * Slack's 3 seconds: it records the decision and hands off through EventBridge; it never writes to
 * IAM (an elevation request reads what it checks: the principal and its inline policies).
 * When Slack retries anyway (`x-slack-retry-num`), a click already handled is answered 200 and empty.
 * It logs outcomes and identifiers, never the body, the signature, the secret or the token.
 */

/**
 * The function's dependencies from its environment; `logger` hears about an unset signing secret.
 * Every feature that answers in Slack is a route here; a feature not configured in the
 * environment has none, and what it would have handled is refused as not ours.
 */
export function interactionHandlerDeps(env: NodeJS.ProcessEnv, logger: Logger): SlackRouterDeps {
  const config = parseSlackInteractionConfig(env);
  const approval = recordApprovalWiring({}, config, () =>
    logger.error('slack signing secret is not set', { secretArn: config.signingSecretArn }),
  );
  if (config.approvers.length === 0) logger.warn('no approvers are configured: every click is refused');
  const routes: SlackRoute[] = [remediationRoute(approval)];
  const jit = jitInteractionRoute({}, env);
  if (jit) routes.push(jit);
  const review = reviewInteractionRoute({}, env);
  if (review) routes.push(review);
  return { signingSecret: approval.signingSecret, routes, now: approval.now };
}

/**
 * The largest body the endpoint reads. Slack's interaction payloads (a form-encoded block action)
 * are a few KiB; anything larger is refused before it is decoded, parsed or hashed, so an
 * unauthenticated caller cannot make the function spend time on a large body.
 */
export const MAX_INTERACTION_BODY_BYTES = 64 * 1024;

/** The body's size in bytes, without decoding it. */
function bodyBytes(event: APIGatewayProxyEventV2): number {
  const body = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** The handler over dependencies built once, on the first signed-or-not POST, by `build`. */
export function createHandler(
  build: (logger: Logger) => SlackRouterDeps,
  observability: Observability = createObservability(),
): Handler {
  const { logger } = observability;
  let deps: SlackRouterDeps | undefined;
  return instrument(async (event: APIGatewayProxyEventV2) => {
    if (event.requestContext?.http?.method !== 'POST') {
      return { statusCode: 405, headers: { allow: 'POST' }, body: '' };
    }
    const size = bodyBytes(event);
    if (size > MAX_INTERACTION_BODY_BYTES) {
      logger.warn('slack interaction refused', { statusCode: 413, bodyBytes: size });
      return {
        statusCode: 413,
        headers: { 'content-type': 'text/plain' },
        body: `request body over ${MAX_INTERACTION_BODY_BYTES} bytes`,
      };
    }
    const rawBody = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64')
      : Buffer.from(event.body ?? '', 'utf8');
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    try {
      deps ??= build(logger);
      const answer = await routeSlackRequest({ headers, rawBody }, deps);
      report(answer, headers['x-slack-retry-num'], logger);
      return respond(answer);
    } catch (error) {
      logger.error('slack interaction failed', { error: error as Error });
      return { statusCode: 500, headers: { 'content-type': 'text/plain' }, body: 'internal error' };
    }
  }, observability);
}

export const handler = createHandler((logger) => interactionHandlerDeps(process.env, logger));

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
  if (answer.body) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(answer.body),
    };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: answer.text ? JSON.stringify({ response_type: 'ephemeral', text: answer.text }) : '',
  };
}

function report(answer: InteractionAnswer, retryNum: string | undefined, logger: Logger): void {
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
