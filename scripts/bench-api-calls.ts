/**
 * API-call benchmark: seeds moto with an account of 2,000 roles, 500 users, 800 access keys and
 * 300 secrets, collects it live, and sets the calls by operation and the wall time next to the
 * calls a per-entity scanner makes for the same account (computed from what was collected).
 *
 *   npx tsx scripts/bench-api-calls.ts [--roles 2000] [--users 500] [--keys 800] [--secrets 300]
 *
 * Prints a readable table, then one JSON line (the last line of stdout).
 */
import { parseArgs } from 'node:util';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  PutResourcePolicyCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createAwsClients } from '../functions/adapters/aws/clients';
import { AwsCollector } from '../functions/adapters/aws/collector';
import { parseCredentialReport } from '../functions/core/credential-report';
import { mapWithConcurrency } from '../functions/core/limit';
import { DEFAULT_SETTINGS } from '../functions/core/settings';
import {
  type AuthorizationDetailsOutput,
  collectAccount,
  principalsHoldingPolicies,
  SERVICE_PERMISSIONS_RULE,
} from '../functions/use-cases/collect';
import { MOTO_ACCOUNT_ID, type MotoServer, startMoto } from '../test/support/moto';

const SEED_CONCURRENCY = 12;
const MANAGED_POLICIES = 50;
const GROUPS = 20;
const REGION = 'us-east-1';

interface Shape {
  roles: number;
  users: number;
  keys: number;
  secrets: number;
}

const statement = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

function trustPolicy(i: number): string {
  const principal =
    i % 3 === 0
      ? { Service: 'lambda.amazonaws.com' }
      : i % 3 === 1
        ? { AWS: `arn:aws:iam::${String(100000000000 + i).padStart(12, '0')}:root` }
        : { Federated: `arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com` };
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: principal,
        Action: 'Federated' in principal ? 'sts:AssumeRoleWithWebIdentity' : 'sts:AssumeRole',
      },
    ],
  });
}

