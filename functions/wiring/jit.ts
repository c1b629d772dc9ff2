import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { IamGrantPolicies } from '../adapters/aws/iam-grant-policies';
import { EventBridgeRevokeScheduler } from '../adapters/aws/revoke-scheduler';
import { DynamoJitStore } from '../adapters/dynamo-jit-store';
import { jitEvents } from '../adapters/event-publisher';
import { SlackJitMessenger } from '../adapters/slack-jit-messenger';
import { createSlackWebClient } from '../adapters/slack-notifier';
import { type JitFunctionConfig, parseJitFunctionConfig } from '../core/jit/function-config';
import { type JitElevationConfig, parseJitElevationConfig } from '../core/jit-elevation-function-config';
import { hasWildcard } from '../core/policy/wildcard';
import type { Actor } from '../core/remediation/request';
import { elevationAnnouncer } from '../use-cases/announce-elevation';
import { grantElevation } from '../use-cases/grant-elevation';
import type { GrantPolicies, JitEvents, JitStore, RevokeScheduler } from '../use-cases/jit-ports';
import { lapseRequests } from '../use-cases/lapse-requests';
import { reconcileGrants } from '../use-cases/reconcile-grants';
import { revokeElevation } from '../use-cases/revoke-elevation';
import { type AwsConfig, sdkConfig } from './aws';
import { slackSecrets } from './slack';
import { eventPublisher } from './stores';

/**
 * The JIT function's operations, bound to their adapters: what the handler dispatches to. Each
 * result says what happened; `warnings` are follow-ups that failed after the change was stored
 * (an event not published, a schedule not deleted), for the log.
 */
export interface JitOperations {
  grant(grantId: string): Promise<{ outcome: string; reason?: string; warnings?: string[] }>;
  revoke(input: {
    grantId: string;
    by: Actor;
    reason: 'expired' | 'done';
  }): Promise<{ outcome: string; reason?: string; warnings?: string[] }>;
  /** Lapses unanswered requests, then removes grant policies that outlived their grant. */
  reconcile(): Promise<{
    lapsed: string[];
    removed: { principalArn: string; policyName: string }[];
    expired: string[];
    /** Grant policies that should have gone and are still there. */
    failed: { principalArn: string; policyName: string; error: string }[];
    /** Principals whose inline policies could not be listed: not known to be clean. */
    unread: { principalArn: string; error: string }[];
    warnings: string[];
  }>;
  /** Keeps the grant's Slack message current; absent when nothing announces. */
  announce?: (grantId: string) => Promise<void>;
}

/** The adapters the operations run on: real ones from `jitWiring`, moto-backed ones in tests. */
export interface JitAdapters {
  store: JitStore;
  policies: GrantPolicies;
  scheduler: RevokeScheduler;
  events: JitEvents;
  jit: Pick<JitFunctionConfig, 'profiles'>;
  /** The account grants are made in: the function's own. */
  accountId: string;
  now(): Date;
  announcer?: { announce(grantId: string): Promise<unknown> };
}

/** The account and the unqualified ARN of a Lambda function ARN (a version or alias dropped). */
export function functionIdentity(functionArn: string): { accountId: string; functionArn: string } {
  const parts = functionArn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[2] !== 'lambda' || parts[5] !== 'function') {
    throw new Error(`not a Lambda function ARN: ${functionArn}`);
  }
  return { accountId: parts[4]!, functionArn: parts.slice(0, 7).join(':') };
}

/**
 * The principals the reconciler inspects besides those of live grants: every profile's exact
 * eligible ARNs and the account's run-time eligibilities. A principal reached only through a
 * pattern and never granted is not listed here; a grant policy put on it outside iam-posture is
 * reported by the scan (`jit-grant-lingering`), which reads every inline policy.
 */
export async function reconcilePrincipals(
  adapters: Pick<JitAdapters, 'store' | 'jit' | 'accountId'>,
): Promise<string[]> {
  const exact = adapters.jit.profiles.flatMap((profile) =>
    profile.eligible.filter((arn) => !hasWildcard(arn)),
  );
  const dynamic = (await adapters.store.listEligibility(adapters.accountId)).map((e) => e.principalArn);
  return [...new Set([...exact, ...dynamic])].sort();
}

