/**
 * Synthetic export directory of any size, for benchmarks and scale tests: the same files and
 * shapes as an AWS CLI export, with a realistic mix of workload roles, CI roles, cross-account
 * roles, machine users with keys, humans, secrets and certificates, most healthy, some not.
 *
 *   npx tsx scripts/generate-export.ts --identities 10000 --seed 1 --out bench-data/10k
 *
 * The same `--identities` and `--seed` always produce the same files.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AWS_MANAGED,
  accessKeyMetadata,
  allow,
  awsManagedArn,
  awsManagedPolicyEntry,
  awsTime,
  type CredentialRow,
  credentialReportLine,
  daysBefore,
  type ExportData,
  groupEntry,
  type InlinePolicy,
  type Json,
  type KeySlot,
  managedPolicyEntry,
  type PolicyJson,
  policy,
  type Random,
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

export interface GenerateOptions {
  /** Roles plus users. */
  identities: number;
  seed: number;
  accountId?: string;
  collectedAt?: Date;
}

const REGIONS = ['us-east-1', 'eu-west-1'];
const ORG_ACCOUNTS = ['444455556666', '555566667777'];
const VENDOR_ACCOUNTS = ['999988887777', '888877776666', '777766665555'];
const TEAMS = ['orders', 'payments', 'search', 'identity', 'data', 'platform', 'growth', 'support'];

/** Service permission templates for inline and customer managed policies. */
const SERVICE_GRANTS: ((account: string, name: string, random: Random) => Json)[] = [
  (_a, name) =>
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:ListBucket'],
      [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
    ),
  (a, name) =>
    allow(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      `arn:aws:dynamodb:us-east-1:${a}:table/${name}`,
    ),
  (a, name) =>
    allow(
      ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      `arn:aws:sqs:us-east-1:${a}:${name}`,
    ),
  (a, name) => allow('sns:Publish', `arn:aws:sns:us-east-1:${a}:${name}`),
  (a, name) =>
    allow('secretsmanager:GetSecretValue', `arn:aws:secretsmanager:us-east-1:${a}:secret:${name}/*`),
  (a, _name, random) =>
    allow(['kms:Decrypt', 'kms:GenerateDataKey'], `arn:aws:kms:us-east-1:${a}:key/${uuid(random)}`),
  (a, name) =>
    allow(['kinesis:PutRecord', 'kinesis:PutRecords'], `arn:aws:kinesis:us-east-1:${a}:stream/${name}`),
  (a, name) => allow('events:PutEvents', `arn:aws:events:us-east-1:${a}:event-bus/${name}`),
  () => allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
  (a, name) =>
    allow(['ssm:GetParameter', 'ssm:GetParameters'], `arn:aws:ssm:us-east-1:${a}:parameter/${name}/*`, {
      Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
    }),
  (a, name) => allow('lambda:InvokeFunction', `arn:aws:lambda:us-east-1:${a}:function:${name}`),
  (a, name) => allow('states:StartExecution', `arn:aws:states:us-east-1:${a}:stateMachine:${name}`),
];

/** Namespaces of `SERVICE_GRANTS`, by index, for service-last-accessed data. */
const GRANT_NAMESPACES = [
  's3',
  'dynamodb',
  'sqs',
  'sns',
  'secretsmanager',
  'kms',
  'kinesis',
  'events',
  'xray',
  'ssm',
  'lambda',
  'states',
];

const ESCALATION_GRANTS: Json[][] = [
  [allow('iam:PassRole'), allow(['lambda:CreateFunction', 'lambda:InvokeFunction'])],
  [allow(['iam:CreatePolicyVersion', 'iam:ListPolicyVersions'])],
  [allow(['iam:AttachRolePolicy', 'iam:PutRolePolicy'])],
];

