import type { SweeperConfig } from '../core/sweeper-function-config';
import type { SweepDeps } from '../use-cases/sweep-requests';
import type { AwsConfig } from './aws';
import { slackNotifier, slackSecrets } from './slack';
import { remediationRequestStore } from './stores';

/** The sweeper's dependencies: the request store and the notifier that updates request messages. */
export function sweeperWiring(aws: AwsConfig, config: SweeperConfig): SweepDeps {
  const secrets = slackSecrets(aws, [config.botTokenSecretArn]);
  return {
    requests: remediationRequestStore(aws, config.findingsTableName),
    // Updates existing messages only: no channel, nothing new is posted.
    notifier: slackNotifier({
      ...(config.slackApiUrl ? { apiUrl: config.slackApiUrl } : {}),
      botTokenSecretArn: config.botTokenSecretArn,
      secrets,
    }),
    executionTimeoutMs: config.remediationTimeoutSeconds * 1000,
    now: () => new Date(),
  };
}
