import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { AccountReader } from '../adapters/aws/account-reader';
import { IamGrantPolicies } from '../adapters/aws/iam-grant-policies';
import { DynamoJitStore } from '../adapters/dynamo-jit-store';
import { jitEvents } from '../adapters/event-publisher';
import { SlackJitMessenger } from '../adapters/slack-jit-messenger';
import { createSlackWebClient } from '../adapters/slack-notifier';
import { JitConfigError, jitConfigured, parseJitFunctionConfig } from '../core/jit/function-config';
import type { ElevationEvent } from '../core/jit/types';
import { parseSlackInteractionConfig } from '../core/slack-function-config';
import { actorDetail, elevationDetail } from '../use-cases/elevation-events';
import {
  ELEVATION_REVOKE_REQUESTED,
  elevationRoute,
  type JitInteractionDeps,
} from '../use-cases/jit-interaction';
import type { SlackRoute } from '../use-cases/slack-router';
import { type AwsConfig, awsClients, sdkConfig } from './aws';
import { slackSecrets } from './slack';
import { eventPublisher } from './stores';

/**
 * Just-in-time elevation in the Slack interaction endpoint: the route for `/elevate`, the request
 * modal and the grant buttons, built from the function's environment (the Slack variables and the
 * `JIT_*` ones the stack adds when profiles are configured). Undefined without `JIT_PROFILES`: the
 * endpoint then refuses those requests as not its own.
 *
 * The endpoint reads IAM (a profile's managed policy, the principal, its inline policies for the
 * quota) but never writes it: grants and early revokes are events the JIT function acts on.
 */

type Env = Readonly<Record<string, string | undefined>>;

/**
 * One short try per AWS and Slack call: Slack waits 3 seconds for the answer, and a person can
 * submit or click again.
 */
const INTERACTION_ATTEMPTS = 2;

export function jitInteractionRoute(aws: AwsConfig, env: Env): SlackRoute | undefined {
  const deps = jitInteractionDeps(aws, env);
  return deps ? elevationRoute(deps) : undefined;
}

/** The route's dependencies from the environment; undefined when elevation is not configured. */
export function jitInteractionDeps(aws: AwsConfig, env: Env): JitInteractionDeps | undefined {
  if (!jitConfigured(env)) return undefined;
  const jit = parseJitFunctionConfig(env);
  const slack = parseSlackInteractionConfig(env);
  if (!jit.channelId) {
    throw new JitConfigError(['JIT_CHANNEL_ID: is required where elevation requests are taken in Slack']);
  }
  const secrets = slackSecrets(aws, [slack.signingSecretArn, slack.botTokenSecretArn]);
  const config = sdkConfig(aws, INTERACTION_ATTEMPTS);
  const publisher = jitEvents(eventPublisher(aws, slack.eventBusName, { maxAttempts: INTERACTION_ATTEMPTS }));
  let account: Promise<string> | undefined;
  return {
    profiles: jit.profiles,
    slashCommand: jit.slashCommand,
    channel: jit.channelId,
    // The deployment's own account: grants are made there, and requests for others are refused.
    accountId: () => {
      if (!account) {
        const clients = awsClients({ ...aws, maxAttempts: INTERACTION_ATTEMPTS });
        account = new AccountReader(clients.sts, clients.ec2)
          .callerIdentity()
          .then((identity) => identity.accountId)
          .catch((error: unknown) => {
            // A failed look-up is tried again on the next request, not remembered.
            account = undefined;
            throw error;
          });
      }
      return account;
    },
    requestTtlMinutes: jit.requestTtlMinutes,
    store: new DynamoJitStore(new DynamoDBClient(config), slack.findingsTableName),
    policies: new IamGrantPolicies(new IAMClient(config)),
    events: { publish: (type: ElevationEvent, detail) => publisher.publish(type, detail) },
    revokes: {
      requestRevoke: (request, by) =>
        publisher.publish(ELEVATION_REVOKE_REQUESTED, elevationDetail(request, { by: actorDetail(by) })),
    },
    slack: new SlackJitMessenger(
      createSlackWebClient({
        ...(slack.slackApiUrl ? { slackApiUrl: slack.slackApiUrl } : {}),
        timeoutMs: 1000,
        retries: 0,
        rejectRateLimitedCalls: true,
      }),
      () => secrets.read(slack.botTokenSecretArn),
    ),
  };
}
