import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  DeployConfigError,
  parseDeployConfig,
  parseDeployConfigFromContext,
} from '../../functions/core/deploy-config';
import { IamPostureMemberStack } from '../../lib/iam-posture-member-stack';
import { logicalId, nagViolations, synthesize } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Json;
}
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const ORGANIZATION = { enabled: true, organizationId: 'o-abc1234567' };
const ENABLED = { securityHub: { enabled: true } };

/** Every statement of every policy attached to `roleId` (inline and AWS::IAM::Policy). */
function statementsOf(template: Template, roleId: string): Statement[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
  const statements: Statement[] = [];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties.Roles as { Ref: string }[]) ?? [];
    if (!roles.some((role) => role.Ref === roleId)) continue;
    statements.push(...((resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []));
  }
  const role = resources[roleId]!;
  for (const policy of (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  return statements;
}

const defaultProduct = (account: unknown) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':securityhub:',
      { Ref: 'AWS::Region' },
      ':',
      account,
      ':product/',
      account,
      '/default',
    ],
  ],
});

describe('Security Hub exporter in the stack', () => {
  it('is not deployed unless enabled', () => {
    const { stack, template } = synthesize({}, { bundle: false });
    expect(stack.securityHub).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain('securityhub:');
    template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: { 'detail-type': ['FindingOpened', 'FindingResolved'] } },
      0,
    );
  });

  it('routes FindingOpened and FindingResolved from the findings bus to an encrypted, TLS-only queue with a DLQ', () => {
    const { stack, template } = synthesize(ENABLED, { bundle: false });
    const exporter = stack.securityHub!;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalId(stack.events.bus) },
      EventPattern: { source: ['iam-posture'], 'detail-type': ['FindingOpened', 'FindingResolved'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(exporter.queue), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(exporter.deadLetterQueue.queue), 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.dataKey.key), 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(exporter.deadLetterQueue.queue), 'Arn'] },
        maxReceiveCount: 5,
      },
      VisibilityTimeout: 720,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(exporter.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          }),
        ]),
      },
    });
  });

  it('reads the queue 100 messages at a time, with a batching window, reporting failed items', () => {
    const { stack, template } = synthesize(ENABLED, { bundle: false });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.securityHub!.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.securityHub!.function) },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Environment: { Variables: Match.objectLike({ HOME_ACCOUNT_ID: { Ref: 'AWS::AccountId' } }) },
      Handler: 'index.handler',
      Description: 'iam-posture: imports opened and resolved findings into AWS Security Hub',
    });
  });

  it('lets the exporter call only BatchImportFindings on its own default product in Security Hub', () => {
    const { stack, template } = synthesize(ENABLED, { bundle: false });
    const statements = statementsOf(template, logicalId(stack.securityHub!.role));
    const actions = statements.flatMap((s) => asArray(s.Action));
    expect(actions.filter((a) => a.startsWith('securityhub:'))).toEqual(['securityhub:BatchImportFindings']);
    expect(
      actions.filter((a) => /^(iam|sts|securityhub):/.test(a) && a !== 'securityhub:BatchImportFindings'),
    ).toEqual([]);
    expect(statements.find((s) => s.Sid === 'ImportFindings')).toEqual({
      Sid: 'ImportFindings',
      Effect: 'Allow',
      Action: 'securityhub:BatchImportFindings',
      Resource: defaultProduct({ Ref: 'AWS::AccountId' }),
    });
    // The queue's messages are decrypted with the data key; nothing else of KMS.
    expect(actions.filter((a) => a.startsWith('kms:')).sort()).toEqual(['kms:Decrypt']);
  });

  it('in organization mode has a fixed role name and may assume only the member import roles of the organization', () => {
    const { stack, template } = synthesize(
      { organization: ORGANIZATION, securityHub: { enabled: true, memberImportRoleName: 'ShImport' } },
      { bundle: false },
    );
    const roleId = logicalId(stack.securityHub!.role);
    expect((template.toJSON().Resources[roleId] as { Properties: Json }).Properties.RoleName).toBe(
      'IamPosture-findings-export',
    );
    expect(statementsOf(template, roleId).find((s) => s.Sid === 'AssumeMemberImportRole')).toEqual({
      Sid: 'AssumeMemberImportRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ShImport']] },
      Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc1234567' } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HOME_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
          MEMBER_IMPORT_ROLE_NAME: 'ShImport',
        }),
      },
    });
  });

  it('watches the exporter and its dead-letter queue with alarms', () => {
    const { template } = synthesize(ENABLED, { bundle: false });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: { AlarmName?: unknown; AlarmDescription?: string } }).Properties,
    );
    expect(
      alarms.filter((alarm) => JSON.stringify(alarm).includes('SecurityHubExport')).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('passes cdk-nag, alone and in organization mode', () => {
    expect(nagViolations(synthesize(ENABLED, { bundle: false }).app)).toEqual([]);
    expect(
      nagViolations(synthesize({ organization: ORGANIZATION, ...ENABLED }, { bundle: false }).app),
    ).toEqual([]);
  });
});

