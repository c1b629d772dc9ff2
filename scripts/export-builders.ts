/**
 * Builders for export directories in the exact shapes the AWS CLI prints: `aws iam
 * get-account-authorization-details`, the decoded credential report, `aws secretsmanager
 * list-secrets` and `get-resource-policy`, `aws iam list-server-certificates`,
 * `get-service-last-accessed-details` and `list-access-keys`. Used by the demo account script and
 * the synthetic export generator.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type PolicyJson = { Version: string; Statement: Json[] };

// ------------------------------------------------------------------------------- determinism

/** mulberry32: a small, fast, seeded PRNG. Same seed, same export. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)]!,
  };
}

export interface Random {
  /** [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(list: readonly T[]): T;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An IAM unique id: `AROA` + 17 characters for roles, `AIDA` users, `AGPA` groups, `ANPA` policies. */
export function uniqueId(prefix: string, random: Random, length = 21): string {
  let id = prefix;
  while (id.length < length) id += ID_ALPHABET[random.int(0, ID_ALPHABET.length - 1)];
  return id;
}

export function alphanumeric(random: Random, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  while (text.length < length) text += alphabet[random.int(0, alphabet.length - 1)];
  return text;
}

export const DAY = 86_400_000;

export function daysBefore(instant: Date, days: number, random?: Random): Date {
  const jitter = random ? random.int(0, 86_399) * 1000 : 0;
  return new Date(instant.getTime() - days * DAY - jitter);
}

/** The AWS CLI's timestamp form: `2024-05-01T10:23:45+00:00` (whole seconds). */
export function awsTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

// ------------------------------------------------------------------------------ policies

export function policy(...statements: Json[]): PolicyJson {
  return { Version: '2012-10-17', Statement: statements };
}

export function allow(
  action: string | string[],
  resource: string | string[] = '*',
  extra: object = {},
): Json {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra } as Json;
}

