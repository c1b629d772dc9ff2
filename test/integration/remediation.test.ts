import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsLiveStateReader } from '../../functions/adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../../functions/adapters/aws/remediation-executor';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import { remediationRequestItemKeys } from '../../functions/core/findings-table';
import { QUARANTINE_POLICY_DOCUMENT, QUARANTINE_POLICY_NAME } from '../../functions/core/remediation/catalog';
import type { Actor } from '../../functions/core/remediation/request';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import {
  createRemediationRequest,
  executeRemediation,
  type RemediationDeps,
} from '../../functions/use-cases/execute-remediation';
import { buildRemediationRequest, planFromLiveState } from '../../functions/use-cases/remediation-request';
import { rollbackRemediation } from '../../functions/use-cases/rollback';
import { PrivilegeReducingExecutor } from '../../functions/wiring/remediation';
import { runCli } from '../support/cli';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';
import {
  anUnusedRole as anUnusedRoleIn,
  daysAgo,
  iamState as iamStateOf,
  RecordedEvents,
  recordedFinding as recordedFindingIn,
  scanMoto,
} from '../support/remediation-moto';

const TABLE = 'iam-posture-findings';
const OPERATOR: Actor = { kind: 'cli', id: 'alice' };
const APPROVER: Actor = { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' };
const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
/** Whitespace and key order as a person wrote it: rollback must put back these exact bytes. */
const INLINE_ADMIN_TEXT =
  '{\n  "Version": "2012-10-17",\n  "Statement": [ { "Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*" } ]\n}';

let iam: IAMClient;
let secrets: SecretsManagerClient;

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  iam = new IAMClient({ ...env.moto.clientConfig });
  secrets = new SecretsManagerClient({ ...env.moto.clientConfig });
});

/** The stack's deny-all quarantine policy, created in moto as the stack creates it. */
let quarantineArn: string;

beforeEach(async () => {
  const created = await iam.send(
    new CreatePolicyCommand({
      PolicyName: QUARANTINE_POLICY_NAME,
      PolicyDocument: JSON.stringify(QUARANTINE_POLICY_DOCUMENT),
    }),
  );
  quarantineArn = created.Policy!.Arn!;
});

/**
 * Remediation over moto. `acting` gives the acting function's executor (it restores nothing);
 * otherwise it is an operator's, as the command line and the rollback function have.
 */
function remediation(
  options: { acting?: boolean; quarantinePolicyArn?: string | null; rotationFunctions?: string[] } = {},
): RemediationDeps & { events: RecordedEvents; findingsStore: DynamoFindingsStore } {
  const findingsStore = new DynamoFindingsStore(env.dynamo, TABLE);
  const quarantine = options.quarantinePolicyArn === undefined ? quarantineArn : options.quarantinePolicyArn;
  const executor = new AwsRemediationExecutor(iam, () => secrets, {
    ...(quarantine ? { quarantinePolicyArn: quarantine } : {}),
    ...(options.rotationFunctions ? { rotationFunctions: options.rotationFunctions } : {}),
  });
  return {
    requests: new DynamoRemediationRequestStore(env.dynamo, TABLE),
    findings: findingsStore,
    findingsStore,
    reader: new AwsLiveStateReader(iam, () => secrets),
    executor: options.acting ? new PrivilegeReducingExecutor(executor) : executor,
    events: new RecordedEvents(),
    planning: {
      settings: DEFAULT_SETTINGS,
      protection: { protectedArns: [], breakGlassArns: [], ownArns: [] },
    },
    now: () => new Date(),
  };
}

const scan = () => scanMoto(env.moto);
const recordedFinding = (ruleId: string, arn: string) =>
  recordedFindingIn(env.moto, env.dynamo, TABLE, ruleId, arn);
const iamState = () => iamStateOf(iam);
const anUnusedRole = (name: string, options: { lastUsedDaysAgo?: number } = {}) =>
  anUnusedRoleIn(iam, env.moto, name, options);

/** Stage labels by version, leaving out versions that carry none. */
async function secretStages(secretId: string): Promise<Record<string, string[]>> {
  const described = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.fromEntries(
    Object.entries(described.VersionIdsToStages ?? {})
      .filter(([, labels]) => labels.length > 0)
      .map(([version, labels]) => [version, [...labels].sort()]),
  );
}