/** The operations over a set of adapters. */
export function jitOperations(adapters: JitAdapters): JitOperations {
  const deps = {
    store: adapters.store,
    policies: adapters.policies,
    scheduler: adapters.scheduler,
    events: adapters.events,
    profiles: adapters.jit.profiles,
    now: adapters.now,
  };
  const announcer = adapters.announcer;
  return {
    async grant(grantId) {
      const result = await grantElevation(grantId, deps);
      return {
        outcome: result.outcome,
        ...(result.outcome !== 'granted' ? { reason: result.reason } : {}),
        ...('warnings' in result ? { warnings: result.warnings } : {}),
      };
    },
    async revoke(input) {
      const result = await revokeElevation(input, deps);
      switch (result.outcome) {
        case 'failed':
          return { outcome: 'failed', reason: result.reason, warnings: result.warnings };
        case 'refused':
          return { outcome: 'refused', reason: result.message };
        case 'revoked':
          return { outcome: 'revoked', warnings: result.warnings };
        default:
          return { outcome: result.outcome };
      }
    },
    async reconcile() {
      const lapse = await lapseRequests(deps);
      const result = await reconcileGrants({ ...deps, principals: () => reconcilePrincipals(adapters) });
      return {
        lapsed: lapse.lapsed,
        removed: result.removed,
        expired: result.expired,
        failed: result.failed,
        unread: result.unread,
        warnings: [...lapse.warnings, ...result.warnings],
      };
    },
    ...(announcer
      ? {
          announce: async (grantId: string) => {
            await announcer.announce(grantId);
          },
        }
      : {}),
  };
}

/**
 * The real adapters: the grant store in the findings table, IAM for grant policies, EventBridge
 * Scheduler for the revoke schedules (targeting this function), the findings bus, and, with a bot
 * token and a channel, the announcer that keeps each grant's Slack message current.
 */
export function jitWiring(
  aws: AwsConfig,
  config: { elevation: JitElevationConfig; jit: JitFunctionConfig },
  functionArn: string,
): JitOperations {
  const self = functionIdentity(functionArn);
  const sdk = sdkConfig(aws);
  const store = new DynamoJitStore(new DynamoDBClient(sdk), config.elevation.findingsTableName);
  return jitOperations({
    store,
    policies: new IamGrantPolicies(new IAMClient(sdk)),
    scheduler: new EventBridgeRevokeScheduler({
      client: new SchedulerClient(sdk),
      groupName: config.elevation.scheduleGroup,
      targetArn: self.functionArn,
      roleArn: config.elevation.schedulerRoleArn,
      deadLetterArn: config.elevation.deadLetterArn,
    }),
    events: jitEvents(eventPublisher(aws, config.elevation.eventBusName)),
    jit: config.jit,
    accountId: self.accountId,
    now: () => new Date(),
    ...announcerOf(aws, config, store),
  });
}

function announcerOf(
  aws: AwsConfig,
  config: { elevation: JitElevationConfig; jit: JitFunctionConfig },
  store: JitStore,
): { announcer?: JitAdapters['announcer'] } {
  const botTokenArn = config.elevation.botTokenSecretArn;
  const channel = config.jit.channelId;
  if (!botTokenArn || !channel) return {};
  const secrets = slackSecrets(aws, [botTokenArn]);
  const client = createSlackWebClient(
    config.elevation.slackApiUrl ? { slackApiUrl: config.elevation.slackApiUrl } : {},
  );
  const slack = new SlackJitMessenger(client, () => secrets.read(botTokenArn));
  return { announcer: elevationAnnouncer({ store, slack, channel }) };
}

/** The function's operations from its environment: its own role and region, its own ARN from the context. */
export function jitHandlerOperations(env: NodeJS.ProcessEnv, functionArn: string): JitOperations {
  return jitWiring(
    {},
    { elevation: parseJitElevationConfig(env), jit: parseJitFunctionConfig(env) },
    functionArn,
  );
}
