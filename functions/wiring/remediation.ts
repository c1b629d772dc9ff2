import { AccountReader } from '../adapters/aws/account-reader';
import { AwsLiveStateReader } from '../adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../adapters/aws/remediation-executor';
import { remediationEvents } from '../adapters/event-publisher';
import type { RemediationDeps } from '../use-cases/execute-remediation';
import { type AwsConfig, awsClients } from './aws';
import { slackNotifier, slackSecrets } from './slack';
import { eventPublisher, findingsStore, remediationRequestStore } from './stores';

export interface RemediationWiringConfig {
  aws: AwsConfig;
  table: string;
  /** Where RemediationExecuted / RemediationRolledBack go; without it they are recorded in the table only. */
  eventBus?: string;
  /** Settings and protected principals for planning. */
  planning: RemediationDeps['planning'];
  /** When set, the request's Slack message follows its outcome. */
  slack?: { botTokenSecretArn: string; channelId?: string; apiUrl?: string };
}

export interface RemediationWiring {
  deps: RemediationDeps;
  /** The account of the credentials in use: the account whose live state the reader reads. */
  callerAccount(): Promise<string>;
  /** Closes the AWS clients' connections. */
  close(): void;
}

/** Everything the remediation and rollback use cases act through, for the account `aws` reaches. */
export function remediationWiring(config: RemediationWiringConfig): RemediationWiring {
  const clients = awsClients(config.aws);
  const secretsManager = (region: string) => clients.secretsManager(region);
  const slack = config.slack;
  const notifier = slack
    ? slackNotifier({
        ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
        ...(slack.channelId ? { channelId: slack.channelId } : {}),
        botTokenSecretArn: slack.botTokenSecretArn,
        secrets: slackSecrets(config.aws, [slack.botTokenSecretArn]),
      })
    : undefined;
  const deps: RemediationDeps = {
    requests: remediationRequestStore(config.aws, config.table),
    findings: findingsStore(config.aws, config.table),
    reader: new AwsLiveStateReader(clients.iam, secretsManager),
    executor: new AwsRemediationExecutor(clients.iam, secretsManager),
    events: config.eventBus
      ? remediationEvents(eventPublisher(config.aws, config.eventBus))
      : { publish: async () => {} },
    ...(notifier ? { notifier } : {}),
    planning: config.planning,
    now: () => new Date(),
  };
  return {
    deps,
    callerAccount: async () => (await new AccountReader(clients.sts, clients.ec2).callerIdentity()).accountId,
    close: () => clients.destroy(),
  };
}
