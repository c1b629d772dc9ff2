/**
 * Resources remediation acts on (unused for their window, so the remediable rules fail), the
 * findings a scan records for them, and the planning context. Time and account come from the
 * shared builders of test/support.
 */
import { evaluateInventory } from '../../../functions/core/engine';
import type { Finding } from '../../../functions/core/finding';
import type {
  AccessKeySnapshot,
  GroupSnapshot,
  ManagedPolicy,
  RoleSnapshot,
  SecretSnapshot,
  Snapshot,
  UserSnapshot,
} from '../../../functions/core/model';
import { emptyInventory } from '../../../functions/core/model';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import type { PlanContext } from '../../../functions/core/remediation/plan';
import { RULES } from '../../../functions/core/rules';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { ACCOUNT_ID, daysAgo, NOW } from '../../support/builders';

/** The scanned account, and the time of every test, are those of the shared builders. */
export const ACCOUNT = ACCOUNT_ID;
export { daysAgo, NOW };

export const ADMIN_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
export const S3_READ_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
};

export function aManagedPolicy(name: string, document: unknown, awsManaged = false): ManagedPolicy {
  return {
    arn: awsManaged ? `arn:aws:iam::aws:policy/${name}` : `arn:aws:iam::${ACCOUNT}:policy/${name}`,
    name,
    awsManaged,
    document: parsePolicyDocument(document),
  };
}

export const ADMINISTRATOR_ACCESS = aManagedPolicy('AdministratorAccess', ADMIN_DOCUMENT, true);

export function aRole(overrides: Partial<RoleSnapshot> = {}): RoleSnapshot {
  const name = overrides.name ?? 'ci-deployer';
  const path = overrides.path ?? '/';
  return {
    kind: 'role',
    arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`,
    accountId: ACCOUNT,
    name,
    path,
    createdAt: daysAgo(400),
    lastUsedAt: daysAgo(200),
    tags: {},
    inlinePolicies: [],
    managedPolicies: [],
    ...overrides,
  };
}

export function aGroup(overrides: Partial<GroupSnapshot> = {}): GroupSnapshot {
  const name = overrides.name ?? 'admins';
  return {
    kind: 'group',
    arn: `arn:aws:iam::${ACCOUNT}:group/${name}`,
    accountId: ACCOUNT,
    name,
    path: '/',
    createdAt: daysAgo(400),
    inlinePolicies: [],
    managedPolicies: [],
    ...overrides,
  };
}

export function anAccessKey(overrides: Partial<AccessKeySnapshot> = {}): AccessKeySnapshot {
  const userName = overrides.userName ?? 'deploy-bot';
  return {
    kind: 'access-key',
    arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
    accountId: ACCOUNT,
    userName,
    isRoot: false,
    slot: 1,
    keyId: 'AKIAEXAMPLEKEY000001',
    active: true,
    createdAt: daysAgo(300),
    lastUsedAt: daysAgo(100),
    lastUsedService: 's3',
    lastUsedRegion: 'eu-west-1',
    userCreatedAt: daysAgo(500),
    ...overrides,
  };
}

export function aUser(overrides: Partial<UserSnapshot> = {}, keys: AccessKeySnapshot[] = []): UserSnapshot {
  const name = overrides.name ?? 'deploy-bot';
  return {
    kind: 'user',
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    accountId: ACCOUNT,
    name,
    path: '/',
    isRoot: false,
    createdAt: daysAgo(500),
    groups: [],
    tags: {},
    inlinePolicies: [],
    managedPolicies: [],
    credentials: { passwordEnabled: false, mfaActive: false, accessKeys: keys },
    ...overrides,
  };
}

export function aSecret(overrides: Partial<SecretSnapshot> = {}): SecretSnapshot {
  const name = overrides.name ?? 'prod/db';
  return {
    kind: 'secret',
    arn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}-AbCdEf`,
    accountId: ACCOUNT,
    name,
    region: 'eu-west-1',
    createdAt: daysAgo(400),
    lastRotatedAt: daysAgo(200),
    rotationEnabled: true,
    rotationLambdaArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:rotate-db`,
    rotationIntervalDays: 30,
    policyState: 'absent',
    tags: {},
    ...overrides,
  };
}

/** The finding the engine records for `snapshot` under `ruleId`, as a scan would store it. */
export function findingFor(snapshot: Snapshot, ruleId: string, now: Date = NOW): Finding {
  const inventory = emptyInventory(ACCOUNT);
  switch (snapshot.kind) {
    case 'role':
      inventory.roles.push(snapshot);
      break;
    case 'user':
      inventory.users.push(snapshot);
      break;
    case 'group':
      inventory.groups.push(snapshot);
      break;
    case 'access-key':
      inventory.accessKeys.push(snapshot);
      break;
    case 'secret':
      inventory.secrets.push(snapshot);
      break;
    default:
      throw new Error(`no findings for ${snapshot.kind}`);
  }
  const { findings } = evaluateInventory(inventory, { rules: RULES, settings: DEFAULT_SETTINGS, now });
  const finding = findings.find((f) => f.ruleId === ruleId);
  if (!finding) throw new Error(`rule ${ruleId} does not fail for ${snapshot.arn}`);
  return finding;
}

export function planContext(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    now: NOW,
    settings: DEFAULT_SETTINGS,
    protection: { protectedArns: [], breakGlassArns: [], ownArns: [] },
    ...overrides,
  };
}