async function findingStatus(deps: ReturnType<typeof remediation>, id: string): Promise<string | undefined> {
  return (await deps.findingsStore.getStoredFinding(id))?.status;
}

describe('remediation against moto', () => {
  it('deactivates an unused access key, verifies it, and rolls back to the exact before-state', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'deploy-bot' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'deploy-bot' }))).AccessKey!;
    await env.moto.backdateUser({ userName: 'deploy-bot', createDate: daysAgo(300) });
    await env.moto.backdateAccessKey({
      accessKeyId: key.AccessKeyId!,
      createDate: daysAgo(200),
      lastUsedDate: daysAgo(100),
      lastUsedService: 's3',
      lastUsedRegion: 'eu-west-1',
    });
    const finding = await recordedFinding(
      'access-key-unused',
      `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/deploy-bot`,
    );
    expect(finding.subResource).toBe(key.AccessKeyId);
    const before = await iamState();
    const deps = remediation();

    const outcome = await createRemediationRequest(finding, deps, { dryRun: false, actor: OPERATOR });
    expect(outcome.outcome).toBe('executed');
    if (outcome.outcome !== 'executed') return;
    expect(outcome.execution.outcome).toBe('executed');
    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata!;
    expect(keys.map((k) => [k.AccessKeyId, k.Status])).toEqual([[key.AccessKeyId, 'Inactive']]);
    const [request] = await deps.requests.listByState('executed');
    expect(request).toMatchObject({
      findingId: finding.id,
      requestedBy: OPERATOR,
      approvedBy: OPERATOR,
      steps: [{ status: 'done', before: { status: 'Active', accessKeyId: key.AccessKeyId } }],
    });
    expect(await findingStatus(deps, finding.id)).toBe('remediated');
    expect(deps.events.published.map((e) => e.detailType)).toEqual(['RemediationExecuted']);

    const rolledBack = await rollbackRemediation(request!.requestId, OPERATOR, deps);
    expect(rolledBack.outcome).toBe('rolled-back');
    expect(await iamState()).toEqual(before);
    expect((await deps.requests.get(request!.requestId))?.state).toBe('rolled-back');
    expect(await findingStatus(deps, finding.id)).toBe('open');
  });

  it('quarantines an unused role with the deny-all managed policy and detaches it on rollback', async () => {
    const arn = await anUnusedRole('legacy-etl');
    const finding = await recordedFinding('role-unused', arn);
    const before = await iamState();
    const acting = remediation({ acting: true });

    const outcome = await createRemediationRequest(finding, acting, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed', execution: { outcome: 'executed' } });
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'legacy-etl' }));
    expect(attached.AttachedPolicies).toEqual([
      { PolicyName: QUARANTINE_POLICY_NAME, PolicyArn: quarantineArn },
    ]);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'legacy-etl' }))).PolicyNames).toEqual([]);
    // A rescan sees the role as quarantined: the finding is fixed.
    expect((await scan()).filter((f) => f.ruleId === 'role-unused' && f.resourceArn === arn)).toEqual([]);

    const [request] = await acting.requests.listByState('executed');
    // The acting executor cannot undo; the rollback (here the operator's) can.
    await expect(acting.executor.restore(request!.steps![0]!.before!)).rejects.toThrow(
      /only reduces privilege/,
    );
    const rollback = remediation();
    expect((await rollbackRemediation(request!.requestId, OPERATOR, rollback)).outcome).toBe('rolled-back');
    expect(
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'legacy-etl' }))).AttachedPolicies,
    ).toEqual([]);
    expect(await iamState()).toEqual(before);
  });

  it('refuses to quarantine, changing nothing, when no quarantine policy is configured', async () => {
    const arn = await anUnusedRole('no-policy');
    const finding = await recordedFinding('role-unused', arn);
    const before = await iamState();
    const acting = remediation({ acting: true, quarantinePolicyArn: null });

    const outcome = await createRemediationRequest(finding, acting, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({
      outcome: 'executed',
      execution: { outcome: 'failed', unchanged: true },
    });
    if (outcome.outcome !== 'executed') return;
    expect(outcome.execution).toMatchObject({
      reason: expect.stringContaining(
        'No quarantine policy is configured for this account (QUARANTINE_POLICY_ARN)',
      ),
    });
    expect(await iamState()).toEqual(before);
  });

  it('still rolls back a quarantine an older version put inline', async () => {
    const arn = await anUnusedRole('old-quarantine');
    const finding = await recordedFinding('role-unused', arn);
    const deps = remediation();
    const plan = await planFromLiveState(finding, deps.reader, { ...deps.planning, now: new Date() });
    if (plan.outcome !== 'plan') throw new Error(plan.reason);
    const before = await iamState();
    // What the older version did: put the deny-all document inline, recording no managed policy.
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'old-quarantine',
        PolicyName: QUARANTINE_POLICY_NAME,
        PolicyDocument: JSON.stringify(QUARANTINE_POLICY_DOCUMENT),
      }),
    );
    const request = buildRemediationRequest({ finding, plan, requestedBy: OPERATOR, now: new Date() });
    await deps.requests.create(request);
    await deps.requests.transition(request.requestId, 'pending', 'approved', { approvedBy: APPROVER });
    await deps.requests.transition(request.requestId, 'approved', 'executing', {});
    await deps.requests.transition(request.requestId, 'executing', 'executed', {
      steps: [
        {
          step: {
            action: 'quarantine-role',
            roleName: 'old-quarantine',
            policyName: QUARANTINE_POLICY_NAME,
            policyDocument: JSON.stringify(QUARANTINE_POLICY_DOCUMENT),
          },
          before: {
            action: 'quarantine-role',
            roleName: 'old-quarantine',
            policyName: QUARANTINE_POLICY_NAME,
          },
          status: 'done',
        },
      ],
      executedAt: new Date().toISOString(),
    });

    expect((await rollbackRemediation(request.requestId, OPERATOR, deps)).outcome).toBe('rolled-back');
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'old-quarantine' }))).PolicyNames).toEqual(
      [],
    );
    expect(await iamState()).toEqual(before);
  });

  it('detaches a managed and deletes an inline admin policy of an unused role, and puts both back exactly', async () => {
    const arn = await anUnusedRole('old-admin', { lastUsedDaysAgo: 200 });
    const policy = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'admin-all', PolicyDocument: JSON.stringify(ADMIN) }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'old-admin', PolicyArn: policy.Policy!.Arn! }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'old-admin',
        PolicyName: 'everything',
        PolicyDocument: INLINE_ADMIN_TEXT,
      }),
    );
    const finding = await recordedFinding('standing-admin', arn);
    const before = await iamState();
    const deps = remediation();

    const dryRun = await createRemediationRequest(finding, deps, { dryRun: true, actor: OPERATOR });
    expect(dryRun.plan).toMatchObject({ outcome: 'plan' });
    if (dryRun.plan.outcome !== 'plan') return;
    expect([...dryRun.plan.actions].sort()).toEqual(['delete-inline-policy', 'detach-managed-policy']);
    expect(await iamState()).toEqual(before);

    const outcome = await createRemediationRequest(finding, deps, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed', execution: { outcome: 'executed' } });
    expect(
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'old-admin' }))).AttachedPolicies,
    ).toEqual([]);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'old-admin' }))).PolicyNames).toEqual([]);

    const [request] = await deps.requests.listByState('executed');
    const inline = request!.steps!.find((s) => s.before?.action === 'delete-inline-policy');
    expect(inline?.before).toMatchObject({ policyDocument: INLINE_ADMIN_TEXT });
    expect((await rollbackRemediation(request!.requestId, OPERATOR, deps)).outcome).toBe('rolled-back');
    expect(await iamState()).toEqual(before);
    const restored = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'old-admin', PolicyName: 'everything' }),
    );
    expect(decodeURIComponent(restored.PolicyDocument!)).toBe(INLINE_ADMIN_TEXT);
  });

  it('detaches an admin policy from an unused user', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'old-ops' }));
    await env.moto.backdateUser({ userName: 'old-ops', createDate: daysAgo(300) });
    const policy = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'admin-all', PolicyDocument: JSON.stringify(ADMIN) }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: 'old-ops', PolicyArn: policy.Policy!.Arn! }));
    const finding = await recordedFinding('standing-admin', `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/old-ops`);
    const before = await iamState();
    const deps = remediation();

    const outcome = await createRemediationRequest(finding, deps, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed', execution: { outcome: 'executed' } });
    expect(await iamState()).not.toEqual(before);
    const [request] = await deps.requests.listByState('executed');
    expect((await rollbackRemediation(request!.requestId, OPERATOR, deps)).outcome).toBe('rolled-back');
    expect(await iamState()).toEqual(before);
  });

  it('rotates an overdue secret and moves its staging labels back on rollback', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: 'prod/db', SecretString: 'first' }));
    // Rotation configured (no function of its own in moto: it rotates at once), then long ago.
    await secrets.send(
      new RotateSecretCommand({ SecretId: 'prod/db', RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    await env.moto.backdateSecret({
      secretId: 'prod/db',
      createdDate: daysAgo(400),
      lastRotatedDate: daysAgo(200),
      nextRotationDate: daysAgo(170),
    });
    const finding = await recordedFinding('secret-not-rotated', created.ARN!);
    const stagesBefore = await secretStages(created.ARN!);
    const deps = remediation();

    const outcome = await createRemediationRequest(finding, deps, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed', execution: { outcome: 'executed' } });
    const stagesAfter = await secretStages(created.ARN!);
    const currentBefore = Object.keys(stagesBefore).find((v) => stagesBefore[v]!.includes('AWSCURRENT'));
    const currentAfter = Object.keys(stagesAfter).find((v) => stagesAfter[v]!.includes('AWSCURRENT'));
    expect(currentAfter).toBeDefined();
    expect(currentAfter).not.toBe(currentBefore);

    const [request] = await deps.requests.listByState('executed');
    expect((await rollbackRemediation(request!.requestId, OPERATOR, deps)).outcome).toBe('rolled-back');
    expect(await secretStages(created.ARN!)).toEqual(stagesBefore);
  });

  it('refuses rotate-secret, changing nothing, when no rotation function is configured', async () => {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: 'prod/cache', SecretString: 'first' }),
    );
    await secrets.send(
      new RotateSecretCommand({ SecretId: 'prod/cache', RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    await env.moto.backdateSecret({
      secretId: 'prod/cache',
      createdDate: daysAgo(400),
      lastRotatedDate: daysAgo(200),
      nextRotationDate: daysAgo(170),
    });
    const finding = await recordedFinding('secret-not-rotated', created.ARN!);
    const stagesBefore = await secretStages(created.ARN!);
    const acting = remediation({ acting: true, rotationFunctions: [] });

    const outcome = await createRemediationRequest(finding, acting, { dryRun: false, actor: OPERATOR });
    expect(outcome).toMatchObject({ outcome: 'executed', execution: { outcome: 'failed', unchanged: true } });
    const [request] = await acting.requests.listByState('failed');
    expect(request!.outcomeReason).toContain(
      'rotate-secret is not enabled: the deploy config names no rotation function (remediation.rotationFunctions)',
    );
    expect(await secretStages(created.ARN!)).toEqual(stagesBefore);
  });

  it('refuses and leaves IAM untouched when the identity is used after approval', async () => {
    const arn = await anUnusedRole('batch-runner', { lastUsedDaysAgo: 150 });
    const finding = await recordedFinding('role-unused', arn);
    const deps = remediation();
    const plan = await planFromLiveState(finding, deps.reader, { ...deps.planning, now: new Date() });
    if (plan.outcome !== 'plan') throw new Error(plan.reason);
    const request = buildRemediationRequest({ finding, plan, requestedBy: OPERATOR, now: new Date() });
    await deps.requests.create(request);
    await deps.requests.transition(request.requestId, 'pending', 'approved', { approvedBy: APPROVER });
    // The role is assumed between the approval and the execution.
    await env.moto.backdateRole({
      roleName: 'batch-runner',
      lastUsedDate: new Date(),
      lastUsedRegion: 'eu-west-1',
    });
    const before = await iamState();

    const outcome = await executeRemediation(request.requestId, deps);
    expect(outcome).toMatchObject({
      outcome: 'refused',
      reason: `Rule role-unused now passes for ${arn}; nothing to remediate.`,
    });
    expect(await iamState()).toEqual(before);
    expect(await deps.requests.get(request.requestId)).toMatchObject({
      state: 'refused',
      outcomeReason: `Rule role-unused now passes for ${arn}; nothing to remediate.`,
    });
    expect(await findingStatus(deps, finding.id)).toBe('open');
  });

  it('refuses a role tagged protected and leaves it untouched', async () => {
    const arn = await anUnusedRole('break-glass');
    await iam.send(
      new TagRoleCommand({
        RoleName: 'break-glass',
        Tags: [{ Key: 'iam-posture:protected', Value: 'true' }],
      }),
    );
    const finding = await recordedFinding('role-unused', arn);
    const before = await iamState();
    const outcome = await createRemediationRequest(finding, remediation(), {
      dryRun: false,
      actor: OPERATOR,
    });
    expect(outcome).toMatchObject({
      outcome: 'refused',
      plan: { gate: 'protected', reason: 'break-glass is tagged iam-posture:protected=true.' },
    });
    expect(await iamState()).toEqual(before);
  });

  it('acts once on a double click and on a redelivered approval (conditional writes)', async () => {
    // moto applies concurrent conditional writes without a lock (two of three racing writes can
    // both succeed), so the clicks and deliveries are sequential here; the unit tests race them.
    const arn = await anUnusedRole('twice');
    const finding = await recordedFinding('role-unused', arn);
    const deps = remediation();
    const plan = await planFromLiveState(finding, deps.reader, { ...deps.planning, now: new Date() });
    if (plan.outcome !== 'plan') throw new Error(plan.reason);
    const request = buildRemediationRequest({ finding, plan, requestedBy: OPERATOR, now: new Date() });
    await deps.requests.create(request);

    const first = await deps.requests.transition(request.requestId, 'pending', 'approved', {
      approvedBy: APPROVER,
    });
    const second = await deps.requests.transition(request.requestId, 'pending', 'approved', {
      approvedBy: { kind: 'slack', id: 'U0OTHER', teamId: 'T0TEAM0001' },
    });
    expect(first).toMatchObject({ state: 'approved', version: 2, approvedBy: APPROVER });
    expect(second).toBeUndefined();

    const delivered = await executeRemediation(request.requestId, deps);
    const redelivered = await executeRemediation(request.requestId, deps);
    expect(delivered.outcome).toBe('executed');
    expect(redelivered).toMatchObject({ outcome: 'skipped', state: 'executed' });
    expect(deps.events.published).toHaveLength(1);
    expect(
      (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'twice' }))).AttachedPolicies,
    ).toEqual([{ PolicyName: QUARANTINE_POLICY_NAME, PolicyArn: quarantineArn }]);
    expect(await deps.requests.get(request.requestId)).toMatchObject({
      state: 'executed',
      approvedBy: APPROVER,
    });
    expect(await deps.requests.listByState('approved')).toEqual([]);
  });
});

