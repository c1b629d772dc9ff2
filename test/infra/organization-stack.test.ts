import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../functions/core/deploy-config';
import {
  actingPermissions,
  increasesPrivilege,
  MEMBER_QUARANTINE_POLICY_NAME,
  ROTATION_INVOKE_ACTION,
  rollbackPermissions,
} from '../../functions/core/remediation/catalog';
import { SCANNER_ACTIONS } from '../../functions/core/scanner-permissions';
import { IamPostureMemberStack } from '../../lib/iam-posture-member-stack';
import {
  IamPostureMemberStackSet,
  memberTemplateBody,
  TEMPLATE_BODY_MAX_BYTES,
} from '../../lib/iam-posture-member-stack-set';
import { logicalId, nagViolations, type Synthesized, synthesize } from './synth';

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Json;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const ORGANIZATION = {
  enabled: true,
  organizationId: 'o-abc1234567',
  concurrency: 25,
  includeOus: ['ou-ab12-cd34ef56'],
  excludeAccounts: ['444455556666'],
};
const SLACK = {
  slackChannelId: 'C0123ABCD',
  approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }],
};

/** The template's DefinitionString as ASL, each Ref and GetAtt written `<Ref>` / `<Id.Attr>`. */
function aslOf(synth: Synthesized): Json {
  const machine = synth.stack.organizationScan!.stateMachine;
  const resource = synth.template.toJSON().Resources[logicalId(machine)] as { Properties: Json };
  const [separator, parts] = (resource.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })[
    'Fn::Join'
  ];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref) return `<${ref}>`;
      return `<${(part as { 'Fn::GetAtt': string[] })['Fn::GetAtt'].join('.')}>`;
    })
    .join(separator);
  return JSON.parse(text) as Json;
}

