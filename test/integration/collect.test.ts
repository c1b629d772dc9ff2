/**
 * Live collection with the real AWS SDK over HTTP against moto: a realistic account is seeded
 * through the AWS API, dates are backdated with the launcher's test-only hooks, and the findings
 * of a live scan are asserted exactly. Then the CLI: `collect --out DIR` + `scan --export DIR`
 * must report what the live `scan` reports.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UploadServerCertificateCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  PutResourcePolicyCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector } from '../../functions/adapters/aws/collector';
import type { Finding } from '../../functions/core/finding';
import { parseScanSettings } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { type CollectResult, collectAccount } from '../../functions/use-cases/collect';
import { liveCollector } from '../../functions/wiring/collect';
import { MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../support/moto';

const ACCOUNT = MOTO_ACCOUNT_ID;
const PARTNER = '999988887777';
const REGIONS = ['us-east-1', 'eu-west-1'];
const GITHUB = 'token.actions.githubusercontent.com';
const DAY = 86_400_000;
// moto does not implement service-last-accessed; that path is covered with aws-sdk-client-mock.
const SETTINGS = parseScanSettings(
  {
    disabledRules: ['unused-service-permissions'],
    // Every secret is owned through a pattern; the roles and users carry no owner tag.
    ownership: { patterns: [{ arn: 'arn:aws:secretsmanager:*:*:secret:*/**', owner: 'secrets-team' }] },
  },
  'test',
);

const seededAt = Date.now();
const daysAgo = (days: number) => new Date(seededAt - days * DAY);
const daysAhead = (days: number) => new Date(seededAt + days * DAY);
const arn = (resource: string) => `arn:aws:iam::${ACCOUNT}:${resource}`;

const policy = (statement: object | object[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: Array.isArray(statement) ? statement : [statement] });
const githubTrust = (condition: object) =>
  policy({
    Effect: 'Allow',
    Principal: { Federated: arn(`oidc-provider/${GITHUB}`) },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: condition,
  });

interface Seeded {
  keys: Record<'ciBotOld' | 'ciBotNew' | 'oldBotActive' | 'oldBotInactive' | 'alice', string>;
  secrets: Record<'db' | 'apiKey' | 'euToken' | 'partner', string>;
}