describe('iam-posture remediate (the CLI against moto)', () => {
  const cli = (args: string[]) =>
    runCli([...args, '--table', TABLE, '--endpoint-url', env.moto.endpoint, '--region', MOTO_REGION], {
      env: {
        AWS_ACCESS_KEY_ID: env.moto.clientConfig.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.moto.clientConfig.credentials.secretAccessKey,
        AWS_PROFILE: '',
      },
    });

  it('prints the plan on --dry-run, refuses a break-glass role given by flag, and changes nothing', async () => {
    const arn = await anUnusedRole('emergency-access');
    const finding = await recordedFinding('role-unused', arn);
    const before = await iamState();

    const plan = await cli(['remediate', finding.id, '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(QUARANTINE_POLICY_NAME);

    const refused = await cli(['remediate', finding.id, '--yes', '--break-glass-arn', arn]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe(
      'Refused (protected): emergency-access is a configured break-glass identity.\n',
    );
    expect(await iamState()).toEqual(before);
  });
});

describe('remediation request store on DynamoDB (moto)', () => {
  async function aPendingRequest(requestId: string, createdAt: Date) {
    const arn = await anUnusedRole(`role-${requestId}`);
    const finding = await recordedFinding('role-unused', arn);
    const deps = remediation();
    const plan = await planFromLiveState(finding, deps.reader, { ...deps.planning, now: new Date() });
    if (plan.outcome !== 'plan') throw new Error(plan.reason);
    return buildRemediationRequest({ finding, plan, requestedBy: OPERATOR, now: createdAt, requestId });
  }

  it('stores, reads back and lists requests by state, oldest first', async () => {
    const store = new DynamoRemediationRequestStore(env.dynamo, TABLE);
    const older = await aPendingRequest('r-older', daysAgo(2));
    const newer = await aPendingRequest('r-newer', daysAgo(1));
    await store.create(newer);
    await store.create(older);
    expect(await store.get('r-older')).toEqual(older);
    expect((await store.listByState('pending')).map((r) => r.requestId)).toEqual(['r-older', 'r-newer']);
    expect((await store.listByState('pending', 1)).map((r) => r.requestId)).toEqual(['r-older']);

    await store.setSlackMessage('r-newer', { channel: 'C0123ABCD', ts: '1717200000.000100' });
    const approved = await store.transition('r-newer', 'pending', 'approved', { approvedBy: APPROVER });
    expect(approved).toMatchObject({
      state: 'approved',
      version: 3,
      approvedBy: APPROVER,
      slack: { channel: 'C0123ABCD', ts: '1717200000.000100' },
    });
    expect((await store.listByState('pending')).map((r) => r.requestId)).toEqual(['r-older']);
    expect((await store.listByState('approved')).map((r) => r.requestId)).toEqual(['r-newer']);
  });

  it('refuses a second request with the same id, a transition the lifecycle forbids, and steps outside execution', async () => {
    const store = new DynamoRemediationRequestStore(env.dynamo, TABLE);
    const request = await aPendingRequest('r-1', daysAgo(1));
    await store.create(request);
    await expect(store.create(request)).rejects.toThrow('remediation request r-1 already exists');
    await expect(store.transition('r-1', 'pending', 'executed', {})).rejects.toThrow(
      'a request cannot go from pending to executed',
    );
    await expect(store.saveSteps('r-1', [])).rejects.toThrow(
      'remediation request r-1 is no longer executing',
    );
    for (const changes of [
      { requestedBy: { kind: 'slack', id: 'U0MALLORY1' } },
      { findingId: 'another-finding' },
      { plan: { ...request.plan, summary: 'something else' } },
    ] as const) {
      await expect(store.transition('r-1', 'pending', 'approved', changes)).rejects.toThrow(
        `a transition cannot change ${Object.keys(changes)[0]}`,
      );
    }
    expect(await store.transition('r-1', 'approved', 'executing', {})).toBeUndefined();
    expect(await store.transition('unknown', 'pending', 'approved', {})).toBeUndefined();
    expect((await store.get('r-1'))?.version).toBe(1);
  });

  it('reports a damaged stored request instead of acting on it', async () => {
    const store = new DynamoRemediationRequestStore(env.dynamo, TABLE);
    await DynamoDBDocumentClient.from(env.dynamo).send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          PK: 'REQUEST#bad',
          SK: 'REQUEST',
          itemType: 'remediation-request',
          requestId: 'bad',
          state: 'approved',
        },
      }),
    );
    await expect(store.get('bad')).rejects.toThrow(
      /stored remediation request REQUEST#bad is malformed: findingId/,
    );
  });

  it('reports a stored request whose audit trail names no whole actor', async () => {
    const store = new DynamoRemediationRequestStore(env.dynamo, TABLE);
    const request = await aPendingRequest('r-audit', daysAgo(1));
    await DynamoDBDocumentClient.from(env.dynamo).send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...request,
          ...remediationRequestItemKeys(request),
          itemType: 'remediation-request',
          state: 'rollback-requested',
          rollbackRequestedBy: { kind: 'slack' },
        },
      }),
    );
    await expect(store.get('r-audit')).rejects.toThrow(
      /stored remediation request REQUEST#r-audit is malformed: rollbackRequestedBy\.id/,
    );
  });
});