function policyStatements(template: Template, policyLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const id = Object.keys(policies).find((key) => key.startsWith(policyLogicalIdPrefix));
  if (!id) throw new Error(`no policy ${policyLogicalIdPrefix}*`);
  return ((policies[id]!.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement;
}

describe('organization mode: the central stack', () => {
  let synth: Synthesized;
  let asl: Json;
  let states: Record<string, Json>;
  beforeAll(() => {
    synth = synthesize({ organization: ORGANIZATION, ...SLACK }, { bundle: false });
    asl = aslOf(synth);
    states = asl.States as Record<string, Json>;
  }, 120_000);

  const fnArn = (fn: 'discover' | 'scanAccount' | 'aggregate') =>
    `<${logicalId(synth.stack.organizationScan![fn])}.Arn>`;
  const bucketRef = () => `<${logicalId(synth.stack.runs!.bucket)}>`;
  const lambdaTask = (fn: 'discover' | 'scanAccount' | 'aggregate', payload: Json) => ({
    Type: 'Task',
    Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
    Parameters: { FunctionName: fnArn(fn), ...payload },
    OutputPath: '$.Payload',
    Retry: [
      {
        ErrorEquals: [
          'Lambda.ClientExecutionTimeoutException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
    ],
  });

  describe('state machine', () => {
    it('is a Standard state machine logging every event, with a timeout', () => {
      const props = synth.template.findResources('AWS::StepFunctions::StateMachine');
      expect(Object.keys(props)).toHaveLength(1);
      const machine = Object.values(props)[0]!.Properties as Json;
      expect(machine.StateMachineType).toBe('STANDARD');
      expect((machine.LoggingConfiguration as Json).Level).toBe('ALL');
      expect(asl.TimeoutSeconds).toBe(23 * 3600);
    });

    it('starts by reading the optional rescan list, the run id being the execution name', () => {
      expect(asl.StartAt).toBe('ReadInput');
      expect(states.ReadInput).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.accounts', IsPresent: true, Next: 'RescanAccounts' }],
        Default: 'WholeOrganization',
      });
      expect(states.RescanAccounts).toEqual({
        Type: 'Pass',
        Parameters: { 'runId.$': '$$.Execution.Name', 'accounts.$': '$.accounts' },
        Next: 'Discover',
      });
      expect(states.WholeOrganization).toEqual({
        Type: 'Pass',
        Parameters: { 'runId.$': '$$.Execution.Name' },
        Next: 'Discover',
      });
      expect(states.Discover).toEqual({
        ...lambdaTask('discover', { 'Payload.$': '$' }),
        Next: 'ScanAccounts',
      });
    });

    it('scans the accounts in a Distributed Map reading the list from S3, at the configured concurrency, tolerating every failure', () => {
      const { ItemProcessor, ...map } = states.ScanAccounts as Json;
      expect(map).toEqual({
        Type: 'Map',
        Label: 'ScanAccounts',
        ItemReader: {
          Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { Bucket: bucketRef(), 'Key.$': '$.accountsKey' },
        },
        ItemSelector: { 'runId.$': '$.runId', 'account.$': '$$.Map.Item.Value' },
        MaxConcurrency: 25,
        ToleratedFailurePercentage: 100,
        ResultWriter: {
          Resource: 'arn:<AWS::Partition>:states:::s3:putObject',
          Parameters: { Bucket: bucketRef(), Prefix: 'map-results' },
        },
        ResultPath: '$.mapRun',
        Next: 'Aggregate',
      });
      expect((ItemProcessor as Json).ProcessorConfig).toEqual({
        Mode: 'DISTRIBUTED',
        ExecutionType: 'STANDARD',
      });
    });

    it('loops on an account until its scan is done, and records a failed scan through RecordFailure', () => {
      const processor = (states.ScanAccounts as { ItemProcessor: { StartAt: string; States: Json } })
        .ItemProcessor;
      expect(processor.StartAt).toBe('ScanAccount');
      expect(processor.States).toEqual({
        ScanAccount: {
          ...lambdaTask('scanAccount', { 'Payload.$': '$' }),
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }],
          Next: 'MoreToScan',
        },
        MoreToScan: {
          Type: 'Choice',
          Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'Continue' }],
          Default: 'AccountDone',
        },
        Continue: {
          Type: 'Pass',
          Parameters: { 'runId.$': '$.runId', 'account.$': '$.account', 'continuation.$': '$.continuation' },
          Next: 'ScanAccount',
        },
        AccountDone: { Type: 'Succeed' },
        RecordFailure: {
          ...lambdaTask('scanAccount', {
            Payload: { 'runId.$': '$.runId', 'account.$': '$.account', 'error.$': '$.error' },
          }),
          Next: 'FailureRecorded',
        },
        FailureRecorded: { Type: 'Succeed' },
      });
    });

    it('aggregates the run from the discover output', () => {
      expect(states.Aggregate).toEqual({
        ...lambdaTask('aggregate', {
          Payload: {
            'runId.$': '$.runId',
            'bucket.$': '$.bucket',
            'accountsKey.$': '$.accountsKey',
            'startedAt.$': '$.startedAt',
          },
        }),
        End: true,
      });
    });
  });

  it('schedules the state machine, with a role that may start it and nothing else', () => {
    const org = synth.stack.organizationScan!;
    synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: { Ref: logicalId(org.stateMachine) }, Input: '{}' }),
    });
    const statements = policyStatements(synth.template, 'SchedulePolicy');
    expect(statements[0]).toEqual({
      Effect: 'Allow',
      Action: 'states:StartExecution',
      Resource: { Ref: logicalId(org.stateMachine) },
    });
    expect(statements.flatMap((s) => asArray(s.Action))).toEqual([
      'states:StartExecution',
      'sqs:SendMessage',
    ]);
  });

  it('gives the org functions the contract’s environment', () => {
    const org = synth.stack.organizationScan!;
    for (const fn of [org.discover, org.scanAccount, org.aggregate]) {
      const env = (
        synth.template.toJSON().Resources[logicalId(fn)].Properties.Environment as { Variables: Json }
      ).Variables;
      expect(Object.keys(env).sort()).toEqual(
        [
          'EVENT_BUS_NAME',
          'FINDINGS_TABLE_NAME',
          'MEMBER_ROLE_NAME',
          'ORG_ACCOUNT_SELECTION',
          'ORG_RUNS_BUCKET',
          'POWERTOOLS_LOG_LEVEL',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_SERVICE_NAME',
          'RESOLVED_TTL_DAYS',
          'SCAN_SETTINGS',
          'SECRETS_REGIONS',
          'SERVICE_LAST_ACCESSED_MAX_JOBS',
        ].sort(),
      );
      expect(env.ORG_RUNS_BUCKET).toEqual({ Ref: logicalId(synth.stack.runs!.bucket) });
      expect(env.MEMBER_ROLE_NAME).toBe('IamPostureScanner');
      expect(JSON.parse(env.ORG_ACCOUNT_SELECTION as string)).toEqual({
        includeOus: ['ou-ab12-cd34ef56'],
        excludeAccounts: ['444455556666'],
      });
      expect(env.SERVICE_LAST_ACCESSED_MAX_JOBS).toBe('100');
      expect(JSON.parse(env.SCAN_SETTINGS as string).organization).toEqual({
        id: 'o-abc1234567',
        accountIds: [],
      });
    }
  });

  it('names the central roles, and lets the scanner assume only the member role inside the organization', () => {
    synth.template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'IamPosture-scanner' });
    synth.template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'IamPosture-remediation' });
    const bucket = logicalId(synth.stack.runs!.bucket);
    expect(policyStatements(synth.template, 'OrganizationOrganizationAccess')).toEqual([
      {
        Sid: 'AssumeMemberRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/IamPostureScanner']] },
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc1234567' } },
      },
      {
        Sid: 'DiscoverAccounts',
        Effect: 'Allow',
        Action: [
          'organizations:DescribeOrganization',
          'organizations:ListAccounts',
          'organizations:ListParents',
        ],
        Resource: '*',
      },
      {
        Sid: 'RunObjects',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/runs/*']] },
      },
      {
        Sid: 'ListRuns',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['runs/*'] } },
      },
      {
        Sid: 'RunObjectsKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      },
    ]);
  });

  it('lets remediation assume only the member remediation role inside the organization, and tells the function its name', () => {
    expect(policyStatements(synth.template, 'RemediationMemberRemediation')).toEqual([
      {
        Sid: 'AssumeMemberRemediationRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/IamPostureRemediation']],
        },
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc1234567' } },
      },
    ]);
    const fn = synth.stack.remediation!.function;
    const env = (
      synth.template.toJSON().Resources[logicalId(fn)].Properties.Environment as { Variables: Json }
    ).Variables;
    expect(env.MEMBER_REMEDIATION_ROLE_NAME).toBe('IamPostureRemediation');
    expect(env.MEMBER_ROLLBACK_ROLE_NAME).toBeUndefined();
    expect(env.MEMBER_EXTERNAL_ID).toBeUndefined();
  });

  it('lets rollback assume only the member rollback role inside the organization, and tells the function its name', () => {
    expect(policyStatements(synth.template, 'RemediationMemberRollback')).toEqual([
      {
        Sid: 'AssumeMemberRollbackRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/IamPostureRollback']],
        },
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc1234567' } },
      },
    ]);
    const remediation = synth.stack.remediation!;
    const env = (
      synth.template.toJSON().Resources[logicalId(remediation.rollbackFunction)].Properties.Environment as {
        Variables: Json;
      }
    ).Variables;
    expect(env.MEMBER_ROLLBACK_ROLE_NAME).toBe('IamPostureRollback');
    expect(env.MEMBER_REMEDIATION_ROLE_NAME).toBeUndefined();
    // Each central role is the one its member counterpart trusts: fixed names under the own-roles pattern.
    const roles = synth.template.toJSON().Resources;
    expect(roles[logicalId(remediation.role)].Properties.RoleName).toBe('IamPosture-remediation');
    expect(roles[logicalId(remediation.rollbackRole)].Properties.RoleName).toBe('IamPosture-rollback');
  });

  it('keeps the runs in an encrypted, private, TLS-only bucket whose runs expire', () => {
    const bucket = synth.template.toJSON().Resources[logicalId(synth.stack.runs!.bucket)];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] },
      },
      BucketKeyEnabled: true,
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'ExpireRuns', Prefix: 'runs/', ExpirationInDays: 90, Status: 'Enabled' },
      { Id: 'ExpireMapResults', Prefix: 'map-results/', ExpirationInDays: 90, Status: 'Enabled' },
      {
        Id: 'AbortIncompleteUploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      },
    ]);
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms on failed, timed-out and aborted executions', () => {
    const machine = logicalId(synth.stack.organizationScan!.stateMachine);
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine } }],
        Threshold: 1,
      });
    }
  });

  it('leaves single-account mode without any of it', () => {
    const single = synthesize({ organization: { organizationId: 'o-abc1234567' } }, { bundle: false });
    expect(single.stack.organizationScan).toBeUndefined();
    single.template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    single.template.resourceCountIs('AWS::S3::Bucket', 0);
    single.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(single.stack.scan.function), 'Arn'] } }),
    });
    const roles = single.template.findResources('AWS::IAM::Role');
    expect(Object.values(roles).filter((role) => (role.Properties as Json).RoleName !== undefined)).toEqual(
      [],
    );
  });
});

describe('organization mode: the member stack', () => {
  const memberTemplate = (input: Json) => {
    const app = new App();
    const stack = new IamPostureMemberStack(app, 'IamPostureMember', { config: parseDeployConfig(input) });
    return { app, stack, template: Template.fromStack(stack) };
  };
  const centralRole = (name: string) => ({
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'CentralAccountId' }, `:role/${name}`],
    ],
  });
  const roleByName = (template: Template, name: string) => {
    const roles = template.findResources('AWS::IAM::Role', { Properties: { RoleName: name } });
    expect(Object.keys(roles)).toHaveLength(1);
    return Object.values(roles)[0]!.Properties as Json;
  };

  it('trusts exactly the central scanner role, inside the organization', () => {
    const { template } = memberTemplate({ organization: ORGANIZATION });
    expect(roleByName(template, 'IamPostureScanner').AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: centralRole('IamPosture-scanner') },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } },
        },
      ],
    });
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasParameter('CentralAccountId', { Type: 'String', AllowedPattern: '^\\d{12}$' });
  });

  it('requires the external id when one is configured', () => {
    const { template } = memberTemplate({ organization: { ...ORGANIZATION, externalId: 'partner-7f3a' } });
    expect(
      (roleByName(template, 'IamPostureScanner').AssumeRolePolicyDocument as { Statement: Statement[] })
        .Statement[0]!.Condition,
    ).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567', 'sts:ExternalId': 'partner-7f3a' } });
  });

  it('carries exactly the central scanner role’s actions, from the one list', () => {
    const { template } = memberTemplate({ organization: ORGANIZATION });
    const central = synthesize({ organization: ORGANIZATION }, { bundle: false });
    const actions = (t: Template) =>
      policyStatements(t, 'ScannerCollectorRead')
        .flatMap((s) => asArray(s.Action))
        .sort();
    expect(actions(template)).toEqual([...SCANNER_ACTIONS].sort());
    expect(actions(template)).toEqual(actions(central.template));
  });

  it('adds the acting and rollback roles, each trusted only by its central counterpart, when remediation is deployed', () => {
    const { template } = memberTemplate({ organization: ORGANIZATION, ...SLACK });
    const trust = (central: string) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: centralRole(central) },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc1234567' } },
        },
      ],
    });
    expect(roleByName(template, 'IamPostureRemediation').AssumeRolePolicyDocument).toEqual(
      trust('IamPosture-remediation'),
    );
    expect(roleByName(template, 'IamPostureRollback').AssumeRolePolicyDocument).toEqual(
      trust('IamPosture-rollback'),
    );

    const quarantine = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(quarantine.map((p) => (p.Properties as Json).ManagedPolicyName)).toEqual([
      MEMBER_QUARANTINE_POLICY_NAME,
    ]);
    const quarantineId = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'))[0]!;

    const acting = policyStatements(template, 'CatalogActions');
    const actingAllowed = acting.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));
    expect(actingAllowed.sort()).toEqual(actingPermissions().filter((a) => a !== ROTATION_INVOKE_ACTION));
    const attach = acting.filter(
      (s) => s.Effect === 'Allow' && asArray(s.Action).some((a) => increasesPrivilege(a as string)),
    );
    expect(attach).toEqual([
      expect.objectContaining({
        Action: 'iam:AttachRolePolicy',
        Condition: { ArnEquals: { 'iam:PolicyARN': { Ref: quarantineId } } },
      }),
    ]);
    const rollback = policyStatements(template, 'RollbackActions');
    const rollbackAllowed = rollback.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action));
    expect(rollbackAllowed.sort()).toEqual(rollbackPermissions());

    for (const statements of [acting, rollback]) {
      const deny = statements.find((s) => s.Sid === 'NeverChangeOwnRoles')!;
      expect(deny.Effect).toBe('Deny');
      expect(asArray(deny.Resource as unknown[]).map((r) => JSON.stringify(r))).toEqual([
        expect.stringContaining(':role/IamPostureScanner'),
        expect.stringContaining(':role/IamPostureRemediation'),
        expect.stringContaining(':role/IamPostureRollback'),
      ]);
      expect(statements.find((s) => s.Sid === 'NeverChangeProtectedPrincipals')).toMatchObject({
        Effect: 'Deny',
        Resource: '*',
        Condition: { StringEqualsIgnoreCase: { 'aws:ResourceTag/iam-posture:protected': 'true' } },
      });
    }
  });

  it('tags its roles protected', () => {
    const { template } = memberTemplate({ organization: ORGANIZATION, ...SLACK });
    for (const name of ['IamPostureScanner', 'IamPostureRemediation', 'IamPostureRollback']) {
      expect(roleByName(template, name).Tags).toEqual([{ Key: 'iam-posture:protected', Value: 'true' }]);
    }
  });
});

describe('organization mode: the StackSet', () => {
  const config = parseDeployConfig({ organization: ORGANIZATION, ...SLACK });
  let stackSet: Json;
  let template: Template;
  beforeAll(() => {
    const app = new App();
    template = Template.fromStack(new IamPostureMemberStackSet(app, 'IamPostureMemberStackSet', { config }));
    const sets = template.findResources('AWS::CloudFormation::StackSet');
    expect(Object.keys(sets)).toHaveLength(1);
    stackSet = Object.values(sets)[0]!.Properties as Json;
  }, 60_000);

  it('is service-managed, deploys automatically and removes stacks from accounts that leave', () => {
    const { TemplateBody, ...rest } = stackSet;
    expect(typeof TemplateBody).toBe('string');
    expect(rest).toEqual({
      StackSetName: 'IamPosture-member',
      Description: expect.any(String),
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      CallAs: { Ref: 'CallAs' },
      ManagedExecution: { Active: true },
      OperationPreferences: {
        FailureTolerancePercentage: 100,
        MaxConcurrentPercentage: 100,
        RegionConcurrencyType: 'PARALLEL',
      },
      Parameters: [{ ParameterKey: 'CentralAccountId', ParameterValue: { Ref: 'CentralAccountId' } }],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: { Ref: 'TargetOuIds' } },
          Regions: [{ Ref: 'AWS::Region' }],
        },
      ],
    });
    template.hasParameter('TargetOuIds', { Type: 'CommaDelimitedList', Default: 'ou-ab12-cd34ef56' });
    template.hasParameter('CallAs', { AllowedValues: ['SELF', 'DELEGATED_ADMIN'], Default: 'SELF' });
  });

  it('has no default target without configured OUs: the root or OUs are given at deploy time', () => {
    const app = new App();
    const withoutOus = Template.fromStack(
      new IamPostureMemberStackSet(app, 'S', {
        config: parseDeployConfig({ organization: { enabled: true, organizationId: 'o-abc1234567' } }),
      }),
    );
    expect(withoutOus.toJSON().Parameters.TargetOuIds).toEqual({
      Type: 'CommaDelimitedList',
      Description: expect.any(String),
    });
  });

  it('carries the member stack’s template inline, without bootstrap rule or metadata, under the inline limit', () => {
    const body = stackSet.TemplateBody as string;
    expect(body).toBe(memberTemplateBody(config));
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThan(TEMPLATE_BODY_MAX_BYTES);
    const member = JSON.parse(body) as Json;
    expect(member.Rules).toBeUndefined();
    expect((member.Parameters as Json).BootstrapVersion).toBeUndefined();
    expect(Object.keys(member.Parameters as Json)).toEqual(['CentralAccountId']);
    const types = Object.values(member.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.sort()).toEqual([
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Policy',
      'AWS::IAM::Policy',
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::IAM::Role',
      'AWS::IAM::Role',
    ]);
  });
});

describe('organization mode: cdk-nag AwsSolutions', () => {
  it.each([
    ['scanning only', { organization: ORGANIZATION }],
    [
      'remediation, tracing and an external id',
      {
        organization: { ...ORGANIZATION, externalId: 'partner-7f3a' },
        ...SLACK,
        tracing: true,
      },
    ],
  ])(
    'reports nothing unacknowledged on any stack (%s)',
    (_, input) => {
      const central = synthesize(input, { bundle: false });
      expect(nagViolations(central.app)).toEqual([]);
      const app = new App();
      const config = parseDeployConfig(input);
      new IamPostureMemberStack(app, 'IamPostureMember', { config });
      new IamPostureMemberStackSet(app, 'IamPostureMemberStackSet', { config });
      expect(nagViolations(app)).toEqual([]);
    },
    120_000,
  );
});