/** A small account with one example of most things the rules look for, and healthy neighbours. */
async function seedAccount(moto: MotoServer): Promise<Seeded> {
  const iam = new IAMClient({ ...moto.clientConfig });
  await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: `https://${GITHUB}`,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['6938fd4d98bab03faadb97b34396831e3780aea1'],
    }),
  );
  const role = async (name: string, trust: string, created: number, lastUsed: number | null) => {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    await moto.backdateRole({
      roleName: name,
      createDate: daysAgo(created),
      lastUsedDate: lastUsed === null ? null : daysAgo(lastUsed),
      ...(lastUsed === null ? {} : { lastUsedRegion: 'us-east-1' }),
    });
  };
  const deployS3 = policy({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::artifacts/*' });

  // GitHub Actions deploy role, scoped to one repository and branch, used daily.
  await role(
    'gh-deploy',
    githubTrust({
      StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com' },
      StringLike: { [`${GITHUB}:sub`]: 'repo:example-org/app:ref:refs/heads/main' },
    }),
    200,
    1,
  );
  await iam.send(
    new PutRolePolicyCommand({ RoleName: 'gh-deploy', PolicyName: 'deploy', PolicyDocument: deployS3 }),
  );
  // GitHub Actions role any repository can assume: no `sub` condition. New, so not yet "unused".
  await role(
    'gh-unscoped',
    githubTrust({ StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com' } }),
    10,
    null,
  );
  // Cross-account role without an external id, idle for four months.
  const readOnly = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'AuditReadOnly',
      PolicyDocument: policy({
        Effect: 'Allow',
        Action: ['s3:GetObject', 'cloudtrail:LookupEvents'],
        Resource: '*',
      }),
    }),
  );
  await role(
    'partner-audit',
    policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PARTNER}:root` }, Action: 'sts:AssumeRole' }),
    400,
    120,
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'partner-audit', PolicyArn: readOnly.Policy!.Arn }));
  // The same, done right: an external id, and in use.
  await role(
    'partner-with-external-id',
    policy({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${PARTNER}:root` },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'b7c1f0e2-partner' } },
    }),
    400,
    5,
  );
  await iam.send(
    new AttachRolePolicyCommand({ RoleName: 'partner-with-external-id', PolicyArn: readOnly.Policy!.Arn }),
  );
  // An EC2 role with full admin that nobody has used since it was created.
  const admin = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'AdminAll',
      PolicyDocument: policy({ Effect: 'Allow', Action: '*', Resource: '*' }),
    }),
  );
  await role(
    'legacy-admin',
    policy({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    400,
    null,
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'legacy-admin', PolicyArn: admin.Policy!.Arn }));
  // Anyone may assume it.
  await role('public-role', policy({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }), 300, 2);

  const user = async (name: string, created: number) => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await moto.backdateUser({ userName: name, createDate: daysAgo(created) });
  };
  const accessKey = async (
    userName: string,
    created: number,
    lastUsed: number | null,
    status: 'Active' | 'Inactive' = 'Active',
  ) => {
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
    await moto.backdateAccessKey({
      accessKeyId: key,
      userName,
      createDate: daysAgo(created),
      lastUsedDate: lastUsed === null ? null : daysAgo(lastUsed),
      ...(lastUsed === null ? {} : { lastUsedService: 's3', lastUsedRegion: 'us-east-1' }),
      status,
    });
    return key;
  };
  // A CI user: an old key still in use, plus a new one (two active keys during a rotation).
  await user('ci-bot', 300);
  await iam.send(
    new PutUserPolicyCommand({ UserName: 'ci-bot', PolicyName: 'deploy', PolicyDocument: deployS3 }),
  );
  const ciBotOld = await accessKey('ci-bot', 200, 1);
  const ciBotNew = await accessKey('ci-bot', 10, null);
  // A forgotten integration: its active key was last used 100 days ago; the other is inactive.
  await user('old-bot', 400);
  const oldBotActive = await accessKey('old-bot', 300, 100);
  const oldBotInactive = await accessKey('old-bot', 300, 250, 'Inactive');
  // A person who also holds an access key.
  await user('alice', 200);
  await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-Battery-9' }));
  await moto.backdateUser({
    userName: 'alice',
    passwordLastUsed: daysAgo(2),
    loginProfileCreateDate: daysAgo(150),
  });
  const aliceKey = await accessKey('alice', 30, 3);
  // A user who can rewrite any managed policy: privilege escalation.
  await user('escalator', 100);
  await iam.send(
    new PutUserPolicyCommand({
      UserName: 'escalator',
      PolicyName: 'policy-admin',
      PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:CreatePolicyVersion', Resource: '*' }),
    }),
  );
  // A console password nobody ever used.
  await user('dormant', 200);
  await iam.send(new CreateLoginProfileCommand({ UserName: 'dormant', Password: 'Correct-Horse-Battery-9' }));
  await moto.backdateUser({
    userName: 'dormant',
    passwordLastUsed: null,
    loginProfileCreateDate: daysAgo(200),
  });

  // Secrets in two regions.
  const secretsIn = (region: string) => new SecretsManagerClient({ ...moto.clientConfigFor(region) });
  const usEast = secretsIn('us-east-1');
  const secret = async (client: SecretsManagerClient, name: string) =>
    (await client.send(new CreateSecretCommand({ Name: name, SecretString: 'not-a-real-secret' }))).ARN!;
  const db = await secret(usEast, 'prod/db');
  await usEast.send(new RotateSecretCommand({ SecretId: db, RotationRules: { AutomaticallyAfterDays: 30 } }));
  await moto.backdateSecret({
    secretId: db,
    createdDate: daysAgo(300),
    lastRotatedDate: daysAgo(10),
    nextRotationDate: daysAhead(20),
    lastAccessedDate: daysAgo(1),
  });
  const apiKey = await secret(usEast, 'prod/api-key');
  await moto.backdateSecret({ secretId: apiKey, createdDate: daysAgo(200), lastAccessedDate: daysAgo(100) });
  const euToken = await secret(secretsIn('eu-west-1'), 'eu/token');
  await moto.backdateSecret({
    secretId: euToken,
    region: 'eu-west-1',
    createdDate: daysAgo(10),
    lastAccessedDate: daysAgo(1),
  });
  const partner = await secret(usEast, 'shared/partner');
  await usEast.send(
    new RotateSecretCommand({ SecretId: partner, RotationRules: { AutomaticallyAfterDays: 30 } }),
  );
  await usEast.send(
    new PutResourcePolicyCommand({
      SecretId: partner,
      ResourcePolicy: policy({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${PARTNER}:root` },
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
      }),
    }),
  );
  await moto.backdateSecret({
    secretId: partner,
    createdDate: daysAgo(100),
    lastRotatedDate: daysAgo(5),
    nextRotationDate: daysAhead(25),
    lastAccessedDate: daysAgo(2),
  });

  // A load balancer certificate about to expire.
  await iam.send(
    new UploadServerCertificateCommand({
      ServerCertificateName: 'legacy-www',
      CertificateBody: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      PrivateKey: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    }),
  );
  await moto.backdateServerCertificate({
    serverCertificateName: 'legacy-www',
    uploadDate: daysAgo(355),
    expiration: daysAhead(10),
  });
  iam.destroy();
  return {
    keys: { ciBotOld, ciBotNew, oldBotActive, oldBotInactive, alice: aliceKey },
    secrets: { db, apiKey, euToken, partner },
  };
}

let moto: MotoServer;
let seeded: Seeded;
let work: string;

beforeAll(async () => {
  moto = await startMoto();
  seeded = await seedAccount(moto);
  work = await mkdtemp(join(tmpdir(), 'iam-posture-collect-'));
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function collectLive(): Promise<CollectResult> {
  const clients = createAwsClients({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: moto.clientConfig.credentials,
  });
  try {
    return await collectAccount(
      { source: new AwsCollector(clients), now: () => new Date() },
      { regions: REGIONS, settings: SETTINGS },
    );
  } finally {
    clients.destroy();
  }
}

const key = (f: Pick<Finding, 'ruleId' | 'resourceArn' | 'subResource'>) =>
  [f.ruleId, f.resourceArn, f.subResource ?? ''].join(' ');

describe('live collection against moto', () => {
  it('finds exactly what the seeded account holds', async () => {
    const collected = await collectLive();
    const report = analyzeAccount(collected.raw, { settings: SETTINGS, now: new Date() });

    const { keys, secrets } = seeded;
    expect(report.findings.map(key).sort()).toEqual(
      [
        ['trust-oidc-unscoped', arn('role/gh-unscoped')],
        ['trust-external-account-no-external-id', arn('role/partner-audit')],
        ['role-unused', arn('role/partner-audit')],
        ['standing-admin', arn('role/legacy-admin')],
        ['role-unused', arn('role/legacy-admin')],
        ['trust-wildcard-principal', arn('role/public-role')],
        ['access-key-not-rotated', arn('user/ci-bot'), keys.ciBotOld],
        ['user-multiple-active-keys', arn('user/ci-bot')],
        ['access-key-unused', arn('user/old-bot'), keys.oldBotActive],
        ['access-key-not-rotated', arn('user/old-bot'), keys.oldBotActive],
        ['user-human-and-machine', arn('user/alice')],
        ['privilege-escalation', arn('user/escalator')],
        ['password-unused', arn('user/dormant')],
        ['secret-rotation-disabled', secrets.apiKey],
        ['secret-not-rotated', secrets.apiKey],
        ['secret-unused', secrets.apiKey],
        ['secret-rotation-disabled', secrets.euToken],
        ['secret-policy-public', secrets.partner],
        ['server-certificate-expiring', arn('server-certificate/legacy-www')],
        ...[
          'role/gh-deploy',
          'role/gh-unscoped',
          'role/legacy-admin',
          'role/partner-audit',
          'role/partner-with-external-id',
          'role/public-role',
          'user/alice',
          'user/ci-bot',
          'user/escalator',
          'user/old-bot',
        ].map((resource) => ['identity-owner-missing', arn(resource)]),
        // moto's credential report has no <root_account> row: reported, never taken as healthy.
        ['scan-coverage-gap', arn('root'), 'credential-report.csv#<root_account>'],
      ]
        .map(([ruleId, resourceArn, subResource]) =>
          key({ ruleId: ruleId!, resourceArn: resourceArn!, subResource }),
        )
        .sort(),
    );
  });

  it('counts each collection of a reused collector on its own, as a warm Lambda reuses its clients', async () => {
    const collector = liveCollector({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: moto.clientConfig.credentials,
    });
    try {
      const first = await collector.collect({ regions: REGIONS, settings: SETTINGS });
      const second = await collector.collect({ regions: REGIONS, settings: SETTINGS });
      expect(first.apiCalls['sts:GetCallerIdentity']).toBe(1);
      expect(second.apiCalls).toEqual(first.apiCalls);
    } finally {
      collector.destroy();
    }
  });

  it('makes the few calls the strategy promises, each counted by the SDK middleware', async () => {
    const collected = await collectLive();
    // moto answers authorization details in one page; users with an active key: ci-bot, old-bot,
    // alice; secrets: three in us-east-1, one in eu-west-1.
    expect(collected.apiCalls).toMatchObject({
      'iam:GetAccountAuthorizationDetails': 1,
      'iam:GetCredentialReport': 1,
      'iam:ListAccessKeys': 3,
      'iam:ListServerCertificates': 1,
      'secretsmanager:GetResourcePolicy': 4,
      'secretsmanager:ListSecrets': 2,
      'sts:GetCallerIdentity': 1,
    });
    expect(Object.keys(collected.apiCalls).sort()).toEqual([
      'iam:GenerateCredentialReport',
      'iam:GetAccountAuthorizationDetails',
      'iam:GetCredentialReport',
      'iam:ListAccessKeys',
      'iam:ListServerCertificates',
      'organizations:DescribeOrganization',
      'secretsmanager:GetResourcePolicy',
      'secretsmanager:ListSecrets',
      'sts:GetCallerIdentity',
    ]);
    expect(collected.raw.coverageGaps).toEqual([]);
    // moto leaves PolicyName out of the Policies entries; the collector names them from the ARN.
    const details = collected.raw.authorizationDetails[0] as { Policies: { PolicyName?: string }[] };
    expect(details.Policies.map((p) => p.PolicyName).sort()).toEqual(['AdminAll', 'AuditReadOnly']);
  });

  it('round-trips: collect --out DIR then scan --export DIR reports what the live scan reports', async () => {
    const config = join(work, 'settings.json');
    await writeFile(config, JSON.stringify({ disabledRules: ['unused-service-permissions'] }));
    const live = [
      '--endpoint-url',
      moto.endpoint,
      '--region',
      REGIONS.join(','),
      '--config',
      config,
      '--quiet',
    ];
    const exportDir = join(work, 'export');

    const liveScan = await cli(['scan', '--format', 'json', ...live]);
    expect(liveScan.code).toBe(0);
    const collect = await cli(['collect', '--out', exportDir, ...live]);
    expect(collect.code).toBe(0);
    expect(collect.stdout).toMatch(/^Collected account 123456789012 into .*export \(8 files\)/);
    expect((await readdir(exportDir)).sort()).toEqual([
      'access-keys.json',
      'account.json',
      'authorization-details.json',
      'credential-report.csv',
      'organization.json',
      'secret-policies.json',
      'secrets.json',
      'server-certificates.json',
    ]);
    // moto's account is in no organization: a fact the export keeps.
    expect(JSON.parse(await readFile(join(exportDir, 'organization.json'), 'utf8'))).toEqual({
      Organization: null,
    });
    const offlineScan = await cli(['scan', '--format', 'json', '--export', exportDir, '--config', config]);
    expect(offlineScan.code).toBe(0);

    const liveReport = JSON.parse(liveScan.stdout) as {
      findings: Finding[];
      summary: { apiCalls?: unknown };
    };
    const offlineReport = JSON.parse(offlineScan.stdout) as {
      findings: Finding[];
      summary: { apiCalls?: unknown };
    };
    // The 30 of the seeded account, and its four secrets: this config owns them through no pattern.
    expect(liveReport.findings.length).toBe(34);
    expect(liveReport.findings.filter((f) => f.ruleId === 'identity-owner-missing')).toHaveLength(14);
    // One gap, one id: a gap about a document's content names the document both ways.
    const comparable = (f: Finding) => ({
      id: f.id,
      ruleId: f.ruleId,
      resourceArn: f.resourceArn,
      subResource: f.subResource,
      severity: f.severity,
      reason: f.reason,
      evidence: f.evidence,
    });
    expect(offlineReport.findings.map(comparable)).toEqual(liveReport.findings.map(comparable));
    // And one count: collect reports the gaps a scan of its export reports.
    const offlineGaps = offlineReport.findings.filter((f) => f.ruleId === 'scan-coverage-gap').length;
    expect(offlineGaps).toBeGreaterThan(0);
    expect(collect.stdout).toContain(`  coverage gaps: ${offlineGaps}\n`);
    expect(liveReport.summary.apiCalls).toMatchObject({
      byOperation: expect.objectContaining({ 'iam:GetAccountAuthorizationDetails': 1 }),
    });
    expect(offlineReport.summary.apiCalls).toBeUndefined();
  }, 120_000);
});

const CLI = fileURLToPath(new URL('../../bin/iam-posture.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

/** Runs the CLI from source with moto's fake credentials and nothing else from the environment. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, NO_COLOR: '1' };
  env.AWS_ACCESS_KEY_ID = moto.clientConfig.credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = moto.clientConfig.credentials.secretAccessKey;
  env.AWS_REGION = 'us-east-1';
  env.AWS_CONFIG_FILE = join(work, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = join(work, 'no-aws-credentials');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