export function trustService(service: string): PolicyJson {
  return policy({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' });
}

export function trustAccount(principal: string, condition?: Json): PolicyJson {
  const statement: { [key: string]: Json } = {
    Effect: 'Allow',
    Principal: { AWS: principal },
    Action: 'sts:AssumeRole',
  };
  if (condition) statement.Condition = condition;
  return policy(statement);
}

/** GitHub Actions OIDC federation; `sub` undefined leaves the subject unconstrained. */
export function trustGitHub(accountId: string, sub?: string, operator = 'StringLike'): PolicyJson {
  const condition: { [key: string]: { [key: string]: Json } } = {
    StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
  };
  if (sub !== undefined) {
    condition[operator] = { ...(condition[operator] ?? {}), 'token.actions.githubusercontent.com:sub': sub };
  }
  return policy({
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: condition,
  });
}

/** AWS managed policies: the documents of their default versions, as AWS publishes them. */
export const AWS_MANAGED: Record<string, { path: string; version: string; document: PolicyJson }> = {
  AdministratorAccess: { path: '/', version: 'v1', document: policy(allow('*')) },
  IAMFullAccess: {
    path: '/',
    version: 'v2',
    document: policy(
      allow('iam:*'),
      allow([
        'organizations:DescribeAccount',
        'organizations:DescribeOrganization',
        'organizations:DescribeOrganizationalUnit',
        'organizations:DescribePolicy',
        'organizations:ListChildren',
        'organizations:ListParents',
        'organizations:ListPoliciesForTarget',
        'organizations:ListRoots',
        'organizations:ListPolicies',
        'organizations:ListTargetsForPolicy',
      ]),
    ),
  },
  PowerUserAccess: {
    path: '/',
    version: 'v5',
    document: policy(
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      allow([
        'account:GetAccountInformation',
        'account:GetPrimaryEmail',
        'account:ListRegions',
        'iam:CreateServiceLinkedRole',
        'iam:DeleteServiceLinkedRole',
        'iam:ListRoles',
        'organizations:DescribeOrganization',
      ]),
    ),
  },
  AWSLambdaBasicExecutionRole: {
    path: '/service-role/',
    version: 'v1',
    document: policy(allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'])),
  },
  AmazonECSTaskExecutionRolePolicy: {
    path: '/service-role/',
    version: 'v1',
    document: policy(
      allow([
        'ecr:GetAuthorizationToken',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]),
    ),
  },
  AmazonS3ReadOnlyAccess: {
    path: '/',
    version: 'v3',
    document: policy(
      allow(['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*']),
    ),
  },
  AmazonEC2ContainerRegistryReadOnly: {
    path: '/',
    version: 'v3',
    document: policy(
      allow([
        'ecr:GetAuthorizationToken',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:GetRepositoryPolicy',
        'ecr:DescribeRepositories',
        'ecr:ListImages',
        'ecr:DescribeImages',
        'ecr:BatchGetImage',
        'ecr:GetLifecyclePolicy',
        'ecr:GetLifecyclePolicyPreview',
        'ecr:ListTagsForResource',
        'ecr:DescribeImageScanFindings',
      ]),
    ),
  },
  AmazonSSMManagedInstanceCore: {
    path: '/',
    version: 'v2',
    document: policy(
      allow([
        'ssm:DescribeAssociation',
        'ssm:GetDeployablePatchSnapshotForInstance',
        'ssm:GetDocument',
        'ssm:DescribeDocument',
        'ssm:GetManifest',
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:ListAssociations',
        'ssm:ListInstanceAssociations',
        'ssm:PutInventory',
        'ssm:PutComplianceItems',
        'ssm:PutConfigurePackageResult',
        'ssm:UpdateAssociationStatus',
        'ssm:UpdateInstanceAssociationStatus',
        'ssm:UpdateInstanceInformation',
      ]),
      allow([
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ]),
      allow([
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ]),
    ),
  },
  AmazonRDSEnhancedMonitoringRole: {
    path: '/service-role/',
    version: 'v1',
    document: policy(
      allow(['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], 'arn:aws:logs:*:*:log-group:RDS*', {
        Sid: 'EnableCreationAndManagementOfRDSCloudwatchLogGroups',
      }),
      allow(
        ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
        'arn:aws:logs:*:*:log-group:RDS*:log-stream:*',
        { Sid: 'EnableCreationAndManagementOfRDSCloudwatchLogStreams' },
      ),
    ),
  },
};

/**
 * Service-linked role policies, abridged to a few of their read actions: enough to make the roles
 * realistic without copying documents of several hundred actions.
 */
export const SERVICE_LINKED: Record<string, { service: string; policy: string; document: PolicyJson }> = {
  AWSServiceRoleForSupport: {
    service: 'support.amazonaws.com',
    policy: 'AWSSupportServiceRolePolicy',
    document: policy(allow(['ec2:DescribeInstances', 'iam:GetAccountSummary', 'cloudtrail:DescribeTrails'])),
  },
  AWSServiceRoleForTrustedAdvisor: {
    service: 'trustedadvisor.amazonaws.com',
    policy: 'AWSTrustedAdvisorServiceRolePolicy',
    document: policy(allow(['ec2:DescribeVolumes', 'iam:GetAccountPasswordPolicy', 's3:GetBucketAcl'])),
  },
  AWSServiceRoleForECS: {
    service: 'ecs.amazonaws.com',
    policy: 'AmazonECSServiceRolePolicy',
    document: policy(allow(['ec2:DescribeNetworkInterfaces', 'elasticloadbalancing:DescribeTargetGroups'])),
  },
  AWSServiceRoleForElasticLoadBalancing: {
    service: 'elasticloadbalancing.amazonaws.com',
    policy: 'AWSElasticLoadBalancingServiceRolePolicy',
    document: policy(allow(['ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'])),
  },
  AWSServiceRoleForAutoScaling: {
    service: 'autoscaling.amazonaws.com',
    policy: 'AutoScalingServiceRolePolicy',
    document: policy(allow(['ec2:DescribeInstanceStatus', 'cloudwatch:DescribeAlarms'])),
  },
};

export function serviceLinkedPolicyArn(roleName: string): string {
  return `arn:aws:iam::aws:policy/aws-service-role/${SERVICE_LINKED[roleName]!.policy}`;
}

export function serviceLinkedPolicyEntry(roleName: string, attachmentCount: number): Json {
  const slr = SERVICE_LINKED[roleName]!;
  return managedPolicyEntry({
    arn: serviceLinkedPolicyArn(roleName),
    name: slr.policy,
    path: '/aws-service-role/',
    id: `ANPA${slr.policy
      .toUpperCase()
      .replace(/[^A-Z2-7]/g, '')
      .padEnd(17, 'Q')
      .slice(0, 17)}`,
    createdAt: new Date('2018-04-19T16:42:12Z'),
    versions: [{ document: slr.document, createdAt: new Date('2023-06-01T12:00:00Z'), id: 'v7' }],
    attachmentCount,
  });
}

export function awsManagedArn(name: string): string {
  const entry = AWS_MANAGED[name];
  return `arn:aws:iam::aws:policy${entry ? entry.path : '/'}${name}`;
}

export function attachment(arn: string): Json {
  return { PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn };
}

/** A `Policies` entry; the last version is the default. */
export function managedPolicyEntry(options: {
  arn: string;
  name: string;
  path?: string;
  id: string;
  createdAt: Date;
  /** Oldest first; the last is the default version. Ids default to v1, v2, ... */
  versions: { document: PolicyJson; createdAt: Date; id?: string }[];
  attachmentCount: number;
  description?: string;
}): Json {
  const versions = options.versions.map((version, i) => ({
    Document: version.document,
    VersionId: version.id ?? `v${i + 1}`,
    IsDefaultVersion: i === options.versions.length - 1,
    CreateDate: awsTime(version.createdAt),
  }));
  const last = versions[versions.length - 1]!;
  const entry: { [key: string]: Json } = {
    PolicyName: options.name,
    PolicyId: options.id,
    Arn: options.arn,
    Path: options.path ?? '/',
    DefaultVersionId: last.VersionId,
    AttachmentCount: options.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    CreateDate: awsTime(options.createdAt),
    UpdateDate: last.CreateDate,
    PolicyVersionList: versions.reverse(),
  };
  if (options.description) entry.Description = options.description;
  return entry;
}

export function awsManagedPolicyEntry(name: string, attachmentCount: number): Json {
  const managed = AWS_MANAGED[name];
  if (!managed) throw new Error(`no document for AWS managed policy ${name}`);
  const created = new Date('2015-02-06T18:39:46Z');
  return managedPolicyEntry({
    arn: awsManagedArn(name),
    name,
    path: managed.path,
    id: `ANPA${name
      .toUpperCase()
      .replace(/[^A-Z2-7]/g, '')
      .padEnd(17, 'Q')
      .slice(0, 17)}`,
    createdAt: created,
    // Only the default version: older versions of AWS managed policies add size, not findings.
    versions: [
      { document: managed.document, createdAt: new Date('2023-06-01T12:00:00Z'), id: managed.version },
    ],
    attachmentCount,
  });
}

// -------------------------------------------------------------------------- identities

export interface InlinePolicy {
  name: string;
  document: PolicyJson;
}

export function roleEntry(options: {
  accountId: string;
  name: string;
  path?: string;
  id: string;
  createdAt: Date;
  trust: PolicyJson | string;
  inline?: InlinePolicy[];
  managed?: string[];
  lastUsed?: { at: Date; region: string };
  tags?: Record<string, string>;
  description?: string;
  maxSessionDuration?: number;
  instanceProfile?: boolean;
}): Json {
  const path = options.path ?? '/';
  const arn = `arn:aws:iam::${options.accountId}:role${path}${options.name}`;
  const entry: { [key: string]: Json } = {
    Path: path,
    RoleName: options.name,
    RoleId: options.id,
    Arn: arn,
    CreateDate: awsTime(options.createdAt),
    AssumeRolePolicyDocument: options.trust,
    InstanceProfileList: options.instanceProfile
      ? [
          {
            Path: '/',
            InstanceProfileName: options.name,
            InstanceProfileId: `AIPA${options.id.slice(4)}`,
            Arn: `arn:aws:iam::${options.accountId}:instance-profile/${options.name}`,
            CreateDate: awsTime(options.createdAt),
            Roles: [],
          },
        ]
      : [],
    RolePolicyList: (options.inline ?? []).map((p) => ({ PolicyName: p.name, PolicyDocument: p.document })),
    AttachedManagedPolicies: (options.managed ?? []).map(attachment),
    Tags: tagList(options.tags),
    RoleLastUsed: options.lastUsed
      ? { LastUsedDate: awsTime(options.lastUsed.at), Region: options.lastUsed.region }
      : {},
  };
  if (options.description) entry.Description = options.description;
  if (options.maxSessionDuration) entry.MaxSessionDuration = options.maxSessionDuration;
  return entry;
}

export function userEntry(options: {
  accountId: string;
  name: string;
  path?: string;
  id: string;
  createdAt: Date;
  inline?: InlinePolicy[];
  managed?: string[];
  groups?: string[];
  tags?: Record<string, string>;
}): Json {
  const path = options.path ?? '/';
  return {
    Path: path,
    UserName: options.name,
    UserId: options.id,
    Arn: userArn(options.accountId, options.name, path),
    CreateDate: awsTime(options.createdAt),
    UserPolicyList: (options.inline ?? []).map((p) => ({ PolicyName: p.name, PolicyDocument: p.document })),
    GroupList: options.groups ?? [],
    AttachedManagedPolicies: (options.managed ?? []).map(attachment),
    Tags: tagList(options.tags),
  };
}

export function userArn(accountId: string, name: string, path = '/'): string {
  return `arn:aws:iam::${accountId}:user${path}${name}`;
}

export function groupEntry(options: {
  accountId: string;
  name: string;
  id: string;
  createdAt: Date;
  inline?: InlinePolicy[];
  managed?: string[];
}): Json {
  return {
    Path: '/',
    GroupName: options.name,
    GroupId: options.id,
    Arn: `arn:aws:iam::${options.accountId}:group/${options.name}`,
    CreateDate: awsTime(options.createdAt),
    GroupPolicyList: (options.inline ?? []).map((p) => ({ PolicyName: p.name, PolicyDocument: p.document })),
    AttachedManagedPolicies: (options.managed ?? []).map(attachment),
  };
}

function tagList(tags: Record<string, string> | undefined): Json[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

// ---------------------------------------------------------------------- credential report

/** The credential report header, column for column as AWS generates it. */
export const CREDENTIAL_REPORT_HEADER = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
].join(',');

export interface KeySlot {
  active: boolean;
  /** The key's creation time. */
  createdAt: Date;
  lastUsed?: { at: Date; region: string; service: string };
}

export interface CredentialRow {
  user: string;
  arn: string;
  createdAt: Date;
  /** Absent: no console password. `lastUsedAt` absent: never signed in (`no_information`). */
  password?: { lastUsedAt?: Date; changedAt: Date };
  mfa: boolean;
  keys: [KeySlot | undefined, KeySlot | undefined];
}

export function credentialReportLine(row: CredentialRow): string {
  const key = (slot: KeySlot | undefined): string[] => {
    if (!slot) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
    return [
      String(slot.active),
      awsTime(slot.createdAt),
      slot.lastUsed ? awsTime(slot.lastUsed.at) : 'N/A',
      slot.lastUsed ? slot.lastUsed.region : 'N/A',
      slot.lastUsed ? slot.lastUsed.service : 'N/A',
    ];
  };
  const password = row.password
    ? [
        'true',
        row.password.lastUsedAt ? awsTime(row.password.lastUsedAt) : 'no_information',
        awsTime(row.password.changedAt),
        'N/A',
      ]
    : ['false', 'N/A', 'N/A', 'N/A'];
  return [
    row.user,
    row.arn,
    awsTime(row.createdAt),
    ...password,
    String(row.mfa),
    ...key(row.keys[0]),
    ...key(row.keys[1]),
    'false',
    'N/A',
    'false',
    'N/A',
  ].join(',');
}

/** The `<root_account>` row: root has no password flags of its own (`not_supported`). */
export function rootCredentialLine(options: {
  accountId: string;
  createdAt: Date;
  passwordLastUsedAt?: Date;
  mfa: boolean;
  keys: [KeySlot | undefined, KeySlot | undefined];
}): string {
  const line = credentialReportLine({
    user: '<root_account>',
    arn: `arn:aws:iam::${options.accountId}:root`,
    createdAt: options.createdAt,
    mfa: options.mfa,
    keys: options.keys,
  }).split(',');
  line[3] = 'not_supported';
  line[4] = options.passwordLastUsedAt ? awsTime(options.passwordLastUsedAt) : 'no_information';
  line[5] = 'not_supported';
  line[6] = 'not_supported';
  return line.join(',');
}

export function accessKeyMetadata(
  userName: string,
  keys: { id: string; active: boolean; createdAt: Date }[],
): Json {
  return {
    AccessKeyMetadata: keys.map((k) => ({
      UserName: userName,
      AccessKeyId: k.id,
      Status: k.active ? 'Active' : 'Inactive',
      CreateDate: awsTime(k.createdAt),
    })),
  };
}

// ---------------------------------------------------------------- secrets, certificates, usage

export function secretEntry(options: {
  accountId: string;
  region: string;
  name: string;
  suffix: string;
  createdAt: Date;
  description?: string;
  lastAccessedAt?: Date;
  lastChangedAt?: Date;
  rotation?: { lambdaName: string; days: number; lastRotatedAt?: Date; nextRotationAt?: Date };
  tags?: Record<string, string>;
}): Json {
  const arn = `arn:aws:secretsmanager:${options.region}:${options.accountId}:secret:${options.name}-${options.suffix}`;
  const entry: { [key: string]: Json } = { ARN: arn, Name: options.name };
  if (options.description) entry.Description = options.description;
  if (options.rotation) {
    entry.RotationEnabled = true;
    entry.RotationLambdaARN = `arn:aws:lambda:${options.region}:${options.accountId}:function:${options.rotation.lambdaName}`;
    entry.RotationRules = { AutomaticallyAfterDays: options.rotation.days };
    if (options.rotation.lastRotatedAt) entry.LastRotatedDate = awsTime(options.rotation.lastRotatedAt);
    if (options.rotation.nextRotationAt) entry.NextRotationDate = awsTime(options.rotation.nextRotationAt);
  }
  entry.LastChangedDate = awsTime(
    options.lastChangedAt ?? options.rotation?.lastRotatedAt ?? options.createdAt,
  );
  if (options.lastAccessedAt) {
    // Secrets Manager records the access date at day granularity.
    entry.LastAccessedDate = `${options.lastAccessedAt.toISOString().slice(0, 10)}T00:00:00+00:00`;
  }
  entry.Tags = tagList(options.tags);
  entry.SecretVersionsToStages = {
    [`${options.suffix.toLowerCase()}-0000-4000-8000-${options.suffix.toLowerCase()}000000`]: ['AWSCURRENT'],
  };
  entry.CreatedDate = awsTime(options.createdAt);
  return entry;
}

/** `get-resource-policy` output; no `ResourcePolicy` member when the secret has none. */
export function secretPolicyEntry(arn: string, name: string, document?: PolicyJson): Json {
  return document
    ? { ARN: arn, Name: name, ResourcePolicy: JSON.stringify(document) }
    : { ARN: arn, Name: name };
}

export function serverCertificateEntry(options: {
  accountId: string;
  name: string;
  id: string;
  uploadedAt: Date;
  expiresAt: Date;
  path?: string;
}): Json {
  const path = options.path ?? '/';
  return {
    Path: path,
    ServerCertificateName: options.name,
    ServerCertificateId: options.id,
    Arn: `arn:aws:iam::${options.accountId}:server-certificate${path}${options.name}`,
    UploadDate: awsTime(options.uploadedAt),
    Expiration: awsTime(options.expiresAt),
  };
}

/** Service namespaces and the names `get-service-last-accessed-details` gives them. */
export const SERVICE_NAMES: Record<string, string> = {
  athena: 'Amazon Athena',
  cloudfront: 'Amazon CloudFront',
  cloudwatch: 'Amazon CloudWatch',
  dynamodb: 'Amazon DynamoDB',
  ec2: 'Amazon EC2',
  ec2messages: 'Amazon Message Delivery Service',
  ecr: 'Amazon Elastic Container Registry',
  ecs: 'Amazon Elastic Container Service',
  events: 'Amazon EventBridge',
  glue: 'AWS Glue',
  iam: 'AWS Identity and Access Management',
  kinesis: 'Amazon Kinesis',
  kms: 'AWS Key Management Service',
  lambda: 'AWS Lambda',
  logs: 'Amazon CloudWatch Logs',
  s3: 'Amazon S3',
  secretsmanager: 'AWS Secrets Manager',
  sns: 'Amazon SNS',
  sqs: 'Amazon SQS',
  ssm: 'AWS Systems Manager',
  ssmmessages: 'Amazon Session Manager Message Gateway Service',
  states: 'AWS Step Functions',
  sts: 'AWS Security Token Service',
  tag: 'AWS Resource Groups Tagging API',
  xray: 'AWS X-Ray',
};

/** `get-service-last-accessed-details` output; `at` undefined means never accessed. */
export function serviceLastAccessedEntry(options: {
  principalArn: string;
  generatedAt: Date;
  services: { namespace: string; at?: Date; region?: string }[];
}): Json {
  return {
    JobStatus: 'COMPLETED',
    JobType: 'SERVICE_LEVEL',
    JobCreationDate: awsTime(new Date(options.generatedAt.getTime() - 4000)),
    ServicesLastAccessed: options.services.map((s) => {
      const entry: { [key: string]: Json } = {
        ServiceName: SERVICE_NAMES[s.namespace] ?? s.namespace,
        ServiceNamespace: s.namespace,
      };
      if (s.at) {
        entry.LastAuthenticated = awsTime(s.at);
        entry.LastAuthenticatedEntity = options.principalArn;
        entry.LastAuthenticatedRegion = s.region ?? 'us-east-1';
        entry.TotalAuthenticatedEntities = 1;
      } else {
        entry.TotalAuthenticatedEntities = 0;
      }
      return entry;
    }),
    JobCompletionDate: awsTime(options.generatedAt),
    IsTruncated: false,
  };
}

// ------------------------------------------------------------------------------ writing

export interface ExportData {
  account: { AccountId: string; CollectedAt: string };
  authorizationDetails: {
    UserDetailList: Json[];
    GroupDetailList: Json[];
    RoleDetailList: Json[];
    Policies: Json[];
  };
  /** Credential report lines without the header. */
  credentialReport: string[];
  secrets?: Record<string, { SecretList: Json[] }>;
  secretPolicies?: Json[];
  serverCertificates?: { ServerCertificateMetadataList: Json[] };
  serviceLastAccessed?: Record<string, Json>;
  accessKeys?: Record<string, Json>;
}

/** Writes the export directory, JSON indented as the AWS CLI prints it (4 spaces). */
export async function writeExport(dir: string, data: ExportData, indent = 4): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ['account.json', json(data.account, indent)],
    ['authorization-details.json', json(data.authorizationDetails, indent)],
    ['credential-report.csv', `${[CREDENTIAL_REPORT_HEADER, ...data.credentialReport].join('\n')}\n`],
  ];
  if (data.secrets) files.push(['secrets.json', json(data.secrets, indent)]);
  if (data.secretPolicies) files.push(['secret-policies.json', json(data.secretPolicies, indent)]);
  if (data.serverCertificates)
    files.push(['server-certificates.json', json(data.serverCertificates, indent)]);
  if (data.serviceLastAccessed)
    files.push(['service-last-accessed.json', json(data.serviceLastAccessed, indent)]);
  if (data.accessKeys) files.push(['access-keys.json', json(data.accessKeys, indent)]);
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => name);
}

function json(value: unknown, indent: number): string {
  return `${JSON.stringify(value, null, indent)}\n`;
}
