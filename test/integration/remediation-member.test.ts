/**
 * Remediation of a member account's finding on moto: the function's wiring assumes the member
 * remediation role (AssumeRole into another account id switches moto to that account), reads and
 * changes the role there, and nothing in its own account; without a member role it refuses.
 */
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector } from '../../functions/adapters/aws/collector';
import { AwsLiveStateReader } from '../../functions/adapters/aws/live-state-reader';
import { findingItem } from '../../functions/adapters/dynamo-findings-store';
import { DynamoRemediationRequestStore } from '../../functions/adapters/dynamo-remediation-store';
import type { Finding } from '../../functions/core/finding';
import { memberRoleArn } from '../../functions/core/organization-scan';
import {
  MEMBER_QUARANTINE_POLICY_NAME,
  QUARANTINE_POLICY_DOCUMENT,
} from '../../functions/core/remediation/catalog';
import { planRemediation } from '../../functions/core/remediation/plan';
import type { Actor } from '../../functions/core/remediation/request';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import { collectAccount } from '../../functions/use-cases/collect';
import { executeRemediation } from '../../functions/use-cases/execute-remediation';
import { buildRemediationRequest } from '../../functions/use-cases/remediation-request';
import { rollbackRequestedRemediation } from '../../functions/use-cases/rollback';
import type { AwsConfig } from '../../functions/wiring/aws';
import { memberAwsConfig, remediationWiring } from '../../functions/wiring/remediation';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from '../support/moto';
import { useMotoWithTable } from '../support/moto-table';

const TABLE = 'iam-posture-findings';
const MEMBER = '222233334444';
const ROLE_NAME = 'IamPostureRemediation';
const ROLLBACK_ROLE_NAME = 'IamPostureRollback';
const APPROVER: Actor = { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM0001' };
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
  ],
});
const SETTINGS = { ...DEFAULT_SETTINGS, disabledRules: ['unused-service-permissions'] };
const PLANNING = { settings: SETTINGS, protection: { protectedArns: [], breakGlassArns: [], ownArns: [] } };

let central: AwsConfig;
let member: AwsConfig;
let memberIam: IAMClient;
let centralIam: IAMClient;

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  centralIam = new IAMClient({ ...env.moto.clientConfig });
  central = { ...env.aws(), maxAttempts: 2 };
}, 60_000);

afterAll(async () => {
  memberIam?.destroy();
  centralIam?.destroy();
});

beforeEach(async () => {
  // moto lets any role be assumed; the member's remediation role is created as a member stack would.
  member = await memberAwsConfig(central, {
    roleArn: memberRoleArn(MEMBER, ROLE_NAME),
    sessionName: 'setup',
  });
  memberIam?.destroy();
  memberIam = new IAMClient({
    endpoint: env.moto.endpoint,
    region: MOTO_REGION,
    credentials: member.credentials!,
  });
  await memberIam.send(new CreateRoleCommand({ RoleName: ROLE_NAME, AssumeRolePolicyDocument: TRUST }));
  await memberIam.send(
    new CreateRoleCommand({ RoleName: ROLLBACK_ROLE_NAME, AssumeRolePolicyDocument: TRUST }),
  );
  // The member stack's own deny-all quarantine policy.
  await memberIam.send(
    new CreatePolicyCommand({
      PolicyName: MEMBER_QUARANTINE_POLICY_NAME,
      PolicyDocument: JSON.stringify(QUARANTINE_POLICY_DOCUMENT),
    }),
  );
  await memberIam.send(new CreateRoleCommand({ RoleName: 'stale', AssumeRolePolicyDocument: TRUST }));
  await env.moto.backdateRole({
    accountId: MEMBER,
    roleName: 'stale',
    createDate: daysAgo(400),
    lastUsedDate: null,
  });
}, 60_000);

function daysAgo(days: number): Date {
  return new Date(Date.now() - days * 86_400_000);
}

/** Scans the member account and stores its role-unused finding on `stale` in the central table. */
async function memberFinding(): Promise<Finding> {
  const clients = createAwsClients(member);
  try {
    const collected = await collectAccount(
      { source: new AwsCollector(clients), now: () => new Date() },
      { settings: SETTINGS, regions: [MOTO_REGION] },
    );
    const findings = analyzeAccount(collected.raw, { settings: SETTINGS, now: new Date() }).findings;
    const finding = findings.find((f) => f.ruleId === 'role-unused' && f.resourceArn.endsWith(':role/stale'));
    if (!finding)
      throw new Error(`no role-unused finding on stale: ${findings.map((f) => f.ruleId).join(', ')}`);
    const now = new Date().toISOString();
    await DynamoDBDocumentClient.from(env.dynamo, { marshallOptions: { removeUndefinedValues: true } }).send(
      new PutCommand({
        TableName: TABLE,
        Item: findingItem({
          ...finding,
          status: 'open',
          firstSeenAt: now,
          firstSeenScanId: '20240601T000000Z-abcd',
          lastChangedAt: now,
          lastChangedScanId: '20240601T000000Z-abcd',
          reopenCount: 0,
          version: 1,
        }),
      }),
    );
    return finding;
  } finally {
    clients.destroy();
  }
}

