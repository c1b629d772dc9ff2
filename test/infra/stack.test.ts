import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINDINGS_TABLE, SCAN_FUNCTION_TABLE_ACTIONS } from '../../functions/core/findings-table';
import { parseScanFunctionConfig } from '../../functions/core/scan-function-config';
import { SCANNER_ACTIONS } from '../../functions/core/scanner-permissions';
import { ScanSettingsSchema } from '../../functions/core/settings';
import { logicalId, type Synthesized, synthesize } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: Json;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The policies (type AWS::IAM::Policy) attached to a role, by logical id. */
function policiesOf(synth: Synthesized, roleLogicalId: string): Record<string, { Statement: Statement[] }> {
  const policies = synth.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.fromEntries(
    Object.entries(policies).map(([id, policy]) => [id, (policy.Properties as Json).PolicyDocument as never]),
  );
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => asArray(s.Action));

/**
 * Read-level verbs. `Generate*` is a write verb in general; the two IAM report generators the
 * collector uses are classified "Read" by the Service Authorization Reference and listed by name.
 */
const READ_ACTION = /^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]+$/;
const READ_LEVEL_GENERATORS = ['iam:GenerateCredentialReport', 'iam:GenerateServiceLastAccessedDetails'];

describe('the deployed stack (default config, real esbuild bundle)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  }, 120_000);

  describe('scan function', () => {
    it('runs Node.js 22 or newer on ARM64 with a bounded timeout, memory and concurrency', () => {
      const functions = synth.template.findResources('AWS::Lambda::Function');
      expect(Object.keys(functions)).toHaveLength(1);
      const props = Object.values(functions)[0]!.Properties as Json;
      const version = Number(/^nodejs(\d+)\.x$/.exec(props.Runtime as string)?.[1]);
      expect(version).toBeGreaterThanOrEqual(22);
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Timeout).toBe(900);
      expect(props.MemorySize).toBe(1024);
      expect(props.ReservedConcurrentExecutions).toBe(1);
      expect(props.Handler).toBe('index.handler');
    });

    it('sets the environment the scan handler parses, with Powertools configured', () => {
      const fn = synth.stack.scan.function;
      const props = synth.template.toJSON().Resources[logicalId(fn)].Properties;
      const env = props.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(env).sort()).toEqual(
        [
          'EVENT_BUS_NAME',
          'FINDINGS_TABLE_NAME',
          'POWERTOOLS_LOG_LEVEL',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_SERVICE_NAME',
          'RESOLVED_TTL_DAYS',
          'SCAN_SETTINGS',
          'SECRETS_REGIONS',
          'SERVICE_LAST_ACCESSED_MAX_JOBS',
        ].sort(),
      );
      expect(env.SERVICE_LAST_ACCESSED_MAX_JOBS).toBe('100');
      expect(env.FINDINGS_TABLE_NAME).toEqual({ Ref: logicalId(synth.stack.findings.table) });
      expect(env.EVENT_BUS_NAME).toEqual({ Ref: logicalId(synth.stack.events.bus) });
      // No secretsRegions configured: the region the stack is deployed to.
      expect(env.SECRETS_REGIONS).toEqual({ Ref: 'AWS::Region' });
      expect(env.RESOLVED_TTL_DAYS).toBe('90');
      expect(env.POWERTOOLS_SERVICE_NAME).toBe('iam-posture-scan');
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('IamPosture');
      expect(ScanSettingsSchema.parse(JSON.parse(env.SCAN_SETTINGS as string))).toEqual(
        ScanSettingsSchema.parse({}),
      );
    });

    it('sets an environment the scan function accepts, once CloudFormation resolves the references', () => {
      const env = resolvedEnvironment(synth);
      expect(parseScanFunctionConfig(env)).toEqual({
        findingsTableName: 'IamPosture-FindingsTable-1ABC',
        eventBusName: 'IamPostureEventsBus',
        secretsRegions: ['eu-west-1'],
        settings: ScanSettingsSchema.parse({}),
        resolvedTtlDays: 90,
        serviceLastAccessedMaxJobs: 100,
        readJitState: false,
      });
    });

    it('writes to its own log group, kept 90 days by default', () => {
      const fn = synth.template.toJSON().Resources[logicalId(synth.stack.scan.function)].Properties;
      const logGroupId = fn.LoggingConfig.LogGroup.Ref as string;
      synth.template.hasResource('AWS::Logs::LogGroup', {
        Properties: { RetentionInDays: 90 },
      });
      expect(synth.template.toJSON().Resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
      expect(synth.template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(90);
      expect(fn.LoggingConfig.LogFormat).toBe('JSON');
    });

    it('sends asynchronous invocations that failed their retry to an encrypted, TLS-only dead-letter queue', () => {
      const fn = synth.template.toJSON().Resources[logicalId(synth.stack.scan.function)].Properties;
      const dlqId = logicalId(synth.stack.scan.deadLetterQueue.queue);
      expect(fn.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } });
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(synth.stack.scan.function) },
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 7200,
      });
      expectEncryptedTlsOnlyQueue(synth, dlqId);
    });

    it('is one ES module bundled by esbuild, exporting the handler, with the AWS SDK inside', () => {
      const fn = synth.template.toJSON().Resources[logicalId(synth.stack.scan.function)].Properties;
      const hash = /^([0-9a-f]{64})\.zip$/.exec(fn.Code.S3Key as string)?.[1];
      expect(hash).toBeDefined();
      const bundle = join(synth.outdir, `asset.${hash}`, 'index.mjs');
      const code = readFileSync(bundle, 'utf8');
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      // The SDK is inside the bundle (the versions the tests ran), not imported from the runtime's copy.
      expect(code).toContain('GetAccountAuthorizationDetails');
      expect(code).not.toMatch(/(from|import\(|require\()\s*"(@aws-sdk\/client-|@smithy\/|zod")/);
      // The size budget (1.5 MB) is measured and reported by scripts/bench-bundles.mjs.
      expect(statSync(bundle).size).toBeGreaterThan(100_000);
    });
  });

  describe('scanner role', () => {
    const roleId = () => logicalId(synth.stack.scannerRole.role);

    it('can be assumed by Lambda only', () => {
      const role = synth.template.toJSON().Resources[roleId()].Properties;
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();
    });

    it("holds exactly the collector's actions in its CollectorRead policy", () => {
      const collector = policiesOf(synth, roleId())[logicalId(synth.stack.scannerRole.collectorPolicy)];
      expect(collector).toBeDefined();
      const actions = actionsOf(collector!.Statement);
      expect([...actions].sort()).toEqual([...SCANNER_ACTIONS].sort());
      expect(new Set(actions).size).toBe(actions.length);
      expect(collector!.Statement.every((s) => s.Effect === 'Allow' && s.Condition === undefined)).toBe(true);
    });

    it('scopes the collector actions that have a resource type, and uses "*" only for those without', () => {
      const collector = policiesOf(synth, roleId())[logicalId(synth.stack.scannerRole.collectorPolicy)]!;
      const resourcesOf = (action: string) =>
        collector.Statement.filter((s) => asArray(s.Action).includes(action)).flatMap((s) =>
          asArray(s.Resource),
        );
      const arn = (suffix: string) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, suffix]],
      });
      expect(resourcesOf('iam:ListAccessKeys')).toEqual([arn(':user/*')]);
      expect(resourcesOf('iam:GenerateServiceLastAccessedDetails')).toEqual([
        arn(':role/*'),
        arn(':user/*'),
        arn(':group/*'),
      ]);
      expect(resourcesOf('secretsmanager:GetResourcePolicy')).toEqual([
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:*:', { Ref: 'AWS::AccountId' }, ':secret:*'],
          ],
        },
      ]);
      for (const action of [
        'iam:GetAccountAuthorizationDetails',
        'iam:GenerateCredentialReport',
        'iam:GetCredentialReport',
        'iam:GetServiceLastAccessedDetails',
        'iam:ListServerCertificates',
        'secretsmanager:ListSecrets',
        'sts:GetCallerIdentity',
        'ec2:DescribeRegions',
      ]) {
        expect(resourcesOf(action), action).toEqual(['*']);
      }
    });

    it('has no write action on identities or secrets, no GetSecretValue and no wildcard action', () => {
      const all = Object.values(policiesOf(synth, roleId())).flatMap((p) => actionsOf(p.Statement));
      expect(all.length).toBeGreaterThan(SCANNER_ACTIONS.length);
      expect(all).not.toContain('secretsmanager:GetSecretValue');
      expect(all.filter((a) => a.includes('*'))).toEqual([]);
      const onIdentities = all.filter((a) => /^(iam|sts|secretsmanager|ec2|organizations):/.test(a));
      const writes = onIdentities.filter((a) => !READ_ACTION.test(a) && !READ_LEVEL_GENERATORS.includes(a));
      expect(writes).toEqual([]);
    });

    it('writes only to its own table, bus, log group and dead-letter queue, never on "*"', () => {
      const policies = policiesOf(synth, roleId());
      const others = Object.entries(policies)
        .filter(([id]) => id !== logicalId(synth.stack.scannerRole.collectorPolicy))
        .flatMap(([, p]) => p.Statement);
      expect(others.flatMap((s) => asArray(s.Resource))).not.toContain('*');

      const tableId = logicalId(synth.stack.findings.table);
      const byActions = new Map(others.map((s) => [asArray(s.Action).sort().join(' '), s]));
      expect([...byActions.keys()].sort()).toEqual(
        [
          [...SCAN_FUNCTION_TABLE_ACTIONS].sort().join(' '),
          'kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey',
          'events:PutEvents',
          'logs:CreateLogStream logs:PutLogEvents',
          'sqs:SendMessage',
        ].sort(),
      );
      expect(byActions.get([...SCAN_FUNCTION_TABLE_ACTIONS].sort().join(' '))!.Resource).toEqual({
        'Fn::GetAtt': [tableId, 'Arn'],
      });
      // The construct grants the list the scan function declares; it reads and writes items, never more.
      expect(
        SCAN_FUNCTION_TABLE_ACTIONS.filter(
          (a) => !/^dynamodb:(Get|Put|Update|BatchWrite)Item$|^dynamodb:Query$/.test(a),
        ),
      ).toEqual([]);
      const kms = byActions.get('kms:Decrypt kms:DescribeKey kms:Encrypt kms:GenerateDataKey')!;
      expect(kms.Resource).toEqual({ 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] });
      expect(kms.Condition).toEqual({
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      });
      expect(byActions.get('events:PutEvents')!.Resource).toEqual({
        'Fn::GetAtt': [logicalId(synth.stack.events.bus), 'Arn'],
      });
      expect(byActions.get('sqs:SendMessage')!.Resource).toEqual({
        'Fn::GetAtt': [logicalId(synth.stack.scan.deadLetterQueue.queue), 'Arn'],
      });
    });

    it('is tagged protected, so remediation never acts on it', () => {
      const tags = synth.template.toJSON().Resources[roleId()].Properties.Tags;
      expect(tags).toContainEqual({ Key: 'iam-posture:protected', Value: 'true' });
    });
  });

  describe('findings table', () => {
    it('has the keys, indexes and TTL attribute the store defines', () => {
      synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: FINDINGS_TABLE.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: FINDINGS_TABLE.sortKey.name, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: FINDINGS_TABLE.timeToLiveAttribute, Enabled: true },
      });
      const table = Object.values(synth.template.findResources('AWS::DynamoDB::Table'))[0]!
        .Properties as Json;
      const indexes = table.GlobalSecondaryIndexes as {
        IndexName: string;
        KeySchema: unknown;
        Projection: Json;
      }[];
      expect(indexes.map((i) => i.IndexName)).toEqual(
        FINDINGS_TABLE.globalSecondaryIndexes.map((i) => i.indexName),
      );
      for (const [n, index] of FINDINGS_TABLE.globalSecondaryIndexes.entries()) {
        expect(indexes[n]!.KeySchema).toEqual([
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
        ]);
        expect(indexes[n]!.Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
      }
    });

    it('is on-demand, point-in-time recoverable, encrypted with the stack key, protected and retained', () => {
      synth.template.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] },
          },
          DeletionProtectionEnabled: true,
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('uses a rotated customer-managed key that outlives the stack with the table', () => {
      synth.template.hasResource('AWS::KMS::Key', {
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('schedule', () => {
    it('invokes the scan on the configured expression in UTC, with retries and a dead-letter queue', () => {
      const dlqId = logicalId(synth.stack.schedule.deadLetterQueue.queue);
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 day)',
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(synth.stack.scan.function), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [logicalId(synth.stack.schedule.role), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        },
      });
      expectEncryptedTlsOnlyQueue(synth, dlqId);
    });

    it('runs with a role that may invoke the scan function and send to its DLQ, nothing more', () => {
      const roleId = logicalId(synth.stack.schedule.role);
      const role = synth.template.toJSON().Resources[roleId].Properties;
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
      const statements = Object.values(policiesOf(synth, roleId)).flatMap((p) => p.Statement);
      expect(statements).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalId(synth.stack.scan.function), 'Arn'] },
        },
        {
          Action: 'sqs:SendMessage',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalId(synth.stack.schedule.deadLetterQueue.queue), 'Arn'] },
        },
      ]);
    });
  });

  describe('events, alarms and outputs', () => {
    it('creates a dedicated event bus for findings events', () => {
      synth.template.resourceCountIs('AWS::Events::EventBus', 1);
    });

    it('alarms on scan errors, throttles and both dead-letter queues, notifying the topic on ALARM and OK', () => {
      const topic = { Ref: logicalId(synth.stack.alarms.topic) };
      const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map(
        (a) => a.Properties as Json,
      );
      const summary = alarms
        .map((a) => {
          const dimension = (a.Dimensions as { Name: string; Value: Json }[])[0]!;
          const target = (dimension.Value.Ref ?? (dimension.Value['Fn::GetAtt'] as string[])[0]) as string;
          return `${a.Namespace}/${a.MetricName}:${a.Statistic}>=${a.Threshold} ${dimension.Name}=${target}`;
        })
        .sort();
      const fn = logicalId(synth.stack.scan.function);
      expect(summary).toEqual(
        [
          `AWS/Lambda/Errors:Sum>=1 FunctionName=${fn}`,
          `AWS/Lambda/Throttles:Sum>=1 FunctionName=${fn}`,
          `AWS/SQS/ApproximateNumberOfMessagesVisible:Maximum>=1 QueueName=${logicalId(synth.stack.scan.deadLetterQueue.queue)}`,
          `AWS/SQS/ApproximateNumberOfMessagesVisible:Maximum>=1 QueueName=${logicalId(synth.stack.schedule.deadLetterQueue.queue)}`,
        ].sort(),
      );
      for (const alarm of alarms) {
        expect(alarm.AlarmActions).toEqual([topic]);
        expect(alarm.OKActions).toEqual([topic]);
        expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
        expect(alarm.TreatMissingData).toBe('notBreaching');
      }
    });

    it('encrypts the alarm topic with the stack key, requires TLS and lets only this account’s alarms publish', () => {
      const keyId = logicalId(synth.stack.dataKey.key);
      synth.template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Allow',
              Action: 'sns:Publish',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() } },
            }),
          ]),
        },
      });
      synth.template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'AllowCloudWatchAlarms',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
      synth.template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('outputs the names an operator needs', () => {
      expect(Object.keys(synth.template.findOutputs('*')).sort()).toEqual(
        [
          'AlarmTopicArn',
          'DataKeyArn',
          'EventBusArn',
          'EventBusName',
          'FindingsTableName',
          'ScanFunctionName',
          'ScanLogGroupName',
          'ScannerRoleArn',
          'ScheduleName',
        ].sort(),
      );
      synth.template.hasOutput('FindingsTableName', {
        Value: { Ref: logicalId(synth.stack.findings.table) },
      });
    });
  });
});

