import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeployConfigError, parseDeployConfig } from '../../functions/core/deploy-config';
import { logicalId, nagViolations, type Synthesized, synthesize } from './synth';

/** The reports bucket: opt-in, private, encrypted with the stack's key; the scan function may only add reports. */

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ reports: { enabled: true, retentionDays: 30 } }, { bundle: false });
});

const resources = () =>
  synth.template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;

describe('reports bucket', () => {
  it('is encrypted with the data key, private, TLS only, unversioned, and expires reports after the retention', () => {
    const bucket = synth.template.toJSON().Resources[logicalId(synth.stack.reports!.bucket)];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        ServerSideEncryptionByDefault: {
          SSEAlgorithm: 'aws:kms',
          KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] },
        },
        BucketKeyEnabled: true,
      },
    ]);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket.Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'ExpireReports', Prefix: 'reports/', ExpirationInDays: 30, Status: 'Enabled' },
      {
        Id: 'AbortIncompleteUploads',
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      },
    ]);
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(synth.stack.reports!.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets the scan role put objects under reports/ and nothing else on the bucket', () => {
    const bucketId = logicalId(synth.stack.reports!.bucket);
    const roleId = logicalId(synth.stack.scannerRole.role);
    const statements = Object.values(resources())
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => JSON.stringify(r.Properties.Roles).includes(roleId))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const onBucket = statements.filter((s) => JSON.stringify(s.Resource).includes(bucketId));
    expect(onBucket).toEqual([
      {
        Sid: 'WriteReports',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/reports/*']] },
      },
    ]);
    expect(statements.find((s) => s.Sid === 'EncryptReports')).toEqual({
      Sid: 'EncryptReports',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: { 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] },
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      },
    });
  });

  it('tells the scan function the bucket and the key', () => {
    const fn = resources()[logicalId(synth.stack.scan.function)]!;
    const env = (fn.Properties.Environment as { Variables: Json }).Variables;
    expect(env.REPORTS_BUCKET).toEqual({ Ref: logicalId(synth.stack.reports!.bucket) });
    expect(env.REPORTS_KMS_KEY_ARN).toEqual({ 'Fn::GetAtt': [logicalId(synth.stack.dataKey.key), 'Arn'] });
    expect(env.REPORTS_FORMATS).toBe('html');
  });

  it('leaves cdk-nag nothing unacknowledged', () => {
    expect(nagViolations(synth.app)).toEqual([]);
  });

  it('is absent by default: no bucket, no variables, no grant', () => {
    const plain = synthesize({}, { bundle: false });
    expect(plain.stack.reports).toBeUndefined();
    plain.template.resourceCountIs('AWS::S3::Bucket', 0);
    const fn = plain.template.toJSON().Resources[logicalId(plain.stack.scan.function)];
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('REPORTS_BUCKET');
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('REPORTS_FORMATS');
    expect(JSON.stringify(plain.template.toJSON())).not.toContain('s3:PutObject');
  });
});

describe('reports deploy config', () => {
  it('defaults to off, kept 90 days', () => {
    expect(parseDeployConfig({}).reports).toEqual({ enabled: false, retentionDays: 90, formats: ['html'] });
  });

  it.each([
    [{ retentionDays: 0 }, 'reports.retentionDays: Too small: expected number to be >=1'],
    [{ retentionDays: 3651 }, 'reports.retentionDays: Too big: expected number to be <=3650'],
    [{ enabled: 'yes' }, 'reports.enabled: Invalid input: expected boolean, received string'],
    [{ retainDays: 30 }, 'reports: Unrecognized key: "retainDays"'],
    [
      { formats: ['html', 'asff'] },
      'reports.formats.1: must be one of html, json, csv, sarif, ocsf (asff goes to Security Hub through the securityHub exporter)',
    ],
    [{ formats: [] }, 'reports.formats: must list at least one format'],
    [{ formats: ['sarif', 'sarif'] }, 'reports.formats: must not list a format twice'],
  ])('names the bad value in %j', (reports, message) => {
    expect(() => parseDeployConfig({ reports })).toThrow(DeployConfigError);
    expect(() => parseDeployConfig({ reports })).toThrow(message);
  });
});

describe('scan summary routing', () => {
  const scanCompletedRules = (s: Synthesized) =>
    Object.values(s.template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>).filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        JSON.stringify(r.Properties.EventPattern ?? {}).includes('ScanCompleted'),
    );

  it('sends ScanCompleted to the notify function, failures to its dead-letter queue', () => {
    const withSlack = synthesize(
      { slackChannelId: 'C0123ABCD', approvers: [{ teamId: 'T0123ABCD', userId: 'U0123ABCD' }] },
      { bundle: false },
    );
    const slack = withSlack.stack.slack!;
    const rules = scanCompletedRules(withSlack);
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties as Json & {
      Targets: { Arn: unknown; DeadLetterConfig: { Arn: unknown }; RetryPolicy: Json }[];
    };
    expect(rule.EventPattern).toEqual({ source: ['iam-posture'], 'detail-type': ['ScanCompleted'] });
    expect(rule.EventBusName).toEqual({ Ref: logicalId(withSlack.stack.events.bus) });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0]!.Arn).toEqual({ 'Fn::GetAtt': [logicalId(slack.notify), 'Arn'] });
    expect(rule.Targets[0]!.DeadLetterConfig.Arn).toEqual({
      'Fn::GetAtt': [logicalId(slack.notifyDeadLetterQueue.queue), 'Arn'],
    });
    expect(rule.Targets[0]!.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 21600,
      MaximumRetryAttempts: 4,
    });
  });

  it('routes nothing without a Slack channel', () => {
    expect(scanCompletedRules(synth)).toEqual([]);
  });
});

describe('reports in organization mode', () => {
  it('lets each account step archive its member account report, through the same one policy', () => {
    const org = synthesize(
      {
        organization: { enabled: true, organizationId: 'o-abc1234567' },
        reports: { enabled: true, formats: ['html', 'sarif', 'ocsf'] },
      },
      { bundle: false },
    );
    const functions = org.template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
    const bucket = { Ref: logicalId(org.stack.reports!.bucket) };
    for (const fn of [org.stack.scan.function, org.stack.organizationScan!.scanAccount]) {
      const env = (functions[logicalId(fn)]!.Properties.Environment as { Variables: Json }).Variables;
      expect(env.REPORTS_BUCKET).toEqual(bucket);
      expect(env.REPORTS_FORMATS).toBe('html,sarif,ocsf');
    }
    const discover = functions[logicalId(org.stack.organizationScan!.discover)]!;
    expect((discover.Properties.Environment as { Variables: Json }).Variables.REPORTS_BUCKET).toBeUndefined();
    const archive = Object.values(functions).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.PolicyDocument).includes('WriteReports'),
    );
    expect(archive).toHaveLength(1);
    expect(archive[0]!.Properties.Roles).toEqual([{ Ref: logicalId(org.stack.scannerRole.role) }]);
    expect(nagViolations(org.app)).toEqual([]);
  });
});