/** An approved request for the finding, as a Slack approval leaves it. */
async function approvedRequest(finding: Finding): Promise<string> {
  const reader = new AwsLiveStateReader(memberIam, () => {
    throw new Error('no secrets here');
  });
  const plan = planRemediation(finding, await reader.read(finding), { ...PLANNING, now: new Date() });
  if (plan.outcome !== 'plan') throw new Error(plan.reason);
  const requests = new DynamoRemediationRequestStore(env.dynamo, TABLE);
  const request = buildRemediationRequest({ finding, plan, requestedBy: APPROVER, now: new Date() });
  await requests.create(request);
  await requests.transition(request.requestId, 'pending', 'approved', { approvedBy: APPROVER });
  return request.requestId;
}

describe('remediation of a member account finding on moto', () => {
  it('acts in the member account through its remediation role, and rolls back there through its rollback role', async () => {
    const finding = await memberFinding();
    expect(finding.accountId).toBe(MEMBER);
    const requestId = await approvedRequest(finding);
    // As the acting function is wired: no quarantine policy of its own account configured here, and
    // nothing restored by it.
    const wiring = remediationWiring({
      aws: central,
      table: TABLE,
      planning: PLANNING,
      routing: { memberRoleName: ROLE_NAME },
      quarantinePolicy: 'none',
      restores: false,
    });
    const rollbackWiring = remediationWiring({
      aws: central,
      table: TABLE,
      planning: PLANNING,
      routing: { memberRoleName: ROLLBACK_ROLE_NAME, purpose: 'rollback' },
      quarantinePolicy: 'none',
    });
    try {
      const outcome = await executeRemediation(requestId, wiring.deps);
      expect(outcome.outcome, JSON.stringify(outcome)).toBe('executed');
      const attached = await memberIam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'stale' }));
      expect(attached.AttachedPolicies).toEqual([
        {
          PolicyName: MEMBER_QUARANTINE_POLICY_NAME,
          PolicyArn: `arn:aws:iam::${MEMBER}:policy/${MEMBER_QUARANTINE_POLICY_NAME}`,
        },
      ]);
      // Nothing of the member's exists in the function's own account.
      const own = (await centralIam.send(new ListRolesCommand({}))).Roles ?? [];
      expect(own.map((r) => r.RoleName)).not.toContain('stale');
      expect(await wiring.callerAccount()).toBe(MOTO_ACCOUNT_ID);

      await wiring.deps.requests.transition(requestId, 'executed', 'rollback-requested', {
        rollbackRequestedBy: APPROVER,
      });
      expect((await rollbackRequestedRemediation(requestId, rollbackWiring.deps)).outcome).toBe(
        'rolled-back',
      );
      expect(
        (await memberIam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'stale' }))).AttachedPolicies,
      ).toEqual([]);
      expect((await memberIam.send(new ListRolePoliciesCommand({ RoleName: 'stale' }))).PolicyNames).toEqual(
        [],
      );
    } finally {
      wiring.close();
      rollbackWiring.close();
    }
  });

  it('refuses a rollback of a member finding without a member rollback role, naming the variable', async () => {
    const finding = await memberFinding();
    const requestId = await approvedRequest(finding);
    const wiring = remediationWiring({
      aws: central,
      table: TABLE,
      planning: PLANNING,
      routing: { purpose: 'rollback' },
    });
    try {
      const requests = wiring.deps.requests;
      await requests.transition(requestId, 'approved', 'executing', {});
      await requests.transition(requestId, 'executing', 'executed', { executedAt: new Date().toISOString() });
      await requests.transition(requestId, 'executed', 'rollback-requested', {
        rollbackRequestedBy: APPROVER,
      });
      const outcome = await rollbackRequestedRemediation(requestId, wiring.deps);
      expect(outcome).toMatchObject({
        outcome: 'failed',
        problems: [
          `The finding is in account ${MEMBER}, the remediation function runs in account ${MOTO_ACCOUNT_ID} ` +
            'and has no member rollback role (MEMBER_ROLLBACK_ROLE_NAME is not set); nothing was changed.',
        ],
      });
      expect((await requests.get(requestId))?.state).toBe('rollback-requested');
    } finally {
      wiring.close();
    }
  });

  it('refuses, and records why, without a member remediation role', async () => {
    const finding = await memberFinding();
    const requestId = await approvedRequest(finding);
    const wiring = remediationWiring({ aws: central, table: TABLE, planning: PLANNING, routing: {} });
    try {
      const outcome = await executeRemediation(requestId, wiring.deps);
      expect(outcome.outcome).toBe('refused');
      const stored = await wiring.deps.requests.get(requestId);
      expect(stored).toMatchObject({ state: 'refused' });
      expect(stored!.outcomeReason).toBe(
        `The finding is in account ${MEMBER}, the remediation function runs in account ${MOTO_ACCOUNT_ID} ` +
          'and has no member remediation role (MEMBER_REMEDIATION_ROLE_NAME is not set); nothing was changed.',
      );
      expect((await memberIam.send(new ListRolePoliciesCommand({ RoleName: 'stale' }))).PolicyNames).toEqual(
        [],
      );
    } finally {
      wiring.close();
    }
  });
});