/** Seeds the account through the AWS API, `SEED_CONCURRENCY` requests at a time. */
async function seed(moto: MotoServer, shape: Shape): Promise<void> {
  const iam = new IAMClient({ ...moto.clientConfig, maxAttempts: 5 });
  const secrets = new SecretsManagerClient({ ...moto.clientConfig, maxAttempts: 5 });
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const each = <T>(items: T[], task: (item: T) => Promise<unknown>) =>
    mapWithConcurrency(items, SEED_CONCURRENCY, async (item) => {
      await task(item);
    });

  const policies = await mapWithConcurrency(range(MANAGED_POLICIES), SEED_CONCURRENCY, async (i) => {
    const output = await iam.send(
      new CreatePolicyCommand({ PolicyName: `app-policy-${i}`, PolicyDocument: statement(`s3:Get${i}*`) }),
    );
    return output.Policy!.Arn!;
  });
  await each(range(GROUPS), async (i) => {
    await iam.send(new CreateGroupCommand({ GroupName: `team-${i}` }));
    await iam.send(
      new AttachGroupPolicyCommand({ GroupName: `team-${i}`, PolicyArn: policies[i % MANAGED_POLICIES] }),
    );
  });
  await each(range(shape.roles), async (i) => {
    const name = `workload-role-${i}`;
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy(i) }));
    await iam.send(
      new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policies[i % MANAGED_POLICIES] }),
    );
    if (i % 2 === 0) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: 'inline',
          PolicyDocument: statement('sqs:SendMessage'),
        }),
      );
    }
  });
  // Access keys: two for the first users, one for the next, until `keys` are made; every tenth inactive.
  const twoKeys = Math.max(0, Math.min(shape.users, shape.keys - shape.users));
  let keyIndex = 0;
  const keyPlan = range(shape.users).map((i) => {
    const count = i < twoKeys ? 2 : i < shape.keys - twoKeys ? 1 : 0;
    const indexes = range(count).map(() => keyIndex++);
    return { i, indexes };
  });
  await each(keyPlan, async ({ i, indexes }) => {
    const name = `machine-user-${i}`;
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (i % 3 === 0) {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: name,
          PolicyName: 'inline',
          PolicyDocument: statement('sns:Publish'),
        }),
      );
    }
    if (i % 5 === 0)
      await iam.send(new AddUserToGroupCommand({ UserName: name, GroupName: `team-${i % GROUPS}` }));
    if (i % 10 === 0) {
      await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: 'Bench-Password-123!' }));
    }
    for (const index of indexes) {
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      if (index % 10 === 9) {
        await iam.send(
          new UpdateAccessKeyCommand({
            UserName: name,
            AccessKeyId: key.AccessKey!.AccessKeyId!,
            Status: 'Inactive',
          }),
        );
      }
    }
  });
  await each(range(shape.secrets), async (i) => {
    const arn = (
      await secrets.send(new CreateSecretCommand({ Name: `app/secret-${i}`, SecretString: 'bench' }))
    ).ARN!;
    if (i % 2 === 0) {
      await secrets.send(
        new RotateSecretCommand({ SecretId: arn, RotationRules: { AutomaticallyAfterDays: 30 } }),
      );
    }
    if (i % 3 === 0) {
      await secrets.send(
        new PutResourcePolicyCommand({
          SecretId: arn,
          ResourcePolicy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT_ID}:root` },
                Action: 'secretsmanager:GetSecretValue',
                Resource: '*',
              },
            ],
          }),
        }),
      );
    }
  });
  iam.destroy();
  secrets.destroy();
}

type Record_ = Record<string, unknown>;
const list = (value: unknown): Record_[] => (Array.isArray(value) ? (value as Record_[]) : []);
const pages = (items: number, pageSize = 100) => Math.max(1, Math.ceil(items / pageSize));

/**
 * What a per-entity scanner calls for the same account: list each kind of entity (100 per page),
 * then read each one's policies, keys and login profile separately.
 */
function perEntityCalls(
  details: AuthorizationDetailsOutput,
  keys: number,
  secretsByRegion: Record<string, unknown>,
): Record<string, number> {
  const roles = details.RoleDetailList;
  const users = details.UserDetailList;
  const groups = details.GroupDetailList;
  const attached = new Set<string>();
  for (const entity of [...roles, ...users, ...groups]) {
    for (const policy of list(entity.AttachedManagedPolicies)) attached.add(String(policy.PolicyArn));
  }
  const secretCounts = Object.values(secretsByRegion).map(
    (output) => list((output as Record_).SecretList).length,
  );
  const calls: Record<string, number> = {
    'iam:ListRoles': pages(roles.length),
    'iam:GetRole': roles.length,
    'iam:ListAttachedRolePolicies': roles.length,
    'iam:ListRolePolicies': roles.length,
    'iam:GetRolePolicy': roles.reduce((sum, role) => sum + list(role.RolePolicyList).length, 0),
    'iam:ListUsers': pages(users.length),
    'iam:ListAttachedUserPolicies': users.length,
    'iam:ListUserPolicies': users.length,
    'iam:GetUserPolicy': users.reduce((sum, user) => sum + list(user.UserPolicyList).length, 0),
    'iam:ListGroupsForUser': users.length,
    'iam:ListAccessKeys': users.length,
    'iam:GetAccessKeyLastUsed': keys,
    'iam:GetLoginProfile': users.length,
    'iam:ListGroups': pages(groups.length),
    'iam:ListAttachedGroupPolicies': groups.length,
    'iam:ListGroupPolicies': groups.length,
    'iam:GetGroupPolicy': groups.reduce((sum, group) => sum + list(group.GroupPolicyList).length, 0),
    'iam:GetPolicy': attached.size,
    'iam:GetPolicyVersion': attached.size,
    'secretsmanager:ListSecrets': secretCounts.reduce((sum, count) => sum + pages(count), 0),
    'secretsmanager:DescribeSecret': secretCounts.reduce((sum, count) => sum + count, 0),
  };
  return Object.fromEntries(Object.entries(calls).filter(([, count]) => count > 0));
}

/** Access keys in the credential report: a slot with a creation time holds a key, active or not. */
function keysInReport(csv: string): number {
  return parseCredentialReport(csv).rows.reduce(
    (sum, row) => sum + row.accessKeys.filter((slot) => slot.lastRotatedAt !== undefined).length,
    0,
  );
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((sum, count) => sum + count, 0);

function table(title: string, calls: Record<string, number>): string[] {
  const rows = Object.entries(calls).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const width = Math.max(title.length, ...rows.map(([operation]) => operation.length));
  return [
    `${title.padEnd(width)}  ${'calls'.padStart(7)}`,
    ...rows.map(([operation, count]) => `${operation.padEnd(width)}  ${String(count).padStart(7)}`),
    `${'total'.padEnd(width)}  ${String(total(calls)).padStart(7)}`,
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      roles: { type: 'string', default: '2000' },
      users: { type: 'string', default: '500' },
      keys: { type: 'string', default: '800' },
      secrets: { type: 'string', default: '300' },
    },
  });
  const shape: Shape = {
    roles: Number(values.roles),
    users: Number(values.users),
    keys: Math.min(Number(values.keys), 2 * Number(values.users)),
    secrets: Number(values.secrets),
  };
  const moto = await startMoto();
  try {
    const seedStarted = performance.now();
    await seed(moto, shape);
    const seedMs = performance.now() - seedStarted;

    const clients = createAwsClients({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: moto.clientConfig.credentials,
    });
    // moto does not implement service-last-accessed; those jobs are reported apart below.
    const settings = { ...DEFAULT_SETTINGS, disabledRules: [SERVICE_PERMISSIONS_RULE] };
    const started = performance.now();
    const result = await collectAccount(
      { source: new AwsCollector(clients), now: () => new Date() },
      { regions: [REGION], settings },
    );
    const wallMs = performance.now() - started;
    clients.destroy();

    const details = result.raw.authorizationDetails[0] as AuthorizationDetailsOutput;
    const collector = result.apiCalls;
    const keys = keysInReport(result.raw.credentialReport ?? '');
    const perEntity = perEntityCalls(details, keys, result.raw.secrets ?? {});
    const account = {
      roles: details.RoleDetailList.length,
      users: details.UserDetailList.length,
      groups: details.GroupDetailList.length,
      customerPolicies: details.Policies.length,
      accessKeys: keys,
      accessKeysListed: Object.values(result.raw.accessKeys ?? {}).reduce<number>(
        (sum, output) => sum + list((output as Record_).AccessKeyMetadata).length,
        0,
      ),
      secrets: Object.values(result.raw.secrets ?? {}).reduce<number>(
        (sum, output) => sum + list((output as Record_).SecretList).length,
        0,
      ),
    };
    const slaPrincipals = principalsHoldingPolicies(details).length;
    const ratio = total(perEntity) / total(collector);

    const lines = [
      `account: ${account.roles} roles, ${account.users} users, ${account.groups} groups, ${account.customerPolicies} customer policies, ${account.accessKeys} access keys (${account.accessKeysListed} listed: users whose keys are all inactive are skipped), ${account.secrets} secrets`,
      `seeded in ${(seedMs / 1000).toFixed(1)} s; collected in ${(wallMs / 1000).toFixed(1)} s (moto on localhost)`,
      `coverage gaps: ${result.raw.coverageGaps.length}`,
      '',
      ...table('iam-posture collect', collector),
      '',
      ...table('per-entity scanner', perEntity),
      '',
      `per-entity / iam-posture: ${ratio.toFixed(1)}x more calls`,
      `service last accessed (not implemented by moto, not counted above): ${slaPrincipals} principals hold policies; at most 100 jobs per scan (Generate + Get, polled), reused while fresh (7 days)`,
    ];
    console.log(lines.join('\n'));
    console.log(
      JSON.stringify({
        section: 'api-calls',
        account,
        seedMs: Math.round(seedMs),
        collector: { total: total(collector), byOperation: collector, wallMs: Math.round(wallMs) },
        perEntity: { total: total(perEntity), byOperation: perEntity },
        ratio: Number(ratio.toFixed(2)),
        coverageGaps: result.raw.coverageGaps.length,
        serviceLastAccessed: { principals: slaPrincipals, maxJobsPerScan: 100 },
      }),
    );
  } finally {
    await moto.stop();
  }
}

await main();
