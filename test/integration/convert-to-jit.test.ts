/**
 * Converting standing admin to just-in-time on moto: the approved conversion records the
 * eligibility and removes the standing policy, verified against IAM; rollback puts the policy back
 * and removes the eligibility; a principal no profile covers gets the ordinary removal.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector } from '../../functions/adapters/aws/collector';
import { AwsLiveStateReader } from '../../functions/adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../../functions/adapters/aws/remediation-executor';
import { DynamoFindingsStore, findingItem } from '../../functions/adapters/dynamo-findings-store';
import { DynamoJitStore } from '../../functions/adapters/dynamo-jit-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import type { Finding } from '../../functions/core/finding';
import { createTableInput } from '../../functions/core/findings-table';
import type { ElevationProfile } from '../../functions/core/jit/types';
import type { StoredFinding } from '../../functions/core/lifecycle';
import type { Actor } from '../../functions/core/remediation/request';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { collectAccount } from '../../functions/use-cases/collect';
import {
  createRemediationRequest,
  type RemediationDeps,
} from '../../functions/use-cases/execute-remediation';
import type { RemediationEvents } from '../../functions/use-cases/remediation-ports';
import { rollbackRemediation } from '../../functions/use-cases/rollback';
import { MOTO_ACCOUNT_ID, MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

const TABLE = 'iam-posture-findings';
const DAY_MS = 86_400_000;
const OPERATOR: Actor = { kind: 'cli', id: 'alice' };
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** A profile for the db-* roles, as the deploy config would give it. */
const DB_ADMIN: ElevationProfile = {
  name: 'db-admin',
  statements: [{ Effect: 'Allow', Action: 'rds:*', Resource: '*' }],
  eligible: [`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/db-*`],
  maxMinutes: 60,
  approvers: [{ teamId: 'T0TEAM0001', userId: 'U0APPROVER' }],
  approvals: 1,
};

let moto: MotoServer;
let iam: IAMClient;
let secrets: SecretsManagerClient;
let dynamo: DynamoDBClient;
let jit: DynamoJitStore;

const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

beforeAll(async () => {
  moto = await startMoto();
  iam = new IAMClient({ ...moto.clientConfig });
  secrets = new SecretsManagerClient({ ...moto.clientConfig });
  dynamo = new DynamoDBClient({ ...moto.clientConfig });
  jit = new DynamoJitStore(dynamo, TABLE);
});

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  await dynamo.send(new CreateTableCommand(createTableInput(TABLE)));
});

class RecordedEvents implements RemediationEvents {
  readonly published: { detailType: string; detail: Record<string, unknown> }[] = [];
  async publish(detailType: Parameters<RemediationEvents['publish']>[0], detail: Record<string, unknown>) {
    this.published.push({ detailType, detail });
  }
}

/** Remediation over moto with the profiles given and the eligibilities in the table. */
function remediation(profiles: readonly ElevationProfile[]): RemediationDeps & { events: RecordedEvents } {
  const findingsStore = new DynamoFindingsStore(dynamo, TABLE);
  return {
    requests: new DynamoRemediationRequestStore(dynamo, TABLE),
    findings: findingsStore,
    reader: new AwsLiveStateReader(iam, () => secrets),
    executor: new AwsRemediationExecutor(iam, () => secrets, {}),
    eligibility: jit,
    events: new RecordedEvents(),
    planning: {
      settings: DEFAULT_SETTINGS,
      protection: { protectedArns: [], breakGlassArns: [], ownArns: [] },
      jitProfiles: profiles,
    },
    now: () => new Date(),
  };
}

/** A live scan of moto with the real collector and engine: the findings a deployed scan would record. */
async function scan(): Promise<Finding[]> {
  const clients = createAwsClients({
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    credentials: moto.clientConfig.credentials,
    maxAttempts: 2,
  });
  try {
    const collector = new AwsCollector(clients, {
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) },
    });
    // moto has no service last accessed data: that rule's reads are left out.
    const settings = { ...DEFAULT_SETTINGS, disabledRules: ['unused-service-permissions'] };
    const collected = await collectAccount(
      { source: collector, now: () => new Date() },
      { settings, regions: [MOTO_REGION] },
    );
    return analyzeAccount(collected.raw, { settings, now: new Date() }).findings;
  } finally {
    clients.destroy();
  }
}

