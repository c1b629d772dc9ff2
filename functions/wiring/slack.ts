import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WebClient } from '@slack/web-api';
import { SecretReader } from '../adapters/secret-reader';
import { createSlackWebClient, SlackNotifier, type SlackWebClientOptions } from '../adapters/slack-notifier';
import { parseArn } from '../core/arn';
import { SlackConfigError } from '../core/slack-function-config';
import { type AwsConfig, sdkConfig } from './aws';

/**
 * Slack's side of the wiring: the reader of the Slack secrets (signing secret, bot token) and the
 * notifier that posts and updates messages with the bot token.
 */

/**
 * Reads exactly `arns`, each with a Secrets Manager client in the secret's own region (from its
 * ARN), so a secret kept in another region than the function still resolves.
 */
export function slackSecrets(aws: AwsConfig, arns: readonly string[]): SecretReader {
  const regions = new Set(arns.map((arn) => parseArn(arn)?.region ?? aws.region ?? ''));
  if (regions.size > 1) {
    throw new SlackConfigError([
      `the Slack secrets are in several regions (${[...regions].join(', ')}); keep them in one region`,
    ]);
  }
  const [region] = regions;
  return new SecretReader(new SecretsManagerClient(sdkConfig(region ? { ...aws, region } : aws)), arns);
}

export interface SlackNotifierConfig {
  /** The Slack Web API base URL; Slack's own by default. */
  apiUrl?: string;
  /** Where new requests are posted; not needed to update messages or reply to a click. */
  channelId?: string;
  botTokenSecretArn: string;
  secrets: SecretReader;
  web?: Omit<SlackWebClientOptions, 'slackApiUrl'>;
  /** A prebuilt Web API client (tests); one is created from the options otherwise. */
  client?: WebClient;
  /** Owner id -> Slack user or channel, mentioned in the owner's requests. */
  ownerSlack?: Readonly<Record<string, string>>;
}

export function slackNotifier(config: SlackNotifierConfig): SlackNotifier {
  const client =
    config.client ??
    createSlackWebClient({ ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}), ...config.web });
  return new SlackNotifier(client, {
    ...(config.channelId ? { channelId: config.channelId } : {}),
    token: () => config.secrets.read(config.botTokenSecretArn),
    ...(config.ownerSlack ? { ownerSlack: config.ownerSlack } : {}),
  });
}
