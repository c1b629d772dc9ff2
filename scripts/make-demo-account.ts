/**
 * Writes examples/demo-account/: the export of a small, realistic AWS account (ACME's production
 * account 111122223333) with workload roles, CI roles federated to GitHub Actions, vendor and
 * organization cross-account roles, service-linked and IAM Identity Center roles, machine users
 * with access keys, a few people, secrets in two regions and server certificates. Most identities
 * are healthy; the others are the mistakes every rule of the catalog is about.
 *
 *   npx tsx scripts/make-demo-account.ts [--out examples/demo-account]
 *
 * Everything is fixed: dates are relative to COLLECTED_AT and ids come from a seeded generator, so
 * the output (and the demo's findings) are the same on every run.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AWS_MANAGED,
  accessKeyMetadata,
  allow,
  awsManagedArn,
  awsManagedPolicyEntry,
  type CredentialRow,
  credentialReportLine,
  DAY,
  type ExportData,
  groupEntry,
  type Json,
  type KeySlot,
  managedPolicyEntry,
  type PolicyJson,
  policy,
  roleEntry,
  rootCredentialLine,
  SERVICE_LINKED,
  secretEntry,
  secretPolicyEntry,
  seededRandom,
  serverCertificateEntry,
  serviceLastAccessedEntry,
  serviceLinkedPolicyArn,
  serviceLinkedPolicyEntry,
  trustAccount,
  trustGitHub,
  trustService,
  uniqueId,
  userArn,
  userEntry,
  writeExport,
} from './export-builders';

export const DEMO_ACCOUNT = '111122223333';
export const DEMO_ORGANIZATION = {
  id: 'o-a1b2c3d4e5',
  accountIds: ['444455556666', '555566667777', '666677778888'],
};
export const COLLECTED_AT = new Date('2025-06-02T08:00:00Z');

const A = DEMO_ACCOUNT;
const TOOLS_ACCOUNT = '444455556666';
const SECURITY_ACCOUNT = '555566667777';
const STAGING_ACCOUNT = '666677778888';
const OBSERVABILITY_VENDOR = '999988887777';
const SCANNER_VENDOR = '888877776666';
const BACKUP_VENDOR = '777766665555';

const ago = (days: number, hours = 0) => new Date(COLLECTED_AT.getTime() - days * DAY - hours * 3_600_000);
const ahead = (days: number) => new Date(COLLECTED_AT.getTime() + days * DAY);
const customerArn = (name: string) => `arn:aws:iam::${A}:policy/${name}`;
const roleArn = (name: string, path = '/') => `arn:aws:iam::${A}:role${path}${name}`;

// ------------------------------------------------------------------- customer managed policies

const CUSTOMER_POLICIES: {
  name: string;
  description: string;
  created: number;
  versions: { document: PolicyJson; daysAgo: number }[];
}[] = [
  {
    name: 'OrdersTableReadWrite',
    description: 'Read and write the orders table and its indexes',
    created: 700,
    versions: [
      {
        daysAgo: 700,
        document: policy(
          allow(
            [
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:Query',
              'dynamodb:BatchGetItem',
            ],
            [
              `arn:aws:dynamodb:us-east-1:${A}:table/orders`,
              `arn:aws:dynamodb:us-east-1:${A}:table/orders/index/*`,
            ],
          ),
        ),
      },
    ],
  },
  {
    name: 'DeveloperAccess',
    description: 'Day-to-day read access for engineers',
    created: 900,
    versions: [
      {
        daysAgo: 900,
        document: policy(allow(['cloudwatch:Get*', 'cloudwatch:List*', 'logs:Get*', 'logs:Describe*'])),
      },
      {
        daysAgo: 210,
        document: policy(
          allow([
            'cloudwatch:Get*',
            'cloudwatch:List*',
            'cloudwatch:Describe*',
            'logs:Get*',
            'logs:Describe*',
            'logs:FilterLogEvents',
            'logs:StartQuery',
            'logs:GetQueryResults',
            'xray:Get*',
            'xray:BatchGetTraces',
            'ecs:Describe*',
            'ecs:List*',
          ]),
          {
            Sid: 'DenyProductionSecrets',
            Effect: 'Deny',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `arn:aws:secretsmanager:*:${A}:secret:prod/*`,
          },
        ),
      },
    ],
  },
  {
    name: 'ArtifactsBucketRead',
    description: 'Read build artifacts',
    created: 650,
    versions: [
      {
        daysAgo: 650,
        document: policy(
          allow(
            ['s3:GetObject', 's3:ListBucket'],
            ['arn:aws:s3:::acme-build-artifacts', 'arn:aws:s3:::acme-build-artifacts/*'],
          ),
        ),
      },
    ],
  },
  {
    name: 'WorkloadBoundary',
    description: 'Permissions boundary for roles created by application teams',
    created: 300,
    versions: [
      {
        daysAgo: 300,
        document: policy(
          allow([
            'logs:*',
            'dynamodb:*',
            's3:GetObject',
            's3:PutObject',
            'sqs:*',
            'sns:Publish',
            'es:ESHttp*',
          ]),
          {
            Sid: 'NoIam',
            Effect: 'Deny',
            Action: ['iam:*', 'organizations:*', 'sts:AssumeRole'],
            Resource: '*',
          },
        ),
      },
    ],
  },
];

// ------------------------------------------------------------------------------------------ roles

interface RoleSpec {
  name: string;
  path?: string;
  trust: PolicyJson;
  managed?: string[];
  inline?: { name: string; document: PolicyJson }[];
  boundary?: string;
  createdDaysAgo: number;
  /** Days since last use; undefined: never used. */
  usedDaysAgo?: number;
  region?: string;
  tags?: Record<string, string>;
  description?: string;
  instanceProfile?: boolean;
  /** Service last accessed data: namespace -> days since last access (undefined: never). */
  services?: Record<string, number | undefined>;
}