describe('the stack built from a non-default config', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(
      {
        schedule: 'cron(0 6 ? * MON-FRI *)',
        secretsRegions: 'all',
        logRetentionDays: 365,
        alarmEmail: 'security@example.com',
        reservedConcurrency: 'none',
        tracing: true,
        resolvedTtlDays: 30,
        thresholds: { roleUnusedDays: 120 },
        organization: { id: 'o-abc1234567', accountIds: ['111122223333'] },
      },
      { bundle: false },
    );
  }, 60_000);

  it('carries the config into the schedule, the function and the log group', () => {
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 ? * MON-FRI *)',
    });
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    const fn = synth.template.toJSON().Resources[logicalId(synth.stack.scan.function)].Properties;
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    const env = fn.Environment.Variables;
    expect(env.SECRETS_REGIONS).toBe('all');
    expect(env.RESOLVED_TTL_DAYS).toBe('30');
    const settings = ScanSettingsSchema.parse(JSON.parse(env.SCAN_SETTINGS));
    expect(settings.thresholds.roleUnusedDays).toBe(120);
    expect(settings.organization).toEqual({ id: 'o-abc1234567', accountIds: ['111122223333'] });
  });

  it('sets an environment the scan function accepts with the configured values', () => {
    const config = parseScanFunctionConfig(resolvedEnvironment(synth));
    expect(config.secretsRegions).toBe('all');
    expect(config.resolvedTtlDays).toBe(30);
    expect(config.settings.thresholds.roleUnusedDays).toBe(120);
    expect(config.settings.organization.accountIds).toEqual(['111122223333']);
  });

  it('subscribes the alarm email to the topic', () => {
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security@example.com',
      TopicArn: { Ref: logicalId(synth.stack.alarms.topic) },
    });
  });

  it('grants X-Ray writes only because tracing is on, and still nothing on identities', () => {
    const roleId = logicalId(synth.stack.scannerRole.role);
    const actions = Object.values(policiesOf(synth, roleId)).flatMap((p) => actionsOf(p.Statement));
    expect(actions).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    const collector = policiesOf(synth, roleId)[logicalId(synth.stack.scannerRole.collectorPolicy)]!;
    expect(actionsOf(collector.Statement).sort()).toEqual([...SCANNER_ACTIONS].sort());
    // Outside the collector's policy, "*" is only ever the X-Ray statement.
    const onEverything = Object.entries(policiesOf(synth, roleId))
      .filter(([id]) => id !== logicalId(synth.stack.scannerRole.collectorPolicy))
      .flatMap(([, p]) => p.Statement)
      .filter((statement) => asArray(statement.Resource).includes('*'));
    expect(actionsOf(onEverything).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});

/** The scan function's variables with the references CloudFormation resolves at deploy time filled in. */
function resolvedEnvironment(synth: Synthesized): Record<string, string> {
  const fn = synth.template.toJSON().Resources[logicalId(synth.stack.scan.function)].Properties;
  const values: Record<string, string> = {
    [logicalId(synth.stack.findings.table)]: 'IamPosture-FindingsTable-1ABC',
    [logicalId(synth.stack.events.bus)]: 'IamPostureEventsBus',
    'AWS::Region': 'eu-west-1',
  };
  return Object.fromEntries(
    Object.entries(fn.Environment.Variables as Record<string, unknown>).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const ref = (value as { Ref?: string }).Ref;
      if (ref === undefined || values[ref] === undefined)
        throw new Error(`${name}: unexpected ${JSON.stringify(value)}`);
      return [name, values[ref]];
    }),
  );
}

function expectEncryptedTlsOnlyQueue(synth: Synthesized, queueId: string): void {
  const queue = synth.template.toJSON().Resources[queueId];
  expect(queue.Type).toBe('AWS::SQS::Queue');
  expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueId }],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    },
  });
}
