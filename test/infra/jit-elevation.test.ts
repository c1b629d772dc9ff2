import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINDINGS_TABLE } from '../../functions/core/findings-table';
import { JIT_FUNCTION_EVENTS, JIT_SCHEDULE_GROUP } from '../../functions/core/jit-elevation-function-config';
import { wildcardMatcher } from '../../functions/core/policy/wildcard';
import { DataKey } from '../../lib/constructs/data-key';
import { FindingsEventBus } from '../../lib/constructs/findings-event-bus';
import { FindingsTable } from '../../lib/constructs/findings-table';
import {
  eligibleResourcePatterns,
  JitElevation,
  type JitProfileScope,
} from '../../lib/constructs/jit-elevation';
import { OperationalAlarms } from '../../lib/constructs/operational-alarms';
import { logicalId, nagViolations } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const PROFILES: JitProfileScope[] = [
  {
    name: 'ops-admin',
    eligible: ['arn:aws:iam::111122223333:role/ops/**', 'arn:aws:iam::111122223333:user/alice'],
  },
  {
    name: 'read-billing',
    eligible: ['arn:aws:iam::111122223333:role/ci-*'],
    managedPolicyArn: 'arn:aws:iam::aws:policy/job-function/Billing',
  },
];

interface Built {
  app: App;
  stack: Stack;
  jit: JitElevation;
  template: Template;
}

function build(
  profiles: JitProfileScope[] = PROFILES,
  options: { tracing?: boolean; env?: { account: string; region: string } } = {},
): Built {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'JitProbe', options.env ? { env: options.env } : {});
  const dataKey = new DataKey(stack, 'DataKey');
  const table = new FindingsTable(stack, 'Findings', {
    definition: FINDINGS_TABLE,
    encryptionKey: dataKey.key,
  });
  const bus = new FindingsEventBus(stack, 'Events');
  const alarms = new OperationalAlarms(stack, 'Alarms', { dataKey });
  const jit = new JitElevation(stack, 'Jit', {
    table,
    bus: bus.bus,
    alarms,
    profiles,
    jitEnvironment: { JIT_PROFILES: '[]' },
    ownRoles: [`arn:${stack.partition}:iam::${stack.account}:role/JitProbe-*`],
    config: { logRetentionDays: 30, tracing: options.tracing ?? false },
  });
  return { app, stack, jit, template: Template.fromStack(stack) };
}