describe('Security Hub in the member stack', () => {
  const member = (input: Json) => {
    const app = new App();
    const stack = new IamPostureMemberStack(app, 'IamPostureMember', { config: parseDeployConfig(input) });
    return { app, stack, template: Template.fromStack(stack) };
  };

  it('adds a write-only import role trusting only the central exporter role, inside the organization', () => {
    const { stack, template } = member({ organization: ORGANIZATION, ...ENABLED });
    const role = template.toJSON().Resources[logicalId(stack.findingsImportRole!)] as { Properties: Json };
    expect(role.Properties.RoleName).toBe('IamPostureFindingsImport');
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: {
            AWS: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':iam::',
                  { Ref: 'CentralAccountId' },
                  ':role/IamPosture-findings-export',
                ],
              ],
            },
          },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } },
        },
      ],
    });
    expect(statementsOf(template, logicalId(stack.findingsImportRole!))).toEqual([
      {
        Effect: 'Allow',
        Action: 'securityhub:BatchImportFindings',
        Resource: defaultProduct({ Ref: 'AWS::AccountId' }),
      },
    ]);
    expect(nagViolations(stack.node.root as App)).toEqual([]);
  });

  it('keeps the scanner role read-only: no Security Hub and no write action', () => {
    const { stack, template } = member({ organization: ORGANIZATION, ...ENABLED });
    const actions = statementsOf(template, logicalId(stack.scanner.role)).flatMap((s) => asArray(s.Action));
    expect(actions.length).toBeGreaterThan(5);
    expect(actions.filter((a) => a.startsWith('securityhub:'))).toEqual([]);
    const verbs = /^[a-z0-9-]+:(Get|List|Describe|Generate|Simulate)/;
    expect(actions.filter((a) => !verbs.test(a))).toEqual([]);
  });

  it('has no import role unless Security Hub export is enabled', () => {
    const { stack, template } = member({ organization: ORGANIZATION });
    expect(stack.findingsImportRole).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'IamPostureFindingsImport' }, 0);
  });
});

describe('the securityHub deploy config key', () => {
  it('is off by default and takes JSON from the CDK context', () => {
    expect(parseDeployConfig({}).securityHub).toEqual({
      enabled: false,
      memberImportRoleName: 'IamPostureFindingsImport',
    });
    expect(parseDeployConfigFromContext({ securityHub: '{"enabled":true}' }).securityHub.enabled).toBe(true);
  });

  it('names a bad value and an unknown key where they are', () => {
    expect(() => parseDeployConfig({ securityHub: { enabled: 'yes' } })).toThrow(DeployConfigError);
    expect(() => parseDeployConfig({ securityHub: { enabled: 'yes' } })).toThrow(/securityHub\.enabled/);
    expect(() => parseDeployConfig({ securityHub: { memberImportRoleName: 'bad name' } })).toThrow(
      /securityHub\.memberImportRoleName: must be an IAM role name/,
    );
    expect(() => parseDeployConfig({ securityHub: { enable: true } })).toThrow(/securityHub/);
  });
});
