/**
 * What the Slack interaction function receives through its Function URL: a form body Slack posted,
 * base64-encoded as Function URLs hand form bodies on, with Slack's signature headers.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signSlackRequest } from '../../functions/core/slack/signature';

/** The body Slack posts for an interaction: `payload=<url-encoded JSON>`. */
export function interactionBody(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** The Function URL event of `body`, signed with `secret` at `timestamp` (seconds; default now). */
export function signedSlackEvent(
  body: string,
  secret: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): APIGatewayProxyEventV2 {
  const raw = Buffer.from(body, 'utf8');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signSlackRequest(secret, String(timestamp), raw),
    },
    body: raw.toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'url-id',
      domainName: 'url-id.lambda-url.us-east-1.on.aws',
      domainPrefix: 'url-id',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'Slackbot',
      },
      requestId: 'r-1',
      routeKey: '$default',
      stage: '$default',
      time: new Date(timestamp * 1000).toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}
