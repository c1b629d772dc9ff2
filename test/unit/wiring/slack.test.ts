import { describe, expect, it } from 'vitest';
import { SlackConfigError } from '../../../functions/core/slack-function-config';
import { slackSecrets } from '../../../functions/wiring/slack';

const SIGNING = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:iam-posture/slack-signing-AbCdEf';
const TOKEN_EU = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:iam-posture/slack-bot-GhIjKl';
const TOKEN_US = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:iam-posture/slack-bot-GhIjKl';

describe('slackSecrets', () => {
  it('reads the secrets with a client in their own region, not the function’s', async () => {
    const reader = slackSecrets({ region: 'us-west-2' }, [SIGNING, TOKEN_EU]);
    const client = (reader as unknown as { provider: { client: { config: { region(): Promise<string> } } } })
      .provider.client;
    expect(await client.config.region()).toBe('eu-west-1');
  });

  it('refuses secrets in two regions with a configuration error naming them', () => {
    expect(() => slackSecrets({}, [SIGNING, TOKEN_US])).toThrow(SlackConfigError);
    expect(() => slackSecrets({}, [SIGNING, TOKEN_US])).toThrow(/several regions \(eu-west-1, us-east-1\)/);
  });
});
