import { describe, expect, it } from 'vitest';
import type { ElevationProfile, Eligibility } from '../../../functions/core/jit/types';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import {
  planFromFinding,
  planRemediation,
  type RemediationStep,
} from '../../../functions/core/remediation/plan';
import type { ProtectionConfig } from '../../../functions/core/remediation/protection';
import type { BeforeState } from '../../../functions/core/remediation/request';
import { describeStepForSlack } from '../../../functions/core/slack/messages';
import {
  EligibilityStepExecutor,
  type EligibilityStore,
} from '../../../functions/use-cases/eligibility-steps';
import type { RemediationExecutor } from '../../../functions/use-cases/remediation-ports';
import {
  ACCOUNT,
  ADMIN_DOCUMENT,
  ADMINISTRATOR_ACCESS,
  aGroup,
  aRole,
  daysAgo,
  findingFor,
  NOW,
  planContext,
} from './builders';

const NO_PROTECTION: ProtectionConfig = { protectedArns: [], breakGlassArns: [], ownArns: [] };

function aProfile(name: string, eligible: string[]): ElevationProfile {
  return {
    name,
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    eligible,
    maxMinutes: 60,
    approvers: [{ teamId: 'T0TEAM', userId: 'U0APPROVER' }],
    approvals: 2,
  };
}

const PROFILES = [
  aProfile('db-admin', [`arn:aws:iam::${ACCOUNT}:role/db-*`]),
  aProfile('ops-admin', [`arn:aws:iam::${ACCOUNT}:role/ops/*`, `arn:aws:iam::${ACCOUNT}:role/ci-*`]),
  aProfile('also-ci', [`arn:aws:iam::${ACCOUNT}:role/ci-deployer`]),
];

/** An unused role holding AdministratorAccess and an inline admin policy. */
const standingAdmin = (overrides: Parameters<typeof aRole>[0] = {}) =>
  aRole({
    managedPolicies: [ADMINISTRATOR_ACCESS],
    inlinePolicies: [{ name: 'break-glass', document: { statements: [] } }],
    ...overrides,
  });