const LAMBDA_BASIC = awsManagedArn('AWSLambdaBasicExecutionRole');
const SAML_PROVIDER = `arn:aws:iam::${A}:saml-provider/AWSSSO_5b8c3f1e2d4a6b7c_DO_NOT_DELETE`;
const trustSso = (): PolicyJson =>
  policy({
    Effect: 'Allow',
    Principal: { Federated: SAML_PROVIDER },
    Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
    Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
  });

const ROLES: RoleSpec[] = [
  // Workloads: Lambda, ECS, EC2, Step Functions, EventBridge Scheduler, RDS.
  {
    name: 'orders-api-lambda',
    trust: trustService('lambda.amazonaws.com'),
    managed: [LAMBDA_BASIC, customerArn('OrdersTableReadWrite')],
    createdDaysAgo: 420,
    usedDaysAgo: 0,
    tags: { team: 'orders', env: 'prod' },
    services: { logs: 0, dynamodb: 0 },
  },
  {
    name: 'payments-webhook-lambda',
    trust: trustService('lambda.amazonaws.com'),
    managed: [LAMBDA_BASIC],
    inline: [
      {
        name: 'read-stripe-key',
        document: policy(
          allow(
            'secretsmanager:GetSecretValue',
            `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/payments/stripe-api-key-*`,
          ),
          allow('kms:Decrypt', `arn:aws:kms:us-east-1:${A}:key/3f6b2a9e-1c4d-4e8f-9a7b-2d5c8e1f4a6b`),
        ),
      },
    ],
    createdDaysAgo: 380,
    usedDaysAgo: 1,
    tags: { team: 'payments', env: 'prod' },
    services: { logs: 1, secretsmanager: 1, kms: 1 },
  },
  {
    name: 'image-resizer-lambda',
    trust: trustService('lambda.amazonaws.com'),
    managed: [LAMBDA_BASIC],
    inline: [
      {
        name: 'media-bucket',
        document: policy(allow(['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::acme-media-prod/*')),
      },
    ],
    createdDaysAgo: 300,
    usedDaysAgo: 0,
    tags: { team: 'storefront', env: 'prod' },
    services: { logs: 0, s3: 0 },
  },
  {
    name: 'notifications-lambda',
    trust: trustService('lambda.amazonaws.com'),
    managed: [LAMBDA_BASIC],
    inline: [
      {
        name: 'notify',
        document: policy(
          allow('sns:Publish', `arn:aws:sns:us-east-1:${A}:order-events`),
          allow(
            ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
            `arn:aws:sqs:us-east-1:${A}:notifications`,
          ),
        ),
      },
    ],
    createdDaysAgo: 510,
    usedDaysAgo: 2,
    tags: { team: 'orders', env: 'prod' },
  },
  {
    name: 'new-search-indexer-lambda',
    trust: trustService('lambda.amazonaws.com'),
    managed: [LAMBDA_BASIC],
    inline: [
      {
        name: 'index',
        document: policy(
          allow(['es:ESHttpPost', 'es:ESHttpPut'], `arn:aws:es:us-east-1:${A}:domain/products/*`),
        ),
      },
    ],
    boundary: customerArn('WorkloadBoundary'),
    createdDaysAgo: 12,
    tags: { team: 'search', env: 'prod' },
    description: 'Indexes product updates into OpenSearch (launching next sprint)',
  },
  {
    name: 'orders-ecs-task',
    trust: trustService('ecs-tasks.amazonaws.com'),
    managed: [customerArn('OrdersTableReadWrite')],
    inline: [
      {
        name: 'queues',
        document: policy(
          allow(['sqs:SendMessage', 'sqs:GetQueueUrl'], `arn:aws:sqs:us-east-1:${A}:notifications`),
          allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        ),
      },
    ],
    createdDaysAgo: 700,
    usedDaysAgo: 0,
    tags: { team: 'orders', env: 'prod' },
    services: { dynamodb: 0, sqs: 0, xray: 0 },
  },
  {
    name: 'orders-ecs-task-execution',
    trust: trustService('ecs-tasks.amazonaws.com'),
    managed: [awsManagedArn('AmazonECSTaskExecutionRolePolicy')],
    inline: [
      {
        name: 'read-app-secrets',
        document: policy(
          allow(
            'secretsmanager:GetSecretValue',
            `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/orders/*`,
          ),
        ),
      },
    ],
    createdDaysAgo: 700,
    usedDaysAgo: 0,
    tags: { team: 'orders', env: 'prod' },
  },
  {
    name: 'data-pipeline-task',
    trust: trustService('ecs-tasks.amazonaws.com'),
    inline: [
      {
        name: 'pipeline',
        document: policy(
          allow(
            ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
            ['arn:aws:s3:::acme-data-lake', 'arn:aws:s3:::acme-data-lake/*'],
          ),
          allow(['glue:GetTable', 'glue:GetPartitions', 'glue:BatchCreatePartition'], '*'),
          allow(['athena:StartQueryExecution', 'athena:GetQueryResults'], '*'),
          allow(
            ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream'],
            `arn:aws:kinesis:us-east-1:${A}:stream/clickstream`,
          ),
        ),
      },
    ],
    createdDaysAgo: 600,
    usedDaysAgo: 0,
    tags: { team: 'data', env: 'prod' },
    description: 'Nightly batch pipeline (the clickstream consumer moved to Firehose last year)',
    services: { s3: 0, glue: 2, athena: 2, kinesis: 212 },
  },
  {
    name: 'web-ec2-instance',
    trust: trustService('ec2.amazonaws.com'),
    managed: [awsManagedArn('AmazonSSMManagedInstanceCore')],
    inline: [
      {
        name: 'config-bucket',
        document: policy(allow('s3:GetObject', 'arn:aws:s3:::acme-web-config/*')),
      },
    ],
    createdDaysAgo: 820,
    usedDaysAgo: 0,
    instanceProfile: true,
    tags: { team: 'storefront', env: 'prod' },
  },
  {
    name: 'bastion-ec2-ssm',
    trust: trustService('ec2.amazonaws.com'),
    managed: [awsManagedArn('AmazonSSMManagedInstanceCore')],
    createdDaysAgo: 760,
    usedDaysAgo: 5,
    instanceProfile: true,
    tags: { team: 'platform', env: 'prod' },
  },
  {
    name: 'rds-enhanced-monitoring',
    trust: trustService('monitoring.rds.amazonaws.com'),
    managed: [awsManagedArn('AmazonRDSEnhancedMonitoringRole')],
    createdDaysAgo: 830,
    usedDaysAgo: 0,
    tags: { Team: 'data' },
  },
  {
    name: 'orders-state-machine',
    trust: trustService('states.amazonaws.com'),
    inline: [
      {
        name: 'invoke-steps',
        document: policy(allow('lambda:InvokeFunction', `arn:aws:lambda:us-east-1:${A}:function:orders-*`)),
      },
    ],
    createdDaysAgo: 400,
    usedDaysAgo: 1,
    tags: { team: 'orders', env: 'prod' },
  },
  {
    name: 'scheduler-nightly-export',
    trust: trustService('scheduler.amazonaws.com'),
    inline: [
      {
        name: 'invoke-export',
        document: policy(
          allow('lambda:InvokeFunction', `arn:aws:lambda:us-east-1:${A}:function:nightly-export`),
        ),
      },
    ],
    createdDaysAgo: 250,
    usedDaysAgo: 0,
    tags: { owner: '', contact: 'data@acme.example' },
  },
  // CI: GitHub Actions through OIDC.
  {
    name: 'github-actions-deploy-storefront',
    trust: trustGitHub(A, 'repo:acme-corp/storefront:ref:refs/heads/main'),
    inline: [
      {
        name: 'deploy-site',
        document: policy(
          allow(
            ['s3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
            ['arn:aws:s3:::acme-storefront-site', 'arn:aws:s3:::acme-storefront-site/*'],
          ),
          allow('cloudfront:CreateInvalidation', `arn:aws:cloudfront::${A}:distribution/E2QWRUHEXAMPLE`),
        ),
      },
    ],
    createdDaysAgo: 330,
    usedDaysAgo: 0,
    tags: { team: 'storefront', repo: 'acme-corp/storefront' },
    services: { s3: 0, cloudfront: 0 },
  },
  {
    name: 'github-actions-deploy-orders-api',
    trust: trustGitHub(A, 'repo:acme-corp/orders-api:environment:production', 'StringEquals'),
    inline: [
      {
        name: 'deploy-service',
        document: policy(
          allow('ecr:GetAuthorizationToken'),
          allow(
            [
              'ecr:BatchCheckLayerAvailability',
              'ecr:InitiateLayerUpload',
              'ecr:UploadLayerPart',
              'ecr:CompleteLayerUpload',
              'ecr:PutImage',
            ],
            `arn:aws:ecr:us-east-1:${A}:repository/orders-api`,
          ),
          allow(
            ['ecs:UpdateService', 'ecs:DescribeServices'],
            `arn:aws:ecs:us-east-1:${A}:service/prod/orders-api`,
          ),
        ),
      },
    ],
    createdDaysAgo: 300,
    usedDaysAgo: 0,
    tags: { team: 'orders', repo: 'acme-corp/orders-api' },
  },
  {
    name: 'github-actions-terraform',
    trust: trustGitHub(A, 'repo:acme-corp/infrastructure:ref:refs/heads/main'),
    managed: [awsManagedArn('AdministratorAccess')],
    createdDaysAgo: 540,
    usedDaysAgo: 1,
    tags: { team: 'platform', repo: 'acme-corp/infrastructure' },
    description: 'terraform apply from the infrastructure repository',
  },
  {
    name: 'github-actions-ecr-push',
    trust: trustGitHub(A, 'repo:acme-corp/*'),
    managed: [awsManagedArn('AmazonEC2ContainerRegistryReadOnly')],
    inline: [
      {
        name: 'push-images',
        document: policy(
          allow(
            ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'],
            `arn:aws:ecr:us-east-1:${A}:repository/*`,
          ),
        ),
      },
    ],
    createdDaysAgo: 480,
    usedDaysAgo: 0,
    tags: { team: 'platform' },
  },
  {
    name: 'github-actions-docs-preview',
    trust: trustGitHub(A),
    inline: [
      {
        name: 'upload-preview',
        document: policy(allow('s3:PutObject', 'arn:aws:s3:::acme-docs-preview/*')),
      },
    ],
    createdDaysAgo: 200,
    usedDaysAgo: 20,
    tags: { team: 'docs' },
  },
  // Cross-account: vendors and the organization.
  {
    name: 'vendor-observability-integration',
    trust: trustAccount(`arn:aws:iam::${OBSERVABILITY_VENDOR}:root`, {
      StringEquals: { 'sts:ExternalId': 'c0b6f3e2a8d94f1b9e7a5c3d1f0e2b4a' },
    }),
    inline: [
      {
        name: 'read-metrics',
        document: policy(
          allow([
            'cloudwatch:GetMetricData',
            'cloudwatch:ListMetrics',
            'cloudwatch:DescribeAlarms',
            'tag:GetResources',
            'ec2:DescribeInstances',
            'ecs:ListClusters',
            'ecs:DescribeServices',
          ]),
        ),
      },
    ],
    createdDaysAgo: 610,
    usedDaysAgo: 0,
    tags: { vendor: 'observability' },
  },
  {
    name: 'vendor-security-scanner',
    trust: trustAccount(`arn:aws:iam::${SCANNER_VENDOR}:root`, {
      StringEquals: { 'sts:ExternalId': 'acme-7Hq2xV9pLw' },
    }),
    managed: ['arn:aws:iam::aws:policy/SecurityAudit'],
    createdDaysAgo: 450,
    usedDaysAgo: 1,
    tags: { vendor: 'cspm' },
  },
  {
    name: 'legacy-backup-vendor',
    // Reused: the vendor's account and AWS Backup assume the same role.
    trust: policy({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${BACKUP_VENDOR}:root`, Service: 'backup.amazonaws.com' },
      Action: 'sts:AssumeRole',
    }),
    inline: [
      {
        name: 'read-backups',
        document: policy(
          allow(
            ['s3:GetObject', 's3:ListBucket'],
            ['arn:aws:s3:::acme-backups', 'arn:aws:s3:::acme-backups/*'],
          ),
        ),
      },
    ],
    createdDaysAgo: 1200,
    usedDaysAgo: 3,
    tags: { vendor: 'backup' },
  },
  {
    name: 'iam-posture-scanner',
    trust: trustAccount(`arn:aws:iam::${SECURITY_ACCOUNT}:role/iam-posture-scan`),
    inline: [
      {
        name: 'read-only-inventory',
        document: policy(
          allow([
            'iam:GetAccountAuthorizationDetails',
            'iam:GenerateCredentialReport',
            'iam:GetCredentialReport',
            'iam:ListServerCertificates',
            'secretsmanager:ListSecrets',
            'secretsmanager:GetResourcePolicy',
          ]),
        ),
      },
    ],
    createdDaysAgo: 90,
    usedDaysAgo: 0,
    tags: { team: 'security' },
  },
  {
    name: 'org-artifacts-reader',
    trust: policy({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': DEMO_ORGANIZATION.id } },
    }),
    managed: [customerArn('ArtifactsBucketRead')],
    createdDaysAgo: 390,
    usedDaysAgo: 0,
    tags: { team: 'platform' },
    description: 'Any account of the organization may read build artifacts',
  },
  {
    name: 'cross-account-metrics-publisher',
    // The staging forwarder was added for a test and never removed: a production role trusted by staging.
    trust: policy({
      Effect: 'Allow',
      Principal: {
        AWS: [
          `arn:aws:iam::${TOOLS_ACCOUNT}:role/metrics-forwarder`,
          `arn:aws:iam::${STAGING_ACCOUNT}:role/metrics-forwarder`,
        ],
      },
      Action: 'sts:AssumeRole',
    }),
    inline: [{ name: 'put-metrics', document: policy(allow('cloudwatch:PutMetricData')) }],
    createdDaysAgo: 280,
    usedDaysAgo: 0,
    tags: { team: 'observability' },
  },
  {
    name: 'sandbox-assume-anyone',
    trust: policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }),
    inline: [{ name: 'list-buckets', document: policy(allow('s3:ListAllMyBuckets')) }],
    createdDaysAgo: 500,
    usedDaysAgo: 150,
    description: 'Cross-account test, do not use',
  },
  // Stale.
  {
    name: 'legacy-reporting-lambda',
    trust: trustService('lambda.amazonaws.com'),
    managed: [LAMBDA_BASIC],
    inline: [
      {
        name: 'reports',
        document: policy(
          allow(['athena:StartQueryExecution', 'athena:GetQueryResults', 's3:GetObject'], '*'),
        ),
      },
    ],
    createdDaysAgo: 900,
    usedDaysAgo: 200,
    tags: { team: 'data' },
  },
  {
    name: 'migration-2023-ec2',
    trust: trustService('ec2.amazonaws.com'),
    managed: [awsManagedArn('AmazonSSMManagedInstanceCore')],
    createdDaysAgo: 400,
    instanceProfile: true,
  },
  {
    name: 'old-admin-automation',
    trust: trustService('ec2.amazonaws.com'),
    managed: [awsManagedArn('AdministratorAccess')],
    createdDaysAgo: 1100,
    usedDaysAgo: 300,
    instanceProfile: true,
  },
  // Can grant itself more privilege.
  {
    name: 'jenkins-build-agent',
    trust: trustService('ec2.amazonaws.com'),
    inline: [
      {
        name: 'build-and-deploy',
        document: policy(
          allow(['lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration', 'lambda:InvokeFunction']),
          allow('iam:PassRole'),
          allow(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']),
        ),
      },
    ],
    createdDaysAgo: 980,
    usedDaysAgo: 0,
    instanceProfile: true,
    tags: { team: 'platform' },
  },
  // IAM Identity Center (SSO) permission sets.
  {
    name: 'AWSReservedSSO_AdministratorAccess_8f2c1a9b3d4e5f60',
    path: '/aws-reserved/sso.amazonaws.com/',
    trust: trustSso(),
    managed: [awsManagedArn('AdministratorAccess')],
    createdDaysAgo: 700,
    usedDaysAgo: 0,
  },
  {
    name: 'AWSReservedSSO_DeveloperReadOnly_1a2b3c4d5e6f7a8b',
    path: '/aws-reserved/sso.amazonaws.com/',
    trust: trustSso(),
    inline: [
      {
        name: 'AwsSSOInlinePolicy',
        document: policy(
          allow([
            'ec2:Describe*',
            'ecs:Describe*',
            'ecs:List*',
            'logs:Get*',
            'logs:FilterLogEvents',
            'cloudwatch:Get*',
          ]),
        ),
      },
    ],
    createdDaysAgo: 700,
    usedDaysAgo: 3,
  },
];

/** Service-linked roles: name -> [days since creation, days since last use or undefined]. */
const SERVICE_LINKED_ROLES: Record<string, [number, number | undefined]> = {
  AWSServiceRoleForSupport: [1500, undefined],
  AWSServiceRoleForTrustedAdvisor: [1500, 1],
  AWSServiceRoleForECS: [820, 0],
  AWSServiceRoleForElasticLoadBalancing: [820, 0],
  AWSServiceRoleForAutoScaling: [600, undefined],
};

// ---------------------------------------------------------------------------------- users

interface UserSpec {
  name: string;
  createdDaysAgo: number;
  groups?: string[];
  inline?: { name: string; document: PolicyJson }[];
  managed?: string[];
  /** Console password: days since last sign-in (null: never) and since it was set. */
  password?: { usedDaysAgo: number | null; changedDaysAgo: number };
  mfa?: boolean;
  keys?: { createdDaysAgo: number; usedDaysAgo?: number; active?: boolean; service?: string }[];
  tags?: Record<string, string>;
  services?: Record<string, number | undefined>;
}

const USERS: UserSpec[] = [
  {
    name: 'alice.nguyen',
    createdDaysAgo: 700,
    groups: ['Developers'],
    password: { usedDaysAgo: 1, changedDaysAgo: 60 },
    mfa: true,
  },
  {
    name: 'bob.smith',
    createdDaysAgo: 640,
    groups: ['Developers'],
    password: { usedDaysAgo: 110, changedDaysAgo: 200 },
    mfa: true,
  },
  {
    name: 'carol.jones',
    createdDaysAgo: 520,
    groups: ['Developers'],
    password: { usedDaysAgo: 3, changedDaysAgo: 90 },
    mfa: true,
    keys: [{ createdDaysAgo: 40, usedDaysAgo: 2, service: 'logs' }],
  },
  {
    name: 'dan.okafor',
    createdDaysAgo: 8,
    groups: ['Developers'],
    password: { usedDaysAgo: null, changedDaysAgo: 8 },
    mfa: false,
  },
  {
    name: 'breakglass-admin',
    createdDaysAgo: 300,
    groups: ['Admins'],
    password: { usedDaysAgo: null, changedDaysAgo: 300 },
    mfa: true,
    tags: { purpose: 'break-glass' },
  },
  {
    name: 'deploy-bot',
    createdDaysAgo: 800,
    inline: [
      {
        name: 'deploy',
        document: policy(
          allow(['ecs:UpdateService', 'ecs:DescribeServices'], `arn:aws:ecs:us-east-1:${A}:service/prod/*`),
          allow('ecr:GetAuthorizationToken'),
        ),
      },
    ],
    keys: [{ createdDaysAgo: 130, usedDaysAgo: 0, service: 'ecs' }],
    tags: { owner: 'platform@acme.example' },
  },
  {
    name: 'ci-legacy-jenkins',
    createdDaysAgo: 1300,
    managed: [customerArn('ArtifactsBucketRead')],
    keys: [
      { createdDaysAgo: 500, usedDaysAgo: 1, service: 's3' },
      { createdDaysAgo: 20, usedDaysAgo: 0, service: 's3' },
    ],
    tags: { owner: 'platform@acme.example' },
  },
  {
    name: 'backup-exporter',
    createdDaysAgo: 900,
    inline: [
      {
        name: 'write-backups',
        document: policy(allow('s3:PutObject', 'arn:aws:s3:::acme-backups/*')),
      },
    ],
    keys: [{ createdDaysAgo: 300, usedDaysAgo: 100, service: 's3' }],
    tags: { owner: 'data@acme.example' },
  },
  {
    name: 'metrics-shipper',
    createdDaysAgo: 70,
    inline: [{ name: 'put-metrics', document: policy(allow('cloudwatch:PutMetricData')) }],
    keys: [{ createdDaysAgo: 60 }],
    tags: { owner: 'platform@acme.example' },
  },
  {
    name: 'svc-reporting',
    createdDaysAgo: 600,
    inline: [
      {
        name: 'reporting',
        document: policy(
          allow(['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'], '*'),
          allow(
            ['s3:GetObject', 's3:ListBucket'],
            ['arn:aws:s3:::acme-data-lake', 'arn:aws:s3:::acme-data-lake/*'],
          ),
        ),
      },
    ],
    keys: [
      { createdDaysAgo: 30, usedDaysAgo: 0, service: 'athena' },
      { createdDaysAgo: 200, usedDaysAgo: 35, service: 'athena', active: false },
    ],
    tags: { owner: 'data@acme.example' },
    services: { athena: 0, s3: 0 },
  },
  {
    name: 'svc-sftp-uploader',
    createdDaysAgo: 400,
    inline: [
      {
        name: 'upload',
        document: policy(allow('s3:PutObject', 'arn:aws:s3:::acme-partner-drop/incoming/*')),
      },
    ],
    keys: [{ createdDaysAgo: 10, usedDaysAgo: 0, service: 's3' }],
    tags: { owner: 'partners@acme.example' },
  },
  {
    name: 'iam-automation',
    createdDaysAgo: 450,
    inline: [
      {
        name: 'manage-policies',
        document: policy(
          allow(
            ['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:ListPolicyVersions'],
            `arn:aws:iam::${A}:policy/*`,
          ),
          allow(['iam:ListPolicies', 'iam:GetPolicy']),
        ),
      },
    ],
    keys: [{ createdDaysAgo: 20, usedDaysAgo: 1, service: 'iam' }],
    tags: { owner: 'platform@acme.example' },
  },
];

const GROUPS: { name: string; createdDaysAgo: number; managed: string[] }[] = [
  { name: 'Developers', createdDaysAgo: 1000, managed: [customerArn('DeveloperAccess')] },
  { name: 'Admins', createdDaysAgo: 1400, managed: [awsManagedArn('AdministratorAccess')] },
  { name: 'ReadOnly', createdDaysAgo: 1400, managed: [awsManagedArn('AmazonS3ReadOnlyAccess')] },
];

// -------------------------------------------------------------------------- secrets, certificates

interface SecretSpec {
  region: string;
  name: string;
  description: string;
  createdDaysAgo: number;
  accessedDaysAgo?: number;
  rotation?: { lambda: string; days: number; rotatedDaysAgo: number; nextInDays: number };
  policy?: PolicyJson;
  tags?: Record<string, string>;
}

const SECRETS: SecretSpec[] = [
  {
    region: 'us-east-1',
    name: 'prod/orders/db-credentials',
    description: 'orders PostgreSQL application user',
    createdDaysAgo: 700,
    accessedDaysAgo: 0,
    rotation: { lambda: 'orders-db-rotation', days: 30, rotatedDaysAgo: 12, nextInDays: 18 },
    tags: { team: 'orders' },
  },
  {
    region: 'us-east-1',
    name: 'prod/payments/stripe-api-key',
    description: 'Stripe restricted API key',
    createdDaysAgo: 400,
    accessedDaysAgo: 0,
    tags: { team: 'payments' },
  },
  {
    region: 'us-east-1',
    name: 'prod/search/opensearch-master',
    description: 'OpenSearch master user, shared with the search admin role of the tools account',
    createdDaysAgo: 350,
    accessedDaysAgo: 1,
    rotation: { lambda: 'opensearch-rotation', days: 30, rotatedDaysAgo: 20, nextInDays: 10 },
    policy: policy({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${TOOLS_ACCOUNT}:role/search-admin` },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    }),
    tags: { team: 'search' },
  },
  {
    region: 'us-east-1',
    name: 'prod/partners/webhook-signing-key',
    description: 'HMAC key shared with the backup vendor',
    createdDaysAgo: 600,
    accessedDaysAgo: 0,
    rotation: { lambda: 'webhook-key-rotation', days: 60, rotatedDaysAgo: 25, nextInDays: 35 },
    policy: policy({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${BACKUP_VENDOR}:root` },
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: '*',
    }),
    tags: { team: 'partners' },
  },
  {
    region: 'us-east-1',
    name: 'prod/legacy/ftp-password',
    description: 'Password of the legacy partner FTP server',
    createdDaysAgo: 800,
    accessedDaysAgo: 5,
    rotation: { lambda: 'ftp-password-rotation', days: 30, rotatedDaysAgo: 200, nextInDays: -170 },
    tags: { team: 'partners' },
  },
  {
    region: 'us-east-1',
    name: 'staging/legacy-reports/api-token',
    description: 'Token of the old reporting API',
    createdDaysAgo: 500,
    accessedDaysAgo: 150,
    tags: { team: 'data' },
  },
  {
    region: 'eu-west-1',
    name: 'prod/eu/orders/db-credentials',
    description: 'orders PostgreSQL application user (EU)',
    createdDaysAgo: 450,
    accessedDaysAgo: 0,
    rotation: { lambda: 'orders-db-rotation-eu', days: 30, rotatedDaysAgo: 9, nextInDays: 21 },
    tags: { team: 'orders' },
  },
  {
    region: 'eu-west-1',
    name: 'prod/eu/payments/psp-api-key',
    description: 'Payment service provider key (EU)',
    createdDaysAgo: 380,
    accessedDaysAgo: 0,
    rotation: { lambda: 'psp-key-rotation', days: 60, rotatedDaysAgo: 40, nextInDays: 20 },
    tags: { team: 'payments' },
  },
];

const CERTIFICATES: { name: string; uploadedDaysAgo: number; expiresInDays: number }[] = [
  { name: 'www.acme-example.com-2025', uploadedDaysAgo: 165, expiresInDays: 200 },
  { name: 'legacy-api.acme-example.com-2024', uploadedDaysAgo: 377, expiresInDays: -12 },
  { name: 'partner-portal.acme-example.com', uploadedDaysAgo: 344, expiresInDays: 21 },
];

// ---------------------------------------------------------------------------------- assembly

export function makeDemoAccount(): ExportData {
  const random = seededRandom(20250602);
  const attachments = new Map<string, number>();
  const attach = (arns: readonly string[] | undefined) => {
    for (const arn of arns ?? []) attachments.set(arn, (attachments.get(arn) ?? 0) + 1);
    return [...(arns ?? [])];
  };
  const serviceLastAccessed: Record<string, Json> = {};
  const usage = (arn: string, services: Record<string, number | undefined> | undefined) => {
    if (!services) return;
    serviceLastAccessed[arn] = serviceLastAccessedEntry({
      principalArn: arn,
      generatedAt: ago(0, 2),
      services: Object.entries(services)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([namespace, days]) => (days === undefined ? { namespace } : { namespace, at: ago(days, 5) })),
    });
  };

  const roles: Json[] = ROLES.map((spec) => {
    const path = spec.path ?? '/';
    const entry = roleEntry({
      accountId: A,
      name: spec.name,
      path,
      id: uniqueId('AROA', random),
      createdAt: ago(spec.createdDaysAgo, 3),
      trust: spec.trust,
      inline: spec.inline ?? [],
      managed: attach(spec.managed),
      ...(spec.usedDaysAgo !== undefined
        ? { lastUsed: { at: ago(spec.usedDaysAgo, 1), region: spec.region ?? 'us-east-1' } }
        : {}),
      ...(spec.tags ? { tags: spec.tags } : {}),
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.instanceProfile ? { instanceProfile: true } : {}),
    }) as { [key: string]: Json };
    if (spec.boundary) {
      attachments.set(spec.boundary, attachments.get(spec.boundary) ?? 0);
      entry.PermissionsBoundary = {
        PermissionsBoundaryType: 'Policy',
        PermissionsBoundaryArn: spec.boundary,
      };
    }
    usage(roleArn(spec.name, path), spec.services);
    return entry;
  });
  for (const [name, [created, used]] of Object.entries(SERVICE_LINKED_ROLES)) {
    const slr = SERVICE_LINKED[name]!;
    roles.push(
      roleEntry({
        accountId: A,
        name,
        path: `/aws-service-role/${slr.service}/`,
        id: uniqueId('AROA', random),
        createdAt: ago(created, 7),
        trust: trustService(slr.service),
        managed: attach([serviceLinkedPolicyArn(name)]),
        ...(used !== undefined ? { lastUsed: { at: ago(used, 4), region: 'us-east-1' } } : {}),
        description: `Service-linked role for ${slr.service}`,
      }),
    );
  }
  roles.sort((a, b) =>
    String((a as { RoleName: string }).RoleName).localeCompare((b as { RoleName: string }).RoleName),
  );

  const groups = GROUPS.map((g) =>
    groupEntry({
      accountId: A,
      name: g.name,
      id: uniqueId('AGPA', random),
      createdAt: ago(g.createdDaysAgo, 6),
      managed: attach(g.managed),
    }),
  );

  const users: Json[] = [];
  const report: string[] = [
    rootCredentialLine({
      accountId: A,
      createdAt: new Date('2019-03-14T09:12:44Z'),
      passwordLastUsedAt: ago(35, 4),
      mfa: true,
      keys: [
        {
          active: true,
          createdAt: ago(1100, 2),
          lastUsed: { at: ago(400, 6), region: 'us-east-1', service: 's3' },
        },
        undefined,
      ],
    }),
  ];
  const accessKeys: Record<string, Json> = {};
  for (const spec of USERS) {
    const arn = userArn(A, spec.name);
    const createdAt = ago(spec.createdDaysAgo, 5);
    users.push(
      userEntry({
        accountId: A,
        name: spec.name,
        id: uniqueId('AIDA', random),
        createdAt,
        inline: spec.inline ?? [],
        managed: attach(spec.managed),
        groups: spec.groups ?? [],
        ...(spec.tags ? { tags: spec.tags } : {}),
      }),
    );
    const slots: KeySlot[] = (spec.keys ?? []).map((k) => ({
      active: k.active ?? true,
      createdAt: ago(k.createdDaysAgo, 2),
      ...(k.usedDaysAgo !== undefined
        ? { lastUsed: { at: ago(k.usedDaysAgo, 1), region: 'us-east-1', service: k.service ?? 's3' } }
        : {}),
    }));
    const row: CredentialRow = {
      user: spec.name,
      arn,
      createdAt,
      mfa: spec.mfa ?? false,
      keys: [slots[0], slots[1]],
    };
    if (spec.password) {
      row.password = {
        changedAt: ago(spec.password.changedDaysAgo, 5),
        ...(spec.password.usedDaysAgo !== null ? { lastUsedAt: ago(spec.password.usedDaysAgo, 3) } : {}),
      };
    }
    report.push(credentialReportLine(row));
    if (slots.length > 0) {
      accessKeys[spec.name] = accessKeyMetadata(
        spec.name,
        slots.map((slot) => ({
          id: uniqueId('AKIA', random, 20),
          active: slot.active,
          createdAt: slot.createdAt,
        })),
      );
    }
    usage(arn, spec.services);
  }

  const policies: Json[] = CUSTOMER_POLICIES.map((p) =>
    managedPolicyEntry({
      arn: customerArn(p.name),
      name: p.name,
      id: uniqueId('ANPA', random),
      createdAt: ago(p.created, 8),
      versions: p.versions.map((v) => ({ document: v.document, createdAt: ago(v.daysAgo, 8) })),
      attachmentCount: attachments.get(customerArn(p.name)) ?? 0,
      description: p.description,
    }),
  );
  for (const name of Object.keys(AWS_MANAGED)) {
    const count = attachments.get(awsManagedArn(name));
    if (count) policies.push(awsManagedPolicyEntry(name, count));
  }
  for (const name of Object.keys(SERVICE_LINKED_ROLES)) {
    policies.push(serviceLinkedPolicyEntry(name, attachments.get(serviceLinkedPolicyArn(name)) ?? 0));
  }
  // SecurityAudit (attached to vendor-security-scanner) is deliberately absent: the export lacks
  // its document, which the scan must report as a coverage gap rather than treat as harmless.

  const secrets: Record<string, { SecretList: Json[] }> = {};
  const secretPolicies: Json[] = [];
  for (const spec of SECRETS) {
    const suffix = `${random.pick(['a', 'B', 'x', 'Q'])}${uniqueId('', random, 5).toLowerCase()}`;
    const entry = secretEntry({
      accountId: A,
      region: spec.region,
      name: spec.name,
      suffix,
      description: spec.description,
      createdAt: ago(spec.createdDaysAgo, 9),
      ...(spec.accessedDaysAgo !== undefined ? { lastAccessedAt: ago(spec.accessedDaysAgo) } : {}),
      ...(spec.rotation
        ? {
            rotation: {
              lambdaName: spec.rotation.lambda,
              days: spec.rotation.days,
              lastRotatedAt: ago(spec.rotation.rotatedDaysAgo, 2),
              nextRotationAt: ahead(spec.rotation.nextInDays),
            },
          }
        : {}),
      ...(spec.tags ? { tags: spec.tags } : {}),
    }) as { ARN: string; Name: string };
    const list = secrets[spec.region] ?? { SecretList: [] };
    secrets[spec.region] = list;
    list.SecretList.push(entry as unknown as Json);
    secretPolicies.push(secretPolicyEntry(entry.ARN, entry.Name, spec.policy));
  }

  const certificates = CERTIFICATES.map((c) =>
    serverCertificateEntry({
      accountId: A,
      name: c.name,
      id: uniqueId('ASCA', random),
      uploadedAt: ago(c.uploadedDaysAgo, 10),
      expiresAt: ahead(c.expiresInDays),
    }),
  );

  return {
    account: { AccountId: A, CollectedAt: COLLECTED_AT.toISOString().replace('.000Z', 'Z') },
    authorizationDetails: {
      UserDetailList: users,
      GroupDetailList: groups,
      RoleDetailList: roles,
      Policies: policies,
    },
    credentialReport: report,
    secrets,
    secretPolicies,
    serverCertificates: { ServerCertificateMetadataList: certificates },
    serviceLastAccessed,
    accessKeys,
  };
}

/** The settings the demo is scanned with (examples/demo-config.yaml). */
export const DEMO_CONFIG = `# Settings for scanning examples/demo-account (npm run demo).
# Thresholds not listed keep their defaults (see \`iam-posture rules\`).
organization:
  id: ${DEMO_ORGANIZATION.id}
  accountIds:
${DEMO_ORGANIZATION.accountIds.map((id) => `    - "${id}"`).join('\n')}
exemptions:
  - ruleId: standing-admin
    resource: "arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*"
    reason: Administrators sign in through IAM Identity Center with MFA; sessions last one hour.
    owner: platform-security@acme.example
    expires: "2025-12-31"
  - ruleId: password-unused
    resource: arn:aws:iam::${A}:user/breakglass-admin
    reason: Break-glass user; its password is sealed and used only in an emergency.
    owner: platform-security@acme.example
    expires: "2025-09-30"
ownership:
  tagKeys: [owner, team, contact]
  patterns:
    - arn: "arn:aws:iam::${A}:role/vendor-*"
      owner: vendor-management
environments:
  accounts:
    "${A}": prod
    "${TOOLS_ACCOUNT}": prod
    "${SECURITY_ACCOUNT}": prod
    "${STAGING_ACCOUNT}": staging
  production: [prod]
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'examples/demo-account' },
      config: { type: 'string', default: 'examples/demo-config.yaml' },
    },
  });
  const files = await writeExport(values.out, makeDemoAccount());
  await writeFile(values.config, DEMO_CONFIG);
  process.stderr.write(`wrote ${values.out}: ${files.join(', ')}; and ${values.config}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
