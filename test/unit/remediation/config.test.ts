import { describe, expect, it } from 'vitest';
import {
  parseRemediationFunctionConfig,
  RemediationConfigError,
  remediationFunctionEnvironment,
} from '../../../functions/core/remediation-function-config';
import { ScanSettingsSchema } from '../../../functions/core/settings';

const BASE = { FINDINGS_TABLE_NAME: 'findings', EVENT_BUS_NAME: 'iam-posture' };

function issuesOf(env: Record<string, string | undefined>): string[] {
  try {
    parseRemediationFunctionConfig(env);
  } catch (error) {
    if (error instanceof RemediationConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the environment to be rejected');
}

describe('parseRemediationFunctionConfig', () => {
  it('reads the table, bus, protected principals and settings', () => {
    const config = parseRemediationFunctionConfig({
      ...BASE,
      PROTECTED_ARNS: '["arn:aws:iam::123456789012:role/keep-*"]',
      BREAK_GLASS_ARNS: '["arn:aws:iam::123456789012:user/break-glass"]',
      OWN_ARNS: '["arn:aws:iam::123456789012:role/iam-posture-*"]',
      SCAN_SETTINGS: '{"thresholds":{"roleUnusedDays":30}}',
      SLACK_BOT_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      SLACK_CHANNEL_ID: 'C0123ABCD',
    });
    expect(config).toMatchObject({
      findingsTableName: 'findings',
      eventBusName: 'iam-posture',
      protection: {
        protectedArns: ['arn:aws:iam::123456789012:role/keep-*'],
        breakGlassArns: ['arn:aws:iam::123456789012:user/break-glass'],
        ownArns: ['arn:aws:iam::123456789012:role/iam-posture-*'],
      },
      slack: { channelId: 'C0123ABCD' },
    });
    expect(config.settings.thresholds.roleUnusedDays).toBe(30);
    expect(config.settings.thresholds.accessKeyUnusedDays).toBe(45);
  });

  it('updates Slack messages with the bot token alone, through a local API when given', () => {
    const config = parseRemediationFunctionConfig({
      ...BASE,
      SLACK_BOT_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      SLACK_API_URL: 'http://127.0.0.1:4000/api/',
    });
    expect(config.slack).toEqual({
      botTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      apiUrl: 'http://127.0.0.1:4000/api/',
    });
  });

  it('defaults the optional variables: no extra protected ARNs, default settings, no Slack', () => {
    const config = parseRemediationFunctionConfig(BASE);
    expect(config.protection).toEqual({ protectedArns: [], breakGlassArns: [], ownArns: [] });
    expect(config.settings.thresholds.roleUnusedDays).toBe(90);
    expect(config.slack).toBeUndefined();
    expect(config.member).toBeUndefined();
  });

  it('reads the member remediation role and its external id', () => {
    expect(
      parseRemediationFunctionConfig({
        ...BASE,
        MEMBER_REMEDIATION_ROLE_NAME: 'IamPostureRemediation',
        MEMBER_EXTERNAL_ID: 'ext-0123',
      }).member,
    ).toEqual({ remediationRoleName: 'IamPostureRemediation', externalId: 'ext-0123' });
    // The external id alone (shared with the scanning functions) does not turn member remediation on.
    expect(
      parseRemediationFunctionConfig({ ...BASE, MEMBER_EXTERNAL_ID: 'ext-0123' }).member,
    ).toBeUndefined();
  });

  it.each([
    [{ EVENT_BUS_NAME: 'b' }, 'FINDINGS_TABLE_NAME'],
    [{ ...BASE, PROTECTED_ARNS: 'arn:aws:iam::1:role/x' }, 'PROTECTED_ARNS: is not valid JSON'],
    [{ ...BASE, BREAK_GLASS_ARNS: '"arn"' }, 'BREAK_GLASS_ARNS'],
    [{ ...BASE, OWN_ARNS: '[""]' }, 'OWN_ARNS.0: must not be empty'],
    [
      { ...BASE, SCAN_SETTINGS: '{"thresholds":{"roleUnusedDays":0}}' },
      'SCAN_SETTINGS.thresholds.roleUnusedDays',
    ],
    [{ ...BASE, SCAN_SETTINGS: '{"thresholds":{"roleUnusedDayz":10}}' }, 'SCAN_SETTINGS.thresholds'],
    [
      { ...BASE, SLACK_CHANNEL_ID: 'C0123ABCD' },
      'SLACK_BOT_TOKEN_SECRET_ARN: is required when SLACK_CHANNEL_ID is set',
    ],
    [
      { ...BASE, SLACK_BOT_TOKEN_SECRET_ARN: 'slack-token' },
      'SLACK_BOT_TOKEN_SECRET_ARN: must be a Secrets Manager secret ARN',
    ],
    [{ ...BASE, SLACK_API_URL: 'http://slack.example.com/api/' }, 'SLACK_API_URL: must be an https URL'],
    [{ ...BASE, FINDINGS_TABLE_NAME: '  ' }, 'FINDINGS_TABLE_NAME: is required'],
    [
      { ...BASE, MEMBER_REMEDIATION_ROLE_NAME: 'role/with/slash' },
      'MEMBER_REMEDIATION_ROLE_NAME: must be an IAM role name',
    ],
    [
      { ...BASE, MEMBER_REMEDIATION_ROLE_NAME: 'R', MEMBER_EXTERNAL_ID: 'x' },
      'MEMBER_EXTERNAL_ID: must be 2-1224',
    ],
  ])('names the bad variable (%j)', (env, expected) => {
    expect(issuesOf(env).join('; ')).toContain(expected);
  });

  it('reads back exactly the environment the stack writes', () => {
    const settings = ScanSettingsSchema.parse({
      thresholds: { accessKeyUnusedDays: 30 },
      disabledRules: ['secret-unused'],
    });
    const input = {
      findingsTableName: 'findings',
      eventBusName: 'bus',
      protectedArns: ['arn:aws:iam::123456789012:role/keep'],
      breakGlassArns: ['arn:aws:iam::123456789012:user/glass'],
      ownArns: ['arn:aws:iam::123456789012:role/iam-posture-*'],
      settings,
      slack: {
        botTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbCdEf',
        channelId: 'C0123ABCD',
      },
      member: { remediationRoleName: 'IamPostureRemediation', externalId: 'ext-0123' },
      quarantinePolicyArn: 'arn:aws:iam::123456789012:policy/iam-posture-quarantine',
      rotationFunctions: ['arn:aws:lambda:eu-west-1:123456789012:function:rotate-*'],
    };
    expect(parseRemediationFunctionConfig(remediationFunctionEnvironment(input))).toEqual({
      findingsTableName: 'findings',
      eventBusName: 'bus',
      protection: {
        protectedArns: input.protectedArns,
        breakGlassArns: input.breakGlassArns,
        ownArns: input.ownArns,
      },
      settings,
      slack: input.slack,
      member: input.member,
      quarantinePolicyArn: input.quarantinePolicyArn,
      rotationFunctions: input.rotationFunctions,
    });
  });

  it('reads the rollback function’s member role, and fails closed without quarantine or rotation settings', () => {
    const env = remediationFunctionEnvironment({
      findingsTableName: 'findings',
      eventBusName: 'bus',
      protectedArns: [],
      breakGlassArns: [],
      ownArns: [],
      settings: ScanSettingsSchema.parse({}),
      memberRollback: { rollbackRoleName: 'IamPostureRollback' },
    });
    expect(env.MEMBER_ROLLBACK_ROLE_NAME).toBe('IamPostureRollback');
    expect(env.MEMBER_REMEDIATION_ROLE_NAME).toBeUndefined();
    const config = parseRemediationFunctionConfig(env);
    expect(config.memberRollback).toEqual({ rollbackRoleName: 'IamPostureRollback' });
    expect(config.member).toBeUndefined();
    expect(config.quarantinePolicyArn).toBeUndefined();
    expect(config.rotationFunctions).toEqual([]);
  });

  it('names the variable of a bad quarantine policy or rotation function', () => {
    const base = { FINDINGS_TABLE_NAME: 't', EVENT_BUS_NAME: 'b' };
    expect(() =>
      parseRemediationFunctionConfig({ ...base, QUARANTINE_POLICY_ARN: 'AdministratorAccess' }),
    ).toThrow(/QUARANTINE_POLICY_ARN: must be a customer managed policy ARN/);
    expect(() =>
      parseRemediationFunctionConfig({
        ...base,
        ROTATION_FUNCTIONS: JSON.stringify(['arn:aws:lambda:*:123456789012:function:*']),
      }),
    ).toThrow(/ROTATION_FUNCTIONS\.0: must be a Lambda function ARN/);
  });
});