describe('converting standing admin to just-in-time (plan)', () => {
  it('makes the principal eligible for the first profile covering it, then removes the policies', () => {
    const role = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] });
    const finding = findingFor(role, 'standing-admin');
    const live = planRemediation(finding, { snapshot: role }, planContext({ jitProfiles: PROFILES }));
    expect(live).toEqual({
      outcome: 'plan',
      findingId: finding.id,
      actions: ['convert-to-jit'],
      steps: [
        { action: 'make-eligible', principalArn: role.arn, accountId: ACCOUNT, profile: 'ops-admin' },
        {
          action: 'detach-managed-policy',
          principalType: 'role',
          principalName: 'ci-deployer',
          policyArn: ADMINISTRATOR_ACCESS.arn,
        },
      ],
      summary:
        'Convert to just-in-time (profile ops-admin): make role ci-deployer eligible, then remove 1 policy: AdministratorAccess.',
    });
    // The request message plans the same from the finding alone.
    expect(planFromFinding(finding, NO_PROTECTION, { jitProfiles: PROFILES })).toEqual(live);
  });

  it('keeps the plain removal where no profile covers the principal, unless conversion is asked for', () => {
    const role = aRole({ name: 'batch', managedPolicies: [ADMINISTRATOR_ACCESS] });
    const finding = findingFor(role, 'standing-admin');
    const plain = planRemediation(finding, { snapshot: role }, planContext({ jitProfiles: PROFILES }));
    expect(plain).toMatchObject({ outcome: 'plan', actions: ['detach-managed-policy'] });
    expect(plain.outcome === 'plan' && plain.steps.map((s) => s.action)).toEqual(['detach-managed-policy']);

    const asked = planRemediation(
      finding,
      { snapshot: role },
      planContext({ jitProfiles: PROFILES, action: 'convert-to-jit' }),
    );
    expect(asked).toEqual({
      outcome: 'refused',
      findingId: finding.id,
      gate: 'no-jit-profile',
      reason:
        "No just-in-time profile covers role batch (profiles: db-admin, ops-admin, also-ci): elevation can be granted only to the principals a profile's eligible patterns match. Add it to a profile's eligible patterns, or remove the policy instead.",
    });
    expect(
      planRemediation(finding, { snapshot: role }, planContext({ action: 'convert-to-jit' })),
    ).toMatchObject({
      outcome: 'refused',
      gate: 'no-jit-profile',
      reason: expect.stringContaining('no profile is configured'),
    });
  });

  it('applies the usual gates unchanged: protected, in use, changed, rule passes', () => {
    const ctx = planContext({ jitProfiles: PROFILES });
    const tagged = aRole({
      managedPolicies: [ADMINISTRATOR_ACCESS],
      tags: { 'iam-posture:protected': 'true' },
    });
    expect(planRemediation(findingFor(tagged, 'standing-admin'), { snapshot: tagged }, ctx)).toMatchObject({
      outcome: 'refused',
      gate: 'protected',
    });
    const breakGlass = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] });
    expect(
      planFromFinding(
        findingFor(breakGlass, 'standing-admin'),
        { ...NO_PROTECTION, breakGlassArns: [breakGlass.arn] },
        { jitProfiles: PROFILES },
      ),
    ).toMatchObject({ outcome: 'refused', gate: 'protected' });
    const used = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS], lastUsedAt: daysAgo(3) });
    expect(planRemediation(findingFor(used, 'standing-admin'), { snapshot: used }, ctx)).toMatchObject({
      outcome: 'refused',
      gate: 'in-use',
    });
    const before = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] });
    const after = aRole({ managedPolicies: [] });
    expect(
      planRemediation(
        findingFor(before, 'standing-admin'),
        { snapshot: after },
        { ...ctx, action: 'convert-to-jit' },
      ),
    ).toMatchObject({ outcome: 'refused', gate: 'rule-passes' });
  });

  it('never converts a group: it cannot be elevated', () => {
    const group = aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] });
    const finding = findingFor(group, 'standing-admin');
    const everything = [aProfile('all', [`arn:aws:iam::${ACCOUNT}:*`])];
    expect(
      planFromFinding(finding, NO_PROTECTION, { jitProfiles: everything, action: 'convert-to-jit' }),
    ).toMatchObject({
      outcome: 'refused',
      gate: 'no-action',
    });
  });

  it('removes an inline admin policy too, with its own step', () => {
    const role = standingAdmin({
      managedPolicies: [],
      inlinePolicies: [{ name: 'admin', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
    });
    const plan = planRemediation(
      findingFor(role, 'standing-admin'),
      { snapshot: role },
      planContext({ jitProfiles: PROFILES }),
    );
    expect(plan.outcome === 'plan' && plan.steps.map((s) => s.action)).toEqual([
      'make-eligible',
      'delete-inline-policy',
    ]);
  });

  it('shows the eligibility step in the request message', () => {
    const step: RemediationStep = {
      action: 'make-eligible',
      principalArn: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`,
      accountId: ACCOUNT,
      profile: 'ops-admin',
    };
    expect(describeStepForSlack(step)).toBe(
      `Make \`arn:aws:iam::${ACCOUNT}:role/ci-deployer\` eligible for just-in-time profile \`ops-admin\` (it requests the privilege when it needs it)`,
    );
  });
});

class MemoryEligibilities implements EligibilityStore {
  readonly items = new Map<string, Eligibility>();
  private key(accountId: string, arn: string, profile: string) {
    return `${accountId}|${arn}|${profile}`;
  }
  async putEligibility(e: Eligibility) {
    this.items.set(this.key(e.accountId, e.principalArn, e.profile), structuredClone(e));
  }
  async deleteEligibility(accountId: string, arn: string, profile: string) {
    this.items.delete(this.key(accountId, arn, profile));
  }
  async listEligibility(accountId: string) {
    return [...this.items.values()].filter((e) => e.accountId === accountId);
  }
}

