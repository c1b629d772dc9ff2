import { beforeAll, describe, expect, it } from 'vitest';
import { JIT_SCHEDULE_GROUP } from '../../functions/core/jit-elevation-function-config';
import {
  acknowledgements,
  logicalId,
  nagViolations,
  roleStatements,
  type Synthesized,
  synthesize,
} from './synth';

type Json = Record<string, unknown>;
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const APPROVER = { teamId: 'T0123ABCD', userId: 'U0123ABCD' };
const SECOND_APPROVER = { teamId: 'T0123ABCD', userId: 'U0456EFGH' };

/** Slack, and two profiles: inline statements for roles by glob, a managed policy for one user. */
const JIT_CONFIG = {
  slackChannelId: 'C0123ABCD',
  approvers: [APPROVER],
  jit: {
    profiles: [
      {
        name: 'ops-write',
        description: 'Write to the ops buckets',
        statements: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::ops-*/*' }],
        eligible: ['arn:aws:iam::111122223333:role/ops/**'],
        maxDuration: '2h',
        approvers: [APPROVER],
      },
      {
        name: 'billing',
        managedPolicyArn: 'arn:aws:iam::aws:policy/job-function/Billing',
        eligible: ['arn:aws:iam::111122223333:user/alice'],
        approvers: [APPROVER, SECOND_APPROVER],
        approvals: 2,
        breakGlass: { maxDuration: '30m' },
      },
    ],
  },
};

describe('just-in-time elevation in the stack', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(JIT_CONFIG, { bundle: false });
  }, 120_000);

  const parts = () => {
    const { jit, slack } = synth.stack;
    if (!jit || !slack) throw new Error('just-in-time elevation is not in the stack');
    return { jit, slack };
  };

  it('is not deployed without profiles', () => {
    const plain = synthesize({ slackChannelId: 'C0123ABCD', approvers: [APPROVER] }, { bundle: false });
    expect(plain.stack.jit).toBeUndefined();
    plain.template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    const interaction =
      plain.template.toJSON().Resources[logicalId(plain.stack.slack!.interaction)].Properties;
    expect(interaction.Environment.Variables.JIT_PROFILES).toBeUndefined();
  });

  it('fails synth when profiles are configured without Slack, saying why', () => {
    expect(() => synthesize({ jit: JIT_CONFIG.jit }, { bundle: false })).toThrow(
      'jit.profiles needs slackChannelId: elevations are requested and approved in Slack',
    );
  });

  it('fails synth on a bad profile, naming its path', () => {
    const bad = {
      ...JIT_CONFIG,
      jit: {
        profiles: [{ ...JIT_CONFIG.jit.profiles[0], eligible: ['arn:aws:iam::111122223333:group/ops'] }],
      },
    };
    expect(() => synthesize(bad, { bundle: false })).toThrow(/jit\.profiles\.0\.eligible\.0/);
  });

  it('bounds the JIT role to the configured profiles', () => {
    const { jit } = parts();
    const statements = roleStatements(synth.template, logicalId(jit.role));
    const resourcesOf = (action: string) =>
      statements
        .filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action))
        .flatMap((s) => asArray(s.Resource));
    expect(resourcesOf('iam:PutRolePolicy')).toEqual(['arn:aws:iam::111122223333:role/ops/*']);
    expect(resourcesOf('iam:PutUserPolicy')).toEqual(['arn:aws:iam::111122223333:user/alice']);
    expect(resourcesOf('iam:GetPolicyVersion')).toEqual(['arn:aws:iam::aws:policy/job-function/Billing']);
    synth.template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: JIT_SCHEDULE_GROUP });
  });

  it('gives the JIT function the profiles, with the Slack channel when jit.channelId is not set', () => {
    const { jit, slack } = parts();
    const vars = synth.template.toJSON().Resources[logicalId(jit.function)].Properties.Environment.Variables;
    const profiles = JSON.parse(vars.JIT_PROFILES) as { name: string; maxMinutes: number }[];
    expect(profiles.map((p) => [p.name, p.maxMinutes])).toEqual([
      ['ops-write', 120],
      ['billing', 240],
    ]);
    expect(vars).toMatchObject({
      JIT_CHANNEL_ID: 'C0123ABCD',
      JIT_SLASH_COMMAND: '/elevate',
      JIT_REQUEST_TTL_MINUTES: '60',
      SLACK_BOT_TOKEN_SECRET_ARN: { Ref: logicalId(slack.botToken) },
      EVENT_BUS_NAME: { Ref: logicalId(synth.stack.events.bus) },
    });
  });

  it('lets the scan read the just-in-time state, and the notifier and remediation plan conversions', () => {
    const resources = synth.template.toJSON().Resources;
    const vars = (fn: Parameters<typeof logicalId>[0]) =>
      resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
    expect(vars(synth.stack.scan.function).READ_JIT_STATE).toBe('true');
    const { slack } = parts();
    for (const fn of [slack.notify, synth.stack.remediation!.function]) {
      expect((JSON.parse(vars(fn).JIT_PROFILES as string) as { name: string }[]).map((p) => p.name)).toEqual([
        'ops-write',
        'billing',
      ]);
    }
    const scanner = roleStatements(synth.template, logicalId(synth.stack.scannerRole.role));
    const batchGet = scanner.filter((s) => asArray(s.Action).includes('dynamodb:BatchGetItem'));
    expect(batchGet).toHaveLength(1);
    expect(asArray(batchGet[0]!.Action).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    const plain = synthesize({ slackChannelId: 'C0123ABCD', approvers: [APPROVER] }, { bundle: false });
    const plainScan = plain.template.toJSON().Resources[logicalId(plain.stack.scan.function)].Properties;
    expect(plainScan.Environment.Variables.READ_JIT_STATE).toBeUndefined();
  });

  it('takes jit.channelId over slackChannelId', () => {
    const other = synthesize(
      { ...JIT_CONFIG, jit: { ...JIT_CONFIG.jit, channelId: 'C0999ZZZZ' } },
      { bundle: false },
    );
    const vars =
      other.template.toJSON().Resources[logicalId(other.stack.jit!.function)].Properties.Environment
        .Variables;
    expect(vars.JIT_CHANNEL_ID).toBe('C0999ZZZZ');
  });

  it('gives the interaction endpoint the same profiles, the request writes and IAM reads only', () => {
    const { jit, slack } = parts();
    const resources = synth.template.toJSON().Resources;
    const interaction = resources[logicalId(slack.interaction)].Properties.Environment.Variables;
    const fn = resources[logicalId(jit.function)].Properties.Environment.Variables;
    for (const key of ['JIT_PROFILES', 'JIT_CHANNEL_ID', 'JIT_SLASH_COMMAND', 'JIT_REQUEST_TTL_MINUTES']) {
      expect(interaction[key], key).toEqual(fn[key]);
    }
    const statements = roleStatements(synth.template, logicalId(slack.interactionRole));
    const allowed = statements.filter((s) => s.Effect === 'Allow');
    const actions = allowed.flatMap((s) => asArray(s.Action));
    expect(actions.filter((a) => a.startsWith('scheduler:'))).toEqual([]);
    // A request checks the principal, its inline policies and the managed policy; it never writes IAM.
    expect([...new Set(actions.filter((a) => a.startsWith('iam:')))].sort()).toEqual([
      'iam:GetPolicy',
      'iam:GetPolicyVersion',
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:GetUser',
      'iam:GetUserPolicy',
      'iam:ListRolePolicies',
      'iam:ListUserPolicies',
    ]);
    const resourcesOf = (action: string) =>
      allowed.filter((s) => asArray(s.Action).includes(action)).flatMap((s) => asArray(s.Resource));
    expect(resourcesOf('iam:GetRolePolicy')).toEqual(['arn:aws:iam::111122223333:role/ops/*']);
    expect(resourcesOf('iam:GetUserPolicy')).toEqual(['arn:aws:iam::111122223333:user/alice']);
    expect(resourcesOf('iam:GetPolicyVersion')).toEqual(['arn:aws:iam::aws:policy/job-function/Billing']);
    expect([...new Set(actions.filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const table = logicalId(synth.stack.findings.table);
    for (const statement of statements.filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('dynamodb:')),
    )) {
      expect(JSON.stringify(statement.Resource)).toContain(table);
    }
  });

  it('alarms on the JIT function and its dead-letter queue', () => {
    const descriptions = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a.Properties as Json).AlarmDescription as string,
    );
    expect(descriptions.filter((d) => d.startsWith('Jit: ')).sort()).toEqual([
      expect.stringContaining('Jit: a message is waiting in the dead-letter queue'),
      expect.stringContaining('Jit: invocations were throttled'),
      expect.stringContaining('Jit: the function failed'),
    ]);
  });

  it('outputs the JIT function and role', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.JitFunctionName?.Value).toEqual({ Ref: logicalId(parts().jit.function) });
    expect(outputs.JitRoleArn?.Value).toEqual({ 'Fn::GetAtt': [logicalId(parts().jit.role), 'Arn'] });
  });

  it('is cdk-nag clean, each acknowledgement of the JIT construct with a precise reason', () => {
    expect(nagViolations(synth.app)).toEqual([]);
    const jitAcks = acknowledgements(synth.app)
      .filter((a) => a.path.startsWith('IamPosture/Jit/'))
      .map((a) => `${a.path} ${a.id}`)
      .sort();
    expect(jitAcks).toEqual(
      [
        'IamPosture/Jit/DeadLetters/Queue AwsSolutions-SQS3',
        'IamPosture/Jit/GrantPolicies AwsSolutions-IAM5[Resource::arn:aws:iam::111122223333:role/ops/*]',
        `IamPosture/Jit/GrantPolicies AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${JIT_SCHEDULE_GROUP}/*]`,
        'IamPosture/Jit/RequestReads AwsSolutions-IAM5[Resource::arn:aws:iam::111122223333:role/ops/*]',
        'IamPosture/Jit/Role AwsSolutions-IAM5[Resource::<FindingsTableBD064B5B.Arn>/index/*]',
      ].sort(),
    );
    const reasons = acknowledgements(synth.app).filter((a) => a.id.includes('role/ops/*'));
    expect(reasons.map((a) => a.reason)).toEqual([
      expect.stringContaining('JIT profile ops-write'),
      expect.stringContaining('JIT profile ops-write'),
    ]);
  });
});