function uuid(random: Random): string {
  const hex = () => random.int(0, 15).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

export function generateExport(options: GenerateOptions): ExportData {
  const random = seededRandom(options.seed);
  const account = options.accountId ?? '111122223333';
  const now = options.collectedAt ?? new Date('2025-06-02T08:00:00Z');
  const roleCount = Math.round(options.identities * 0.8);
  const userCount = options.identities - roleCount;

  const policies: Json[] = [];
  const awsAttachments = new Map<string, number>();
  const attachAws = (name: string) => {
    awsAttachments.set(name, (awsAttachments.get(name) ?? 0) + 1);
    return awsManagedArn(name);
  };
  const slrAttachments = new Map<string, number>();

  // Customer managed policies, shared by teams.
  const customerPolicies: string[] = [];
  const customerCount = Math.max(5, Math.floor(options.identities / 25));
  const customerAttachments: number[] = new Array(customerCount).fill(0);
  for (let i = 0; i < customerCount; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const name = `${team}-access-${i}`;
    const arn = `arn:aws:iam::${account}:policy/${team}/${name}`;
    customerPolicies.push(arn);
  }

  // Roles.
  const roles: Json[] = [];
  const principalsWithUsage: { arn: string; namespaces: string[]; stale: boolean }[] = [];
  for (let i = 0; i < roleCount; i++) {
    const team = random.pick(TEAMS);
    const createdAt = daysBefore(now, random.int(1, 1100), random);
    const ageDays = (now.getTime() - createdAt.getTime()) / 86_400_000;
    const usage = random.next();
    const lastUsed =
      usage < 0.75
        ? {
            at: daysBefore(now, random.int(0, Math.min(30, Math.floor(ageDays))), random),
            region: random.pick(REGIONS),
          }
        : usage < 0.9 && ageDays > 100
          ? { at: daysBefore(now, random.int(91, Math.floor(ageDays)), random), region: random.pick(REGIONS) }
          : undefined;
    const id = uniqueId('AROA', random);
    const kind = random.next();
    let trust: PolicyJson;
    let name: string;
    let path = '/';
    const managed: string[] = [];
    const inline: InlinePolicy[] = [];
    const grants = random.int(1, 3);
    const statements: Json[] = [];
    const namespaces: string[] = [];
    for (let g = 0; g < grants; g++) {
      const index = random.int(0, SERVICE_GRANTS.length - 1);
      statements.push(SERVICE_GRANTS[index]!(account, `${team}-${i}-${g}`, random));
      namespaces.push(GRANT_NAMESPACES[index]!);
    }
    if (kind < 0.4) {
      name = `${team}-fn-${i}`;
      trust = trustService('lambda.amazonaws.com');
      managed.push(attachAws('AWSLambdaBasicExecutionRole'));
      namespaces.push('logs');
    } else if (kind < 0.6) {
      name = `${team}-task-${i}`;
      trust = trustService('ecs-tasks.amazonaws.com');
      if (random.chance(0.5)) {
        managed.push(attachAws('AmazonECSTaskExecutionRolePolicy'));
        namespaces.push('ecr', 'logs');
      }
    } else if (kind < 0.72) {
      name = `${team}-instance-${i}`;
      trust = trustService('ec2.amazonaws.com');
      managed.push(attachAws('AmazonSSMManagedInstanceCore'));
      namespaces.push('ssm', 'ssmmessages', 'ec2messages');
    } else if (kind < 0.82) {
      name = `gha-${team}-${i}`;
      const scoped = random.chance(0.95);
      trust = trustGitHub(
        account,
        scoped ? `repo:acme-corp/${team}-service-${i}:ref:refs/heads/main` : 'repo:acme-corp/*',
      );
      if (random.chance(0.3)) {
        managed.push(attachAws('AmazonEC2ContainerRegistryReadOnly'));
        namespaces.push('ecr');
      }
    } else if (kind < 0.9) {
      const vendor = random.chance(0.3);
      name = vendor ? `vendor-integration-${i}` : `cross-account-${team}-${i}`;
      if (vendor) {
        const withExternalId = random.chance(0.7);
        trust = trustAccount(
          `arn:aws:iam::${random.pick(VENDOR_ACCOUNTS)}:root`,
          withExternalId ? { StringEquals: { 'sts:ExternalId': uuid(random) } } : undefined,
        );
      } else {
        trust = trustAccount(`arn:aws:iam::${random.pick(ORG_ACCOUNTS)}:role/deployer`);
      }
      managed.push(attachAws('AmazonS3ReadOnlyAccess'));
      namespaces.push('s3');
    } else if (kind < 0.93) {
      const base = random.pick(Object.keys(SERVICE_LINKED));
      name = `${base}_${i}`;
      path = `/aws-service-role/${SERVICE_LINKED[base]!.service}/`;
      trust = trustService(SERVICE_LINKED[base]!.service);
      managed.push(serviceLinkedPolicyArn(base));
      slrAttachments.set(base, (slrAttachments.get(base) ?? 0) + 1);
      statements.length = 0;
    } else if (kind < 0.95) {
      name = `${team}-admin-${i}`;
      trust = trustAccount(`arn:aws:iam::${random.pick(ORG_ACCOUNTS)}:root`, {
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      });
      managed.push(attachAws(random.chance(0.7) ? 'AdministratorAccess' : 'IAMFullAccess'));
    } else if (kind < 0.97) {
      name = `${team}-build-${i}`;
      trust = trustService('codebuild.amazonaws.com');
      statements.push(...random.pick(ESCALATION_GRANTS));
    } else {
      name = `${team}-scheduler-${i}`;
      trust = trustService('scheduler.amazonaws.com');
    }
    if (statements.length > 0) inline.push({ name: `${team}-inline`, document: policy(...statements) });
    if (!path.startsWith('/aws-service-role/') && random.chance(0.5)) {
      const p = random.int(0, customerCount - 1);
      customerAttachments[p]!++;
      managed.push(customerPolicies[p]!);
    }
    // Most roles carry their team's tag (their owner); one in ten is orphaned.
    const tags = random.chance(0.9) ? { team, env: random.pick(['prod', 'staging', 'dev']) } : undefined;
    const role = roleEntry({
      accountId: account,
      name,
      path,
      id,
      createdAt,
      trust,
      inline,
      managed,
      ...(lastUsed ? { lastUsed } : {}),
      ...(tags ? { tags } : {}),
      instanceProfile: name.includes('-instance-'),
    });
    roles.push(role);
    if (random.chance(0.1) && !path.startsWith('/aws-service-role/')) {
      principalsWithUsage.push({ arn: (role as { Arn: string }).Arn, namespaces, stale: random.chance(0.3) });
    }
  }

  // Groups.
  const groups: Json[] = [];
  const groupNames: string[] = [];
  const groupCount = Math.max(3, Math.floor(options.identities / 200));
  for (let i = 0; i < groupCount; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const name = `${team}-engineers-${i}`;
    groupNames.push(name);
    const p = i % customerCount;
    customerAttachments[p]!++;
    groups.push(
      groupEntry({
        accountId: account,
        name,
        id: uniqueId('AGPA', random),
        createdAt: daysBefore(now, random.int(200, 1500), random),
        inline: [
          {
            name: 'read-dashboards',
            document: policy(allow(['cloudwatch:GetDashboard', 'cloudwatch:ListDashboards'])),
          },
        ],
        managed: [attachAws('AmazonS3ReadOnlyAccess'), customerPolicies[p]!],
      }),
    );
  }

  // Users, credential report, access keys.
  const users: Json[] = [];
  const report: string[] = [
    rootCredentialLine({
      accountId: account,
      createdAt: new Date('2017-03-14T09:12:44Z'),
      passwordLastUsedAt: daysBefore(now, 40, random),
      mfa: true,
      keys: [undefined, undefined],
    }),
  ];
  const accessKeys: Record<string, Json> = {};
  for (let i = 0; i < userCount; i++) {
    const team = random.pick(TEAMS);
    const human = random.chance(0.25);
    const name = human ? `${team}.person${i}` : `svc-${team}-${i}`;
    const createdAt = daysBefore(now, random.int(5, 1500), random);
    const ageDays = Math.floor((now.getTime() - createdAt.getTime()) / 86_400_000);
    const arn = userArn(account, name);
    const inline: InlinePolicy[] = [];
    if (!human) {
      const index = random.int(0, SERVICE_GRANTS.length - 1);
      inline.push({ name: 'app', document: policy(SERVICE_GRANTS[index]!(account, `${team}-${i}`, random)) });
    }
    users.push(
      userEntry({
        accountId: account,
        name,
        id: uniqueId('AIDA', random),
        createdAt,
        inline,
        groups: human ? [random.pick(groupNames)] : [],
        ...(human ? {} : { tags: { team, owner: `${team}@example.com` } }),
      }),
    );
    const keyFor = (active: boolean): KeySlot => {
      const created = daysBefore(now, random.int(0, ageDays), random);
      const keyAge = Math.floor((now.getTime() - created.getTime()) / 86_400_000);
      const used = random.chance(0.9) && keyAge > 0;
      return {
        active,
        createdAt: created,
        ...(used
          ? {
              lastUsed: {
                at: daysBefore(
                  now,
                  random.chance(0.85) ? random.int(0, Math.min(10, keyAge)) : random.int(0, keyAge),
                ),
                region: random.pick(REGIONS),
                service: random.pick(['s3', 'dynamodb', 'sqs', 'sts', 'ecr']),
              },
            }
          : {}),
      };
    };
    let keys: [KeySlot | undefined, KeySlot | undefined] = [undefined, undefined];
    if (!human) {
      const shape = random.next();
      keys =
        shape < 0.85
          ? [keyFor(true), undefined]
          : shape < 0.9
            ? [keyFor(true), keyFor(true)]
            : [keyFor(true), keyFor(false)];
    } else if (random.chance(0.05)) {
      keys = [keyFor(true), undefined];
    }
    const row: CredentialRow = { user: name, arn, createdAt, mfa: human && random.chance(0.9), keys };
    if (human) {
      const neverSignedIn = random.chance(0.05);
      row.password = {
        changedAt: daysBefore(now, random.int(0, ageDays), random),
        ...(neverSignedIn
          ? {}
          : { lastUsedAt: daysBefore(now, random.int(0, Math.min(ageDays, 60)), random) }),
      };
    }
    report.push(credentialReportLine(row));
    const present = keys.filter((k): k is KeySlot => k !== undefined);
    if (present.length > 0) {
      accessKeys[name] = accessKeyMetadata(
        name,
        present.map((k) => ({ id: uniqueId('AKIA', random, 20), active: k.active, createdAt: k.createdAt })),
      );
    }
  }

  // Policies: customer managed (1 or 2 versions), then the AWS managed ones in use.
  for (let i = 0; i < customerCount; i++) {
    const team = TEAMS[i % TEAMS.length]!;
    const created = daysBefore(now, random.int(100, 1400), random);
    const grant = () =>
      SERVICE_GRANTS[random.int(0, SERVICE_GRANTS.length - 1)]!(account, `${team}-shared-${i}`, random);
    const versions = [{ document: policy(grant()), createdAt: created }];
    if (random.chance(0.4))
      versions.push({
        document: policy(grant(), grant()),
        createdAt: daysBefore(now, random.int(1, 99), random),
      });
    policies.push(
      managedPolicyEntry({
        arn: customerPolicies[i]!,
        name: customerPolicies[i]!.slice(customerPolicies[i]!.lastIndexOf('/') + 1),
        path: `/${team}/`,
        id: uniqueId('ANPA', random),
        createdAt: created,
        versions,
        attachmentCount: customerAttachments[i]!,
      }),
    );
  }
  for (const name of Object.keys(AWS_MANAGED)) {
    const count = awsAttachments.get(name);
    if (count) policies.push(awsManagedPolicyEntry(name, count));
  }
  for (const [name, count] of slrAttachments) policies.push(serviceLinkedPolicyEntry(name, count));

  // Secrets and their resource policies.
  const secrets: Record<string, { SecretList: Json[] }> = {};
  const secretPolicies: Json[] = [];
  const secretCount = Math.max(5, Math.floor(options.identities / 10));
  for (let i = 0; i < secretCount; i++) {
    const region = REGIONS[i % REGIONS.length]!;
    const team = random.pick(TEAMS);
    const name = `${random.pick(['prod', 'staging'])}/${team}/secret-${i}`;
    const createdAt = daysBefore(now, random.int(10, 1200), random);
    const age = Math.floor((now.getTime() - createdAt.getTime()) / 86_400_000);
    const rotated = random.chance(0.7);
    const lastRotatedAt = rotated
      ? daysBefore(now, random.int(0, Math.min(age, random.chance(0.9) ? 30 : 200)), random)
      : undefined;
    const suffix = `${String.fromCharCode(65 + (i % 26))}${(i % 100000).toString(36).padStart(5, '0')}`.slice(
      0,
      6,
    );
    const entry = secretEntry({
      accountId: account,
      region,
      name,
      suffix,
      createdAt,
      ...(random.chance(0.92)
        ? { lastAccessedAt: daysBefore(now, random.int(0, Math.min(age, random.chance(0.9) ? 5 : 300))) }
        : {}),
      ...(rotated
        ? {
            rotation: {
              lambdaName: `${team}-rotator`,
              days: 30,
              ...(lastRotatedAt
                ? { lastRotatedAt, nextRotationAt: new Date(lastRotatedAt.getTime() + 30 * 86_400_000) }
                : {}),
            },
          }
        : {}),
      tags: { team },
    }) as { ARN: string; Name: string };
    const regionSecrets = secrets[region] ?? { SecretList: [] };
    secrets[region] = regionSecrets;
    regionSecrets.SecretList.push(entry as unknown as Json);
    const policyKind = random.next();
    const document =
      policyKind < 0.15
        ? policy({
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${random.pick(ORG_ACCOUNTS)}:role/${team}-reader` },
            Action: 'secretsmanager:GetSecretValue',
            Resource: '*',
          })
        : policyKind < 0.17
          ? policy({
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${random.pick(VENDOR_ACCOUNTS)}:root` },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
            })
          : undefined;
    secretPolicies.push(secretPolicyEntry(entry.ARN, entry.Name, document));
  }

  // Server certificates.
  const certificates: Json[] = [];
  const certificateCount = Math.max(3, Math.floor(options.identities / 5000));
  for (let i = 0; i < certificateCount; i++) {
    const uploadedAt = daysBefore(now, random.int(30, 700), random);
    certificates.push(
      serverCertificateEntry({
        accountId: account,
        name: `legacy-elb-${i}`,
        id: uniqueId('ASCA', random),
        uploadedAt,
        expiresAt: new Date(now.getTime() + random.int(-40, 400) * 86_400_000),
      }),
    );
  }

  // Service last accessed data for a sample of principals.
  const serviceLastAccessed: Record<string, Json> = {};
  for (const p of principalsWithUsage) {
    serviceLastAccessed[p.arn] = serviceLastAccessedEntry({
      principalArn: p.arn,
      generatedAt: daysBefore(now, 1),
      services: [...new Set(p.namespaces)].map((namespace, index) => {
        const stale = p.stale && index === 0;
        return stale ? { namespace } : { namespace, at: daysBefore(now, random.int(0, 20), random) };
      }),
    });
  }

  return {
    account: { AccountId: account, CollectedAt: awsTime(now).replace('+00:00', 'Z') },
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

const USAGE = `usage: npx tsx scripts/generate-export.ts --identities N [--seed S] --out DIR

Writes a synthetic export directory of N identities (roles, users, groups) to DIR.
The same N and seed (default 1) always produce the same files.
`;

async function main(): Promise<void> {
  let values: { identities?: string; seed?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        identities: { type: 'string' },
        seed: { type: 'string', default: '1' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`generate-export: ${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const identities = Number(values.identities);
  const seed = Number(values.seed);
  if (!Number.isInteger(identities) || identities < 1 || !values.out || !Number.isInteger(seed)) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const data = generateExport({ identities, seed });
  const files = await writeExport(values.out, data);
  const a = data.authorizationDetails;
  process.stderr.write(
    `wrote ${values.out}: ${a.RoleDetailList.length} roles, ${a.UserDetailList.length} users, ` +
      `${a.GroupDetailList.length} groups, ${a.Policies.length} policies, ${files.length} files ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