const IAM_ONLY: RemediationExecutor = {
  captureBefore: async () => {
    throw new Error('not an IAM step');
  },
  apply: async () => {
    throw new Error('not an IAM step');
  },
  verify: async () => 'not an IAM step',
  restore: async () => {
    throw new Error('not an IAM step');
  },
  verifyRestored: async () => 'not an IAM step',
};

describe('EligibilityStepExecutor', () => {
  const step: Extract<RemediationStep, { action: 'make-eligible' }> = {
    action: 'make-eligible',
    principalArn: `arn:aws:iam::${ACCOUNT}:role/ci-deployer`,
    accountId: ACCOUNT,
    profile: 'ops-admin',
  };
  const approver = { kind: 'slack' as const, id: 'U0APPROVER', teamId: 'T0TEAM' };
  const context = { requestId: 'req-7', grantedBy: approver, now: () => NOW };

  it('records the eligibility with the approver and request, verifies it, and deletes it on rollback', async () => {
    const store = new MemoryEligibilities();
    const executor = new EligibilityStepExecutor(IAM_ONLY, store, context);
    const before = await executor.captureBefore(step);
    expect(before).toEqual({ ...step });
    await executor.apply(step);
    expect(await store.listEligibility(ACCOUNT)).toEqual([
      {
        principalArn: step.principalArn,
        profile: 'ops-admin',
        accountId: ACCOUNT,
        grantedBy: approver,
        createdAt: NOW.toISOString(),
        sourceRequestId: 'req-7',
      },
    ]);
    expect(await executor.verify(step, before)).toBeUndefined();
    // Rollback needs no request context, and goes through no IAM call.
    const rollback = new EligibilityStepExecutor(IAM_ONLY, store);
    await rollback.restore(before);
    expect(await rollback.verifyRestored(before)).toBeUndefined();
    expect(store.items.size).toBe(0);
  });

  it('puts back an eligibility that existed before, exactly', async () => {
    const store = new MemoryEligibilities();
    const earlier: Eligibility = {
      principalArn: step.principalArn,
      profile: 'ops-admin',
      accountId: ACCOUNT,
      grantedBy: { kind: 'cli', id: 'bob' },
      createdAt: daysAgo(30).toISOString(),
      sourceRequestId: 'req-1',
      lastUsedAt: daysAgo(2).toISOString(),
    };
    await store.putEligibility(earlier);
    const executor = new EligibilityStepExecutor(IAM_ONLY, store, context);
    const before = (await executor.captureBefore(step)) as Extract<BeforeState, { action: 'make-eligible' }>;
    expect(before.existing).toEqual({
      grantedBy: earlier.grantedBy,
      createdAt: earlier.createdAt,
      sourceRequestId: 'req-1',
      lastUsedAt: earlier.lastUsedAt,
    });
    await executor.apply(step);
    expect((await store.listEligibility(ACCOUNT))[0]?.sourceRequestId).toBe('req-7');
    expect(await executor.verifyRestored(before)).toMatch(/earlier eligibility .* is not back/);
    await executor.restore(before);
    expect(await store.listEligibility(ACCOUNT)).toEqual([earlier]);
    expect(await executor.verifyRestored(before)).toBeUndefined();
  });

  it('says when the eligibility is missing, and refuses to act without a store', async () => {
    const store = new MemoryEligibilities();
    const executor = new EligibilityStepExecutor(IAM_ONLY, store, context);
    expect(await executor.verify(step, { ...step })).toBe(
      `${step.principalArn} is not recorded as eligible for profile ops-admin.`,
    );
    const none = new EligibilityStepExecutor(IAM_ONLY, undefined, context);
    await expect(none.captureBefore(step)).rejects.toThrow(/no eligibility store/);
  });

  it('hands every other step to the IAM executor', async () => {
    const executor = new EligibilityStepExecutor(IAM_ONLY, new MemoryEligibilities(), context);
    await expect(
      executor.apply({
        action: 'detach-managed-policy',
        principalType: 'role',
        principalName: 'x',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    ).rejects.toThrow('not an IAM step');
  });
});
