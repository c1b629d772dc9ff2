import type { DynamoFindingsStore } from '../adapters/dynamo-findings-store';
import { remediationEvents } from '../adapters/event-publisher';
import { EmptySecretError } from '../adapters/secret-reader';
import type { ElevationProfile } from '../core/jit/types';
import type { SlackInteractionConfig, SlackNotifyConfig } from '../core/slack-function-config';
import type { NotifyFindingDeps } from '../use-cases/notify-finding';
import type { RecordApprovalDeps } from '../use-cases/record-approval';
import type { RequestApprovalDeps } from '../use-cases/request-approval';
import type { AwsConfig } from './aws';
import { slackNotifier, slackSecrets } from './slack';
import { eventPublisher, findingsStore, noticeStore, remediationRequestStore } from './stores';

/** The notifier function's dependencies: the stored finding, and the request it opens in Slack. */
export interface RequestApprovalWiring {
  findings: DynamoFindingsStore;
  approval: RequestApprovalDeps;
  /** Findings without an automatic remediation: a message each within the hourly budget, then the digest. */
  notices: NotifyFindingDeps;
}

export function requestApprovalWiring(
  aws: AwsConfig,
  config: SlackNotifyConfig,
  /** Where just-in-time elevation is deployed: standing admin is offered as a conversion. */
  jitProfiles?: readonly ElevationProfile[],
): RequestApprovalWiring {
  const secrets = slackSecrets(aws, [config.botTokenSecretArn]);
  const findings = findingsStore(aws, config.findingsTableName);
  const notifier = slackNotifier({
    ...(config.slackApiUrl ? { apiUrl: config.slackApiUrl } : {}),
    channelId: config.channelId,
    botTokenSecretArn: config.botTokenSecretArn,
    secrets,
    ownerSlack: config.ownerSlack,
  });
  return {
    findings,
    notices: {
      store: noticeStore(aws, config.findingsTableName),
      slack: notifier,
      channel: config.channelId,
      ...(config.noticesPerHour !== undefined ? { perHour: config.noticesPerHour } : {}),
      accountNames: findings,
      ownerSlack: config.ownerSlack,
      now: () => new Date(),
    },
    approval: {
      // The latest organization run names the accounts in the messages.
      accountNames: findings,
      requests: remediationRequestStore(aws, config.findingsTableName),
      notifier,
      protection: config.protection,
      ...(jitProfiles ? { jitProfiles } : {}),
      now: () => new Date(),
      ...(config.requestTtlHours !== undefined ? { ttlHours: config.requestTtlHours } : {}),
    },
  };
}

/**
 * Attempts of each AWS and Slack call made while Slack waits (3 seconds) for the interaction
 * endpoint's answer: one short try each; the remediation function updates the message again once
 * it acts.
 */
const INTERACTION_ATTEMPTS = 3;

/**
 * The interaction endpoint's dependencies. `onUnsetSigningSecret` is told when the signing secret
 * still holds no value: every request is then refused as unsigned.
 */
export function recordApprovalWiring(
  aws: AwsConfig,
  config: SlackInteractionConfig,
  onUnsetSigningSecret: () => void,
): RecordApprovalDeps {
  const secrets = slackSecrets(aws, [config.signingSecretArn, config.botTokenSecretArn]);
  return {
    signingSecret: async () => {
      try {
        return await secrets.read(config.signingSecretArn);
      } catch (error) {
        if (!(error instanceof EmptySecretError)) throw error;
        onUnsetSigningSecret();
        return '';
      }
    },
    approvers: config.approvers,
    requests: remediationRequestStore(aws, config.findingsTableName, { maxAttempts: INTERACTION_ATTEMPTS }),
    events: remediationEvents(
      eventPublisher(aws, config.eventBusName, { maxAttempts: INTERACTION_ATTEMPTS }),
    ),
    // Updates the clicked message and replies to the click; new requests are not posted from here.
    notifier: slackNotifier({
      ...(config.slackApiUrl ? { apiUrl: config.slackApiUrl } : {}),
      botTokenSecretArn: config.botTokenSecretArn,
      secrets,
      web: { timeoutMs: 1000, retries: 0, rejectRateLimitedCalls: true },
    }),
    now: () => new Date(),
  };
}
