import { describe, expect, it } from 'vitest';
import {
  parseSweeperConfig,
  SweeperConfigError,
  sweeperEnvironment,
} from '../../functions/core/sweeper-function-config';

const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:iam-posture/slack-bot-token-AbCdEf';

describe('the sweeper environment', () => {
  it('reads back what the stack writes', () => {
    const env = sweeperEnvironment({
      findingsTableName: 'findings',
      botTokenSecretArn: TOKEN_ARN,
      remediationTimeoutSeconds: 300,
    });
    expect(env).toEqual({
      FINDINGS_TABLE_NAME: 'findings',
      SLACK_BOT_TOKEN_SECRET_ARN: TOKEN_ARN,
      REMEDIATION_TIMEOUT_SECONDS: '300',
    });
    expect(parseSweeperConfig(env)).toEqual({
      findingsTableName: 'findings',
      botTokenSecretArn: TOKEN_ARN,
      remediationTimeoutSeconds: 300,
    });
  });

  it.each([
    [{ REMEDIATION_TIMEOUT_SECONDS: undefined }, 'REMEDIATION_TIMEOUT_SECONDS: is required'],
    [{ REMEDIATION_TIMEOUT_SECONDS: '5m' }, 'REMEDIATION_TIMEOUT_SECONDS: must be a whole number of seconds'],
    [{ REMEDIATION_TIMEOUT_SECONDS: '901' }, 'REMEDIATION_TIMEOUT_SECONDS: must be at most 900 seconds'],
    [
      { SLACK_BOT_TOKEN_SECRET_ARN: 'xoxb-123' },
      'SLACK_BOT_TOKEN_SECRET_ARN: must be a Secrets Manager secret ARN',
    ],
    [{ FINDINGS_TABLE_NAME: ' ' }, 'FINDINGS_TABLE_NAME: is required'],
  ])('names the variable that is wrong: %j', (override, issue) => {
    const env = {
      FINDINGS_TABLE_NAME: 'findings',
      SLACK_BOT_TOKEN_SECRET_ARN: TOKEN_ARN,
      REMEDIATION_TIMEOUT_SECONDS: '300',
      ...override,
    };
    const error = (() => {
      try {
        parseSweeperConfig(env);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SweeperConfigError);
    expect((error as SweeperConfigError).issues).toEqual([issue]);
  });
});