/** Scans, stores the one finding of `ruleId` on `arn` as the findings store would, and returns it. */
async function recordedFinding(ruleId: string, arn: string): Promise<Finding> {
  const findings = await scan();
  const finding = findings.find((f) => f.ruleId === ruleId && f.resourceArn === arn);
  if (!finding) {
    throw new Error(
      `no ${ruleId} finding on ${arn}; found: ${findings.map((f) => `${f.ruleId} ${f.resourceArn}`).join(', ')}`,
    );
  }
  const now = new Date().toISOString();
  const stored: StoredFinding = {
    ...finding,
    status: 'open',
    firstSeenAt: now,
    firstSeenScanId: '20240601T000000Z-abcd',
    lastChangedAt: now,
    lastChangedScanId: '20240601T000000Z-abcd',
    reopenCount: 0,
    version: 1,
  };
  await DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }).send(
    new PutCommand({ TableName: TABLE, Item: findingItem(stored) }),
  );
  return finding;
}

/** The whole IAM state: authorization details and every user's access keys, order-insensitive. */
async function iamState(): Promise<unknown> {
  const details = await iam.send(new GetAccountAuthorizationDetailsCommand({}));
  const users = (await iam.send(new ListUsersCommand({}))).Users ?? [];
  const keys: unknown[] = [];
  for (const user of users) {
    keys.push((await iam.send(new ListAccessKeysCommand({ UserName: user.UserName! }))).AccessKeyMetadata);
  }
  const { $metadata: _metadata, ...rest } = details;
  return canonical({ ...rest, keys });
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

async function anUnusedRole(name: string, options: { lastUsedDaysAgo?: number } = {}): Promise<string> {
  const role = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await moto.backdateRole({
    roleName: name,
    createDate: daysAgo(400),
    lastUsedDate: options.lastUsedDaysAgo === undefined ? null : daysAgo(options.lastUsedDaysAgo),
  });
  return role.Role!.Arn!;
}

async function attachedPolicies(role: string): Promise<string[]> {
  const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (listed.AttachedPolicies ?? []).map((p) => p.PolicyArn!);
}

async function anUnusedAdminRole(name: string): Promise<{ arn: string; policyArn: string }> {
  const arn = await anUnusedRole(name, { lastUsedDaysAgo: 200 });
  const policy = await iam.send(
    new CreatePolicyCommand({ PolicyName: `${name}-all`, PolicyDocument: JSON.stringify(ADMIN) }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policy.Policy!.Arn! }));
  return { arn, policyArn: policy.Policy!.Arn! };
}

describe('converting standing admin to just-in-time against moto', () => {
  it('records the eligibility, detaches the standing policy, and rollback undoes both', async () => {
    const { arn, policyArn } = await anUnusedAdminRole('db-migrator');
    const finding = await recordedFinding('standing-admin', arn);
    const before = await iamState();
    const deps = remediation([DB_ADMIN]);

    const outcome = await createRemediationRequest(finding, deps, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed', execution: { outcome: 'executed' } });
    if (outcome.outcome !== 'executed') return;
    expect(outcome.plan).toMatchObject({ outcome: 'plan', actions: ['convert-to-jit'] });
    expect(await attachedPolicies('db-migrator')).toEqual([]);
    const eligible = await jit.listEligibility(MOTO_ACCOUNT_ID);
    expect(eligible).toEqual([
      expect.objectContaining({ principalArn: arn, profile: 'db-admin', accountId: MOTO_ACCOUNT_ID }),
    ]);

    const [request] = await deps.requests.listByState('executed');
    expect((await rollbackRemediation(request!.requestId, OPERATOR, deps)).outcome).toBe('rolled-back');
    expect(await attachedPolicies('db-migrator')).toEqual([policyArn]);
    expect(await iamState()).toEqual(before);
    expect(await jit.listEligibility(MOTO_ACCOUNT_ID)).toEqual([]);
  });

  it('removes the standing policy the ordinary way when no profile covers the principal', async () => {
    const { arn } = await anUnusedAdminRole('legacy-admin');
    const finding = await recordedFinding('standing-admin', arn);
    const deps = remediation([DB_ADMIN]);
    const outcome = await createRemediationRequest(finding, deps, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed' });
    if (outcome.outcome !== 'executed') return;
    expect(outcome.plan).toMatchObject({ outcome: 'plan', actions: ['detach-managed-policy'] });
    expect(await attachedPolicies('legacy-admin')).toEqual([]);
    expect(await jit.listEligibility(MOTO_ACCOUNT_ID)).toEqual([]);
  });
});