function statementsOf(built: Built, roleLogicalId: string): Statement[] {
  const policies = built.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

/**
 * IAM's decision for one action on one ARN under these statements, for statements whose
 * resources are literal strings (a token resource never matches a literal principal ARN).
 */
function decide(
  statements: Statement[],
  action: string,
  arn: string,
): 'allowed' | 'denied' | 'implicit-deny' {
  const matches = (s: Statement) =>
    asArray(s.Action).some((a) => wildcardMatcher(a.toLowerCase())(action.toLowerCase())) &&
    asArray(s.Resource).some((r) => typeof r === 'string' && wildcardMatcher(r)(arn));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return 'denied';
  return statements.some((s) => s.Effect === 'Allow' && !s.Condition && matches(s))
    ? 'allowed'
    : 'implicit-deny';
}

describe('eligibleResourcePatterns', () => {
  it.each([
    [['arn:aws:iam::111122223333:role/ops/**'], ['arn:aws:iam::111122223333:role/ops/*'], []],
    [['arn:aws:iam::111122223333:role/a-*/b'], ['arn:aws:iam::111122223333:role/a-*/b'], []],
    [['arn:aws:iam::111122223333:user/alice'], [], ['arn:aws:iam::111122223333:user/alice']],
    [['arn:aws:iam::111122223333:**'], ['arn:aws:iam::111122223333:*'], ['arn:aws:iam::111122223333:*']],
    [['arn:aws:iam::111122223333:r*'], ['arn:aws:iam::111122223333:r*'], []],
    [
      ['arn:aws:iam::111122223333:role/x', 'arn:aws:iam::111122223333:role/x'],
      ['arn:aws:iam::111122223333:role/x'],
      [],
    ],
  ])('translates %j to roles %j and users %j', (globs, roles, users) => {
    expect(eligibleResourcePatterns(globs)).toEqual({ roles, users });
  });

  it('refuses a pattern that is not an IAM ARN, naming it', () => {
    expect(() => eligibleResourcePatterns(['arn:aws:s3:::bucket'])).toThrow(
      'jit profile eligible pattern arn:aws:s3:::bucket is not an IAM ARN pattern',
    );
  });

  it('refuses a pattern that can match neither a role nor a user', () => {
    expect(() => eligibleResourcePatterns(['arn:aws:iam::111122223333:group/admins'])).toThrow(
      'matches neither roles nor users',
    );
  });
});

describe('the JIT elevation construct', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  }, 120_000);

  const jitStatements = () => statementsOf(built, logicalId(built.jit.role));

  it('may put, read, list and delete inline policies only on the profiles’ eligible principals', () => {
    const statements = jitStatements();
    const roleActions = [
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:GetRolePolicy',
      'iam:ListRolePolicies',
    ];
    const userActions = [
      'iam:PutUserPolicy',
      'iam:DeleteUserPolicy',
      'iam:GetUserPolicy',
      'iam:ListUserPolicies',
    ];
    for (const action of roleActions) {
      expect(decide(statements, action, 'arn:aws:iam::111122223333:role/ops/deploy'), action).toBe('allowed');
      expect(decide(statements, action, 'arn:aws:iam::111122223333:role/ops/team/deep'), action).toBe(
        'allowed',
      );
      expect(decide(statements, action, 'arn:aws:iam::111122223333:role/ci-build'), action).toBe('allowed');
      expect(decide(statements, action, 'arn:aws:iam::111122223333:role/other'), action).toBe(
        'implicit-deny',
      );
      expect(decide(statements, action, 'arn:aws:iam::111122223333:role/opsx'), action).toBe('implicit-deny');
      expect(decide(statements, action, 'arn:aws:iam::444455556666:role/ops/deploy'), action).toBe(
        'implicit-deny',
      );
    }
    for (const action of userActions) {
      expect(decide(statements, action, 'arn:aws:iam::111122223333:user/alice'), action).toBe('allowed');
      expect(decide(statements, action, 'arn:aws:iam::111122223333:user/bob'), action).toBe('implicit-deny');
      expect(decide(statements, action, 'arn:aws:iam::111122223333:role/ops/deploy'), action).toBe(
        'implicit-deny',
      );
    }
    // A role action on a user and a user action on a role are not allowed either.
    expect(decide(statements, 'iam:PutRolePolicy', 'arn:aws:iam::111122223333:user/alice')).toBe(
      'implicit-deny',
    );
  });

  it('holds no IAM action besides the inline-policy ones, the managed policy reads and PassRole', () => {
    const iamActions = jitStatements()
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => asArray(s.Action))
      .filter((a) => a.startsWith('iam:'));
    expect([...new Set(iamActions)].sort()).toEqual([
      'iam:DeleteRolePolicy',
      'iam:DeleteUserPolicy',
      'iam:GetPolicy',
      'iam:GetPolicyVersion',
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:GetUser',
      'iam:GetUserPolicy',
      'iam:ListRolePolicies',
      'iam:ListUserPolicies',
      'iam:PassRole',
      'iam:PutRolePolicy',
      'iam:PutUserPolicy',
    ]);
    expect(iamActions.filter((a) => /^iam:(Attach|Create|Detach|Update|Tag|Add|Remove|Set)/.test(a))).toEqual(
      [],
    );
    expect(iamActions.filter((a) => a.startsWith('iam:Delete') && !a.endsWith('Policy'))).toEqual([]);
    expect(iamActions.filter((a) => a.includes('*'))).toEqual([]);
    const allActions = jitStatements().flatMap((s) => asArray(s.Action));
    expect(allActions.filter((a) => a.endsWith(':*') || a === '*')).toEqual([]);
  });

  it('reads only the profiles’ managed policies', () => {
    const reads = jitStatements().filter((s) => asArray(s.Action).includes('iam:GetPolicyVersion'));
    expect(reads).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
        Resource: 'arn:aws:iam::aws:policy/job-function/Billing',
      }),
    ]);
  });

  it('has no managed policy read at all when no profile uses one', () => {
    const plain = build([{ name: 'p', eligible: ['arn:aws:iam::111122223333:role/app'] }]);
    const actions = statementsOf(plain, logicalId(plain.jit.role)).flatMap((s) => asArray(s.Action));
    expect(actions).not.toContain('iam:GetPolicyVersion');
    expect(actions.filter((a) => a.includes('User'))).toEqual([]);
  });

  it('denies the grant writes on iam-posture’s own roles, whatever a profile covers', () => {
    const broad = build([{ name: 'everyone', eligible: ['arn:aws:iam::111122223333:role/**'] }]);
    const statements = statementsOf(broad, logicalId(broad.jit.role));
    const deny = statements.find((s) => s.Sid === 'NeverGrantOwnRoles');
    expect(deny?.Effect).toBe('Deny');
    expect(asArray(deny!.Action).sort()).toEqual(['iam:DeleteRolePolicy', 'iam:PutRolePolicy']);
    expect(JSON.stringify(deny!.Resource)).toContain(':role/JitProbe-*');
  });

  it('manages schedules only in its own schedule group, and passes only the scheduler role to Scheduler', () => {
    const statements = jitStatements();
    const scheduling = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('scheduler:')));
    expect(scheduling).toHaveLength(1);
    expect(asArray(scheduling[0]!.Action).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
      'scheduler:UpdateSchedule',
    ]);
    expect(JSON.stringify(scheduling[0]!.Resource)).toContain(`:schedule/${JIT_SCHEDULE_GROUP}/*`);
    const pass = statements.filter((s) => asArray(s.Action).includes('iam:PassRole'));
    expect(pass).toEqual([
      {
        Sid: 'PassSchedulerRoleToScheduler',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [logicalId(built.jit.schedulerRole), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    built.template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: JIT_SCHEDULE_GROUP });
  });

  it('gives the scheduler role the JIT function and the dead-letter queue, nothing else', () => {
    const statements = statementsOf(built, logicalId(built.jit.schedulerRole));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(built.jit.function), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalId(built.jit.deadLetterQueue.queue), 'Arn'] },
      },
    ]);
    const role = built.template.toJSON().Resources[logicalId(built.jit.schedulerRole)].Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('reads and moves grants in the table, publishes on the bus, and nothing else beyond logs', () => {
    const statements = jitStatements();
    const services = [
      ...new Set(
        statements
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => asArray(s.Action).map((a) => a.split(':')[0])),
      ),
    ].sort();
    expect(services).toEqual(['dynamodb', 'events', 'iam', 'kms', 'logs', 'scheduler', 'sqs']);
    const dynamo = statements.flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(
      built.template.toJSON().Resources[logicalId(built.jit.role)].Properties.ManagedPolicyArns,
    ).toBeUndefined();
  });

  it('runs the JIT handler with its schedule target, group, role and queue in its environment', () => {
    const fn = built.template.toJSON().Resources[logicalId(built.jit.function)].Properties;
    expect(fn.Environment.Variables).toMatchObject({
      JIT_PROFILES: '[]',
      FINDINGS_TABLE_NAME: { Ref: logicalId(built.stack.node.findChild('Findings').node.findChild('Table')) },
      JIT_SCHEDULE_GROUP,
      JIT_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [logicalId(built.jit.schedulerRole), 'Arn'] },
      JIT_DEAD_LETTER_ARN: { 'Fn::GetAtt': [logicalId(built.jit.deadLetterQueue.queue), 'Arn'] },
      POWERTOOLS_SERVICE_NAME: 'iam-posture-jit',
    });
    expect(fn.Environment.Variables.SLACK_BOT_TOKEN_SECRET_ARN).toBeUndefined();
    expect(fn.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(fn.DeadLetterConfig).toEqual({
      TargetArn: { 'Fn::GetAtt': [logicalId(built.jit.deadLetterQueue.queue), 'Arn'] },
    });
    built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(built.jit.function) },
      MaximumRetryAttempts: 2,
    });
  });

  it('takes the approval, revoke-request and announced events from the findings bus', () => {
    const rule = built.template.toJSON().Resources[logicalId(built.jit.eventsRule)].Properties;
    expect(rule.EventPattern).toEqual({ source: ['iam-posture'], 'detail-type': [...JIT_FUNCTION_EVENTS] });
    expect(rule.EventPattern['detail-type']).toEqual(
      expect.arrayContaining(['ElevationApproved', 'ElevationRevokeRequested', 'ElevationGranted']),
    );
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(built.jit.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(built.jit.deadLetterQueue.queue), 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 4 },
      }),
    ]);
  });

  it('reconciles every hour through a rule outside the schedule group', () => {
    const rule = built.template.toJSON().Resources[logicalId(built.jit.reconcileRule)].Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.Targets).toHaveLength(1);
    expect(JSON.parse(rule.Targets[0].Input)).toEqual({ action: 'reconcile' });
  });

  it('has a TLS-only encrypted dead-letter queue, alarmed, as are the function’s errors', () => {
    const queue = built.template.toJSON().Resources[logicalId(built.jit.deadLetterQueue.queue)].Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    const queuePolicies = built.template.findResources('AWS::SQS::QueuePolicy');
    expect(JSON.stringify(queuePolicies)).toContain('aws:SecureTransport');
    const alarms = Object.values(built.template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a.Properties as Json).AlarmDescription as string,
    );
    expect(alarms.filter((d) => d.startsWith('Jit:')).length).toBeGreaterThanOrEqual(3);
    expect(alarms.some((d) => d.startsWith('Jit: a message is waiting in the dead-letter queue'))).toBe(true);
  });

  it('is cdk-nag clean, with or without tracing, in an environment-agnostic or a pinned stack', () => {
    expect(nagViolations(built.app)).toEqual([]);
    expect(nagViolations(build(PROFILES, { tracing: true }).app)).toEqual([]);
    const pinned = build(PROFILES, { env: { account: '111122223333', region: 'eu-west-1' } });
    expect(nagViolations(pinned.app)).toEqual([]);
  });

  it('refuses to be built without a profile', () => {
    expect(() => build([])).toThrow('just-in-time elevation needs at least one profile');
  });
});
