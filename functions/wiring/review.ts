import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoReviewMessageLog } from '../adapters/dynamo-review-messages';
import { remediationEvents } from '../adapters/event-publisher';
import type { SecretReader } from '../adapters/secret-reader';
import { createSlackWebClient, type SlackWebClientOptions } from '../adapters/slack-notifier';
import { SlackReviewMessenger } from '../adapters/slack-review-messenger';
import type { ReviewsDeployConfig } from '../core/review/config';
import {
  parseReviewInteractionConfig,
  parseReviewScanConfig,
  type ReviewFunctionConfig,
} from '../core/review/function-config';
import type { ScanFunctionConfig } from '../core/scan-function-config';
import type { ScanSettings } from '../core/settings';
import { parseSlackInteractionConfig } from '../core/slack-function-config';
import type { AdvanceReviewDeps } from '../use-cases/advance-review-campaigns';
import type { ReviewSlackDeps } from '../use-cases/announce-review';
import { reviewInteractionRouteOf } from '../use-cases/review-interaction';
import { reviewReductions } from '../use-cases/review-reduction';
import type { RunScanResult } from '../use-cases/run-scan';
import type { SlackRoute } from '../use-cases/slack-router';
import { type StartReviewResult, startDueCampaigns } from '../use-cases/start-review-campaign';
import { type AwsConfig, sdkConfig } from './aws';
import { slackNotifier, slackSecrets } from './slack';
import {
  eventPublisher,
  findingsStore,
  remediationRequestStore,
  reviewStore,
  type StoreOptions,
} from './stores';

/**
 * Entitlement reviews' side of the wiring: the review store and the record of posted review
 * messages (both in the findings table), Slack's Web API with the bot token, and the places reviews
 * run: the review function, the Slack interaction endpoint's route, and after each stored scan (the
 * scan function's, and each member account's in an organization run).
 */

export function reviewMessageLog(
  aws: AwsConfig,
  table: string,
  options: StoreOptions = {},
): DynamoReviewMessageLog {
  return new DynamoReviewMessageLog(new DynamoDBClient(sdkConfig(aws, options.maxAttempts)), table);
}

export function reviewMessenger(config: {
  apiUrl?: string;
  botTokenSecretArn: string;
  secrets: SecretReader;
  web?: Omit<SlackWebClientOptions, 'slackApiUrl'>;
}): SlackReviewMessenger {
  const client = createSlackWebClient({
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}),
    ...config.web,
  });
  return new SlackReviewMessenger(client, () => config.secrets.read(config.botTokenSecretArn));
}

/** The review function's dependencies: announcing campaigns and the daily advance. */
export function reviewFunctionWiring(
  aws: AwsConfig,
  config: ReviewFunctionConfig,
): { slack: ReviewSlackDeps; advance: AdvanceReviewDeps } {
  const store = reviewStore(aws, config.findingsTableName);
  const secrets = slackSecrets(aws, [config.botTokenSecretArn]);
  return {
    slack: {
      store,
      messenger: reviewMessenger({
        ...(config.slackApiUrl ? { apiUrl: config.slackApiUrl } : {}),
        botTokenSecretArn: config.botTokenSecretArn,
        secrets,
      }),
      messages: reviewMessageLog(aws, config.findingsTableName),
      ownerSlack: config.ownerSlack,
      ...(config.escalationChannel ? { escalationChannel: config.escalationChannel } : {}),
      now: () => new Date(),
    },
    advance: { store, events: remediationEvents(eventPublisher(aws, config.eventBusName)) },
  };
}

/**
 * Attempts of each AWS and Slack call made while Slack waits (3 seconds) for the interaction
 * endpoint's answer, as for the remediation buttons.
 */
const INTERACTION_ATTEMPTS = 3;

/**
 * The review route of the Slack interaction endpoint, or undefined when reviews are not enabled in
 * the function's environment. A reduce answer opens remediation requests as the notifier would,
 * posted to the approval channel.
 */
