import { describe, expect, it } from 'vitest';
import {
  parseSlackInteractionConfig,
  parseSlackNotifyConfig,
  SlackConfigError,
  slackInteractionEnvironment,
  slackNotifyEnvironment,
} from '../../../functions/core/slack-function-config';

const SIGNING = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:IamPosture-SlackSigning-AbCdEf';
const TOKEN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:IamPosture-SlackBotToken-GhIjKl';

const interactionEnv = {
  FINDINGS_TABLE_NAME: 'findings',
  EVENT_BUS_NAME: 'bus',
  SLACK_SIGNING_SECRET_ARN: SIGNING,
  SLACK_BOT_TOKEN_SECRET_ARN: TOKEN,
  SLACK_APPROVERS: '[{"teamId":"T0123ABCD","userId":"U0123ABCD"}]',
};

const notifyEnv = {
  FINDINGS_TABLE_NAME: 'findings',
  SLACK_BOT_TOKEN_SECRET_ARN: TOKEN,
  SLACK_CHANNEL_ID: 'C0123ABCD',
  PROTECTED_ARNS: '["arn:aws:iam::123456789012:role/keep-*"]',
  OWN_ARNS: '["arn:aws:iam::123456789012:role/IamPosture-*"]',
};

function issues(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof SlackConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a SlackConfigError');
}

describe('interaction function environment', () => {
  it('parses what the stack writes', () => {
    const env = slackInteractionEnvironment({
      findingsTableName: 'findings',
      eventBusName: 'bus',
      signingSecretArn: SIGNING,
      botTokenSecretArn: TOKEN,
      approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
    });
    expect(env).toEqual(interactionEnv);
    expect(parseSlackInteractionConfig(env)).toEqual({
      findingsTableName: 'findings',
      eventBusName: 'bus',
      signingSecretArn: SIGNING,
      botTokenSecretArn: TOKEN,
      approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
    });
  });

  it('has nobody approving when no approvers are set', () => {
    const { SLACK_APPROVERS: _omitted, ...env } = interactionEnv;
    expect(parseSlackInteractionConfig(env).approvers).toEqual([]);
  });

  it.each([
    [{ SLACK_SIGNING_SECRET_ARN: undefined }, 'SLACK_SIGNING_SECRET_ARN: is required'],
    [
      { SLACK_SIGNING_SECRET_ARN: 'my-secret-value' },
      'SLACK_SIGNING_SECRET_ARN: must be a Secrets Manager secret ARN',
    ],
    [{ SLACK_APPROVERS: 'U0123ABCD' }, 'SLACK_APPROVERS: is not valid JSON'],
    [
      { SLACK_APPROVERS: '[{"teamId":"T0123ABCD","userId":"bob"}]' },
      'SLACK_APPROVERS.0.userId: must be a Slack user id like U0123ABCD',
    ],
    [{ FINDINGS_TABLE_NAME: ' ' }, 'FINDINGS_TABLE_NAME: is required'],
    [
      { SLACK_API_URL: 'http://slack.example.com/api/' },
      'SLACK_API_URL: must be an https URL (http only for 127.0.0.1 or localhost)',
    ],
    [{ SLACK_API_URL: 'https://slack.com/api' }, 'SLACK_API_URL: must end with /'],
  ])('names the bad variable: %j', (change, issue) => {
    expect(issues(() => parseSlackInteractionConfig({ ...interactionEnv, ...change }))).toEqual([issue]);
  });

  it('accepts a local stand-in for Slack on the loopback interface', () => {
    expect(
      parseSlackInteractionConfig({ ...interactionEnv, SLACK_API_URL: 'http://127.0.0.1:4567/api/' })
        .slackApiUrl,
    ).toBe('http://127.0.0.1:4567/api/');
  });
});

describe('notify function environment', () => {
  it('parses what the stack writes', () => {
    const env = slackNotifyEnvironment({
      findingsTableName: 'findings',
      botTokenSecretArn: TOKEN,
      channelId: 'C0123ABCD',
      protection: {
        protectedArns: ['arn:aws:iam::123456789012:role/keep-*'],
        breakGlassArns: [],
        ownArns: ['arn:aws:iam::123456789012:role/IamPosture-*'],
      },
      requestTtlHours: 12,
    });
    expect(parseSlackNotifyConfig(env)).toEqual({
      findingsTableName: 'findings',
      botTokenSecretArn: TOKEN,
      channelId: 'C0123ABCD',
      protection: {
        protectedArns: ['arn:aws:iam::123456789012:role/keep-*'],
        breakGlassArns: [],
        ownArns: ['arn:aws:iam::123456789012:role/IamPosture-*'],
      },
      requestTtlHours: 12,
      ownerSlack: {},
    });
  });

  it.each([
    [{ SLACK_CHANNEL_ID: '#security' }, 'SLACK_CHANNEL_ID: must be a Slack channel id like C0123ABCD'],
    [
      { PROTECTED_ARNS: '"arn:aws:iam::1:role/x"' },
      'PROTECTED_ARNS: Invalid input: expected array, received string',
    ],
    [{ REQUEST_TTL_HOURS: '0' }, 'REQUEST_TTL_HOURS: must be at least 1 hour'],
    [{ REQUEST_TTL_HOURS: '1d' }, 'REQUEST_TTL_HOURS: must be a whole number of hours'],
    [{ SLACK_NOTICES_PER_HOUR: 'many' }, 'SLACK_NOTICES_PER_HOUR: must be a whole number of messages'],
    [{ SLACK_NOTICES_PER_HOUR: '5000' }, 'SLACK_NOTICES_PER_HOUR: must be at most 1000'],
    [
      { SLACK_BOT_TOKEN_SECRET_ARN: 'xoxb-123' },
      'SLACK_BOT_TOKEN_SECRET_ARN: must be a Secrets Manager secret ARN',
    ],
  ])('names the bad variable: %j', (change, issue) => {
    expect(issues(() => parseSlackNotifyConfig({ ...notifyEnv, ...change }))).toEqual([issue]);
  });

  it('reads the hourly budget of notify-only messages, 0 included, and leaves it unset by default', () => {
    expect(parseSlackNotifyConfig({ ...notifyEnv, SLACK_NOTICES_PER_HOUR: '0' }).noticesPerHour).toBe(0);
    expect(parseSlackNotifyConfig({ ...notifyEnv, SLACK_NOTICES_PER_HOUR: ' 35 ' }).noticesPerHour).toBe(35);
    expect(parseSlackNotifyConfig(notifyEnv).noticesPerHour).toBeUndefined();
  });
});
