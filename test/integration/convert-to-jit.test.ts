/**
 * Converting standing admin to just-in-time on moto: the approved conversion records the
 * eligibility and removes the standing policy, verified against IAM; rollback puts the policy back
 * and removes the eligibility; a principal no profile covers gets the ordinary removal.
 */
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsLiveStateReader } from '../../functions/adapters/aws/live-state-reader';
import { AwsRemediationExecutor } from '../../functions/adapters/aws/remediation-executor';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { DynamoJitStore } from '../../functions/adapters/dynamo-jit-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import type { ElevationProfile } from '../../functions/core/jit/types';
import type { Actor } from '../../functions/core/remediation/request';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import {
  createRemediationRequest,
  type RemediationDeps,
} from '../../functions/use-cases/execute-remediation';
import { rollbackRemediation } from '../../functions/use-cases/rollback';
import { MOTO_ACCOUNT_ID } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';
import {
  anUnusedRole as anUnusedRoleIn,
  iamState as iamStateOf,
  RecordedEvents,
  recordedFinding as recordedFindingIn,
} from '../support/remediation-moto';

const TABLE = 'iam-posture-findings';
const OPERATOR: Actor = { kind: 'cli', id: 'alice' };
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

let iam: IAMClient;
let secrets: SecretsManagerClient;
let jit: DynamoJitStore;

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  iam = new IAMClient({ ...env.moto.clientConfig });
  secrets = new SecretsManagerClient({ ...env.moto.clientConfig });
  jit = new DynamoJitStore(env.dynamo, TABLE);
});

/** Remediation over moto with the profiles given and the eligibilities in the table. */
function remediation(profiles: readonly ElevationProfile[]): RemediationDeps & { events: RecordedEvents } {
  const findingsStore = new DynamoFindingsStore(env.dynamo, TABLE);
  return {
    requests: new DynamoRemediationRequestStore(env.dynamo, TABLE),
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

const recordedFinding = (ruleId: string, arn: string) =>
  recordedFindingIn(env.moto, env.dynamo, TABLE, ruleId, arn);
const iamState = () => iamStateOf(iam);
const anUnusedRole = (name: string, options: { lastUsedDaysAgo?: number } = {}) =>
  anUnusedRoleIn(iam, env.moto, name, options);

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