export function reviewInteractionRoute(aws: AwsConfig, env: NodeJS.ProcessEnv): SlackRoute | undefined {
  const review = parseReviewInteractionConfig(env);
  if (!review) return undefined;
  const slack = parseSlackInteractionConfig(env);
  const table = slack.findingsTableName;
  const attempts = { maxAttempts: INTERACTION_ATTEMPTS };
  const store = reviewStore(aws, table, attempts);
  const secrets = slackSecrets(aws, [slack.signingSecretArn, slack.botTokenSecretArn]);
  const web = { timeoutMs: 1000, retries: 0, rejectRateLimitedCalls: true };
  const findings = findingsStore(aws, table, attempts);
  const approval = {
    requests: remediationRequestStore(aws, table, attempts),
    notifier: slackNotifier({
      ...(slack.slackApiUrl ? { apiUrl: slack.slackApiUrl } : {}),
      channelId: review.channelId,
      botTokenSecretArn: slack.botTokenSecretArn,
      secrets,
      ownerSlack: review.ownerSlack,
      web,
    }),
    accountNames: findings,
    protection: review.protection,
    now: () => new Date(),
  };
  return reviewInteractionRouteOf({
    store,
    messages: reviewMessageLog(aws, table, attempts),
    messenger: reviewMessenger({
      ...(slack.slackApiUrl ? { apiUrl: slack.slackApiUrl } : {}),
      botTokenSecretArn: slack.botTokenSecretArn,
      secrets,
      web,
    }),
    ownerSlack: review.ownerSlack,
    ...(review.escalationChannel ? { escalationChannel: review.escalationChannel } : {}),
    reviewers: review.reviewers,
    attestationDays: review.attestationDays,
    record: {
      store,
      events: remediationEvents(eventPublisher(aws, slack.eventBusName, attempts)),
      reductions: reviewReductions({ findings, approval }),
      timing: { attestationDays: review.attestationDays },
    },
    now: () => new Date(),
  });
}

/** Starts the entitlement review campaigns due after a scan, from the inventory it read and its findings. */
export function reviewsAfterScan(
  aws: AwsConfig,
  config: {
    findingsTableName: string;
    eventBusName: string;
    settings: ScanSettings;
    reviews: ReviewsDeployConfig;
  },
): StartReviewsAfterScan {
  const deps = {
    store: reviewStore(aws, config.findingsTableName),
    events: remediationEvents(eventPublisher(aws, config.eventBusName)),
  };
  return (result) =>
    startDueCampaigns(
      {
        rhythms: config.reviews.rhythms,
        accountId: result.accountId,
        inventory: result.inventory,
        findings: result.report.findings,
        startedBy: { kind: 'system', id: 'iam-posture' },
        now: new Date(),
        timing: config.reviews,
        ownership: config.settings.ownership,
        thresholds: config.settings.thresholds,
      },
      deps,
    );
}

/** Starts the campaigns due after a stored scan, from what the scan read. */
export type StartReviewsAfterScan = (
  result: Pick<RunScanResult, 'accountId' | 'inventory' | 'report'>,
) => Promise<StartReviewResult[]>;

/**
 * The campaign starter of a function whose environment enables reviews (`REVIEWS`), or undefined
 * when it does not. Campaigns go to the scan's table and bus, owned and ranked with its settings.
 */
export function reviewsAfterScanIn(
  aws: AwsConfig,
  env: NodeJS.ProcessEnv,
  scan: Pick<ScanFunctionConfig, 'findingsTableName' | 'eventBusName' | 'settings'>,
): StartReviewsAfterScan | undefined {
  const reviews = parseReviewScanConfig(env);
  if (!reviews) return undefined;
  return reviewsAfterScan(aws, {
    findingsTableName: scan.findingsTableName,
    eventBusName: scan.eventBusName,
    settings: scan.settings,
    reviews,
  });
}

/**
 * Starts the campaigns due after a stored scan and logs each one, for the scan function and each
 * member account of an organization run alike. A superseded scan starts nothing: its data is older
 * than what is stored. A review is about identities the scan has already stored, so failing to
 * start one is a warning naming the account, never a failed scan: the next scan tries again, and
 * the campaign ids make sure nothing starts twice.
 */
export async function startReviewsAfterScan(
  result: Pick<RunScanResult, 'accountId' | 'outcome'>,
  start: () => Promise<readonly { campaign: { campaignId: string } }[]>,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<void> {
  if (result.outcome === 'superseded') return;
  try {
    for (const started of await start()) {
      logger.info('review campaign started', {
        accountId: result.accountId,
        campaignId: started.campaign.campaignId,
      });
    }
  } catch (error) {
    logger.warn('review campaigns not started', { accountId: result.accountId, error: error as Error });
  }
}
