import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import type { ServiceLastAccessed, Snapshot } from '../../../functions/core/model';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import { QUARANTINE_POLICY_NAME, REMEDIATION_ACTIONS } from '../../../functions/core/remediation/catalog';
import {
  type FreshState,
  planFromFinding,
  planRemediation,
  type RemediationPlan,
  sameSteps,
} from '../../../functions/core/remediation/plan';
import type { ProtectionConfig } from '../../../functions/core/remediation/protection';
import {
  ACCOUNT,
  ADMIN_DOCUMENT,
  ADMINISTRATOR_ACCESS,
  aGroup,
  aManagedPolicy,
  anAccessKey,
  aRole,
  aSecret,
  aUser,
  daysAgo,
  findingFor,
  planContext,
  S3_READ_DOCUMENT,
} from './builders';

const NO_PROTECTION: ProtectionConfig = { protectedArns: [], breakGlassArns: [], ownArns: [] };

const unusedKey = () => {
  const key = anAccessKey({ keyId: 'AKIAEXAMPLEKEY000001', lastUsedAt: daysAgo(100) });
  return { key, fresh: { snapshot: key, owner: aUser({}, [key]) } satisfies FreshState };
};

describe('planFromFinding (the dry plan shown for approval)', () => {
  const cases: [string, () => { finding: Finding; fresh: FreshState }][] = [
    [
      'an unused access key',
      () => {
        const { key, fresh } = unusedKey();
        return { finding: findingFor(key, 'access-key-unused'), fresh };
      },
    ],
    [
      'an unused role',
      () => {
        const role = aRole({ path: '/service/', lastUsedAt: daysAgo(200) });
        return { finding: findingFor(role, 'role-unused'), fresh: { snapshot: role } };
      },
    ],
    [
      'a standing admin role with a managed and an inline policy',
      () => {
        const role = aRole({
          managedPolicies: [ADMINISTRATOR_ACCESS],
          inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
        });
        return { finding: findingFor(role, 'standing-admin'), fresh: { snapshot: role } };
      },
    ],
    [
      'a standing admin user with an inline policy',
      () => {
        const user = aUser({
          inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) }],
        });
        return { finding: findingFor(user, 'standing-admin'), fresh: { snapshot: user } };
      },
    ],
    [
      'an overdue secret with rotation configured',
      () => {
        const secret = aSecret();
        return { finding: findingFor(secret, 'secret-not-rotated'), fresh: { snapshot: secret } };
      },
    ],
  ];

  it.each(cases)(
    'plans for %s exactly the steps execution plans from the unchanged live state',
    (_, make) => {
      const { finding, fresh } = make();
      const dry = planFromFinding(finding, NO_PROTECTION);
      const live = planRemediation(finding, fresh, planContext());
      expect(live.outcome).toBe('plan');
      expect(dry.outcome).toBe('plan');
      if (dry.outcome !== 'plan' || live.outcome !== 'plan') return;
      expect(dry.steps).toEqual(live.steps);
      expect(sameSteps(dry.steps, live.steps)).toBe(true);
      expect(dry.actions).toEqual(live.actions);
      expect(dry.summary).toBe(live.summary);
      expect(dry.findingId).toBe(finding.id);
    },
  );

  it('names the role, not its path, in a quarantine step', () => {
    const role = aRole({ name: 'legacy-etl', path: '/jobs/nightly/' });
    const plan = planFromFinding(findingFor(role, 'role-unused'), NO_PROTECTION);
    expect(plan).toMatchObject({
      outcome: 'plan',
      steps: [{ action: 'quarantine-role', roleName: 'legacy-etl', policyName: QUARANTINE_POLICY_NAME }],
    });
  });

  it.each<[string, () => Finding, ProtectionConfig, string, string]>([
    [
      'a configured protected ARN (glob)',
      () => findingFor(aRole({ name: 'keep-me' }), 'role-unused'),
      { ...NO_PROTECTION, protectedArns: [`arn:aws:iam::${ACCOUNT}:role/keep-*`] },
      'protected',
      'keep-me is in the configured protected ARNs.',
    ],
    [
      'a break-glass user’s key',
      () => findingFor(unusedKey().key, 'access-key-unused'),
      { ...NO_PROTECTION, breakGlassArns: [`arn:aws:iam::${ACCOUNT}:user/deploy-bot`] },
      'protected',
      'deploy-bot is a configured break-glass identity.',
    ],
    [
      'an SSO role',
      () => findingFor(aRole({ name: 'AWSReservedSSO_Admin_0123456789abcdef' }), 'role-unused'),
      NO_PROTECTION,
      'protected',
      'AWSReservedSSO_Admin_0123456789abcdef is an IAM Identity Center (SSO) role.',
    ],
    [
      'iam-posture’s own role',
      () => findingFor(aRole({ name: 'IamPosture-ScanRole-1A2B3C' }), 'role-unused'),
      { ...NO_PROTECTION, ownArns: [`arn:aws:iam::${ACCOUNT}:role/IamPosture-*`] },
      'protected',
      'IamPosture-ScanRole-1A2B3C belongs to iam-posture itself.',
    ],
    [
      'a key known only by its credential-report slot',
      () => findingFor(anAccessKey({ keyId: undefined, lastUsedAt: daysAgo(100) }), 'access-key-unused'),
      NO_PROTECTION,
      'changed',
      'The access key id of deploy-bot is unknown; re-collect live.',
    ],
    [
      'a group holding admin policies',
      () => findingFor(aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] }), 'standing-admin'),
      NO_PROTECTION,
      'in-use',
      "Group admins grants its members' permissions, and whether they use them is not known; narrow its policies instead of detaching them.",
    ],
    [
      'a secret without rotation',
      () => {
        const secret = aSecret({ rotationEnabled: false, lastRotatedAt: undefined });
        delete secret.rotationLambdaArn;
        return findingFor(secret, 'secret-not-rotated');
      },
      NO_PROTECTION,
      'not-rotatable',
      'Secret prod/db has no rotation configured; rotate it by hand.',
    ],
    [
      'a rule without automatic remediation',
      () =>
        findingFor(
          anAccessKey({ createdAt: daysAgo(400), lastUsedAt: daysAgo(1) }),
          'access-key-not-rotated',
        ),
      NO_PROTECTION,
      'no-action',
      'Rule access-key-not-rotated has no automatic remediation.',
    ],
  ])('refuses %s', (_, make, protection, gate, reason) => {
    expect(planFromFinding(make(), protection)).toMatchObject({ outcome: 'refused', gate, reason });
  });

  it('refuses a standing-admin finding whose evidence names nothing removable', () => {
    const role = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] });
    const finding = findingFor(role, 'standing-admin');
    const tampered = {
      ...finding,
      evidence: { ...finding.evidence, removablePolicies: [{ type: 'managed' }] },
    };
    expect(planFromFinding(tampered as Finding, NO_PROTECTION)).toMatchObject({
      outcome: 'refused',
      gate: 'nothing-to-remove',
    });
  });
});

describe('the dry plan and the live plan', () => {
  const inlineAdmin = { name: 'everything', document: parsePolicyDocument(ADMIN_DOCUMENT) };
  const s3Reader = aManagedPolicy('s3-reader', S3_READ_DOCUMENT);
  const s3Unused: ServiceLastAccessed = {
    generatedAt: daysAgo(1),
    services: [{ namespace: 's3', name: 'Amazon S3', lastAuthenticatedAt: daysAgo(200) }],
  };
  const secretWithoutRotation = () => {
    const secret = aSecret({ rotationEnabled: false, lastRotatedAt: undefined });
    delete secret.rotationLambdaArn;
    return secret;
  };
  const keyOf = (overrides: Parameters<typeof anAccessKey>[0]) => {
    const key = anAccessKey({ lastUsedAt: daysAgo(100), ...overrides });
    return { snapshot: key, owner: aUser({}, [key]) } satisfies FreshState;
  };

  /** A resource as a scan saw it and, unchanged, as remediation reads it again. */
  const cases: [string, FreshState & { snapshot: Snapshot }, string, Partial<ProtectionConfig>?][] = [
    ['an unused access key', keyOf({}), 'access-key-unused'],
    ['a key known only by its slot', keyOf({ keyId: undefined }), 'access-key-unused'],
    [
      'a key of a break-glass user',
      keyOf({}),
      'access-key-unused',
      { breakGlassArns: [`arn:aws:iam::${ACCOUNT}:user/deploy-bot`] },
    ],
    ['an unused role', { snapshot: aRole({ path: '/service/' }) }, 'role-unused'],
    [
      'an unused SSO role',
      { snapshot: aRole({ name: 'AWSReservedSSO_Admin_0123456789abcdef' }) },
      'role-unused',
    ],
    [
      'an unused CDK bootstrap role',
      { snapshot: aRole({ name: 'cdk-hnb659fds-deploy-role-123456789012-eu-west-1' }) },
      'role-unused',
    ],
    [
      'an unused role of iam-posture itself',
      { snapshot: aRole({ name: 'IamPosture-ScanRole-1A2B3C' }) },
      'role-unused',
      { ownArns: [`arn:aws:iam::${ACCOUNT}:role/IamPosture-*`] },
    ],
    [
      'a standing admin role with a managed and an inline policy',
      { snapshot: aRole({ managedPolicies: [ADMINISTRATOR_ACCESS], inlinePolicies: [inlineAdmin] }) },
      'standing-admin',
    ],
    [
      'a protected standing admin role',
      { snapshot: aRole({ name: 'keep-me', managedPolicies: [ADMINISTRATOR_ACCESS] }) },
      'standing-admin',
      { protectedArns: [`arn:aws:iam::${ACCOUNT}:role/keep-*`] },
    ],
    ['a standing admin user', { snapshot: aUser({ inlinePolicies: [inlineAdmin] }) }, 'standing-admin'],
    [
      'a user admin only through a group',
      { snapshot: aUser({ groups: [aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] })] }) },
      'standing-admin',
    ],
    [
      'a group holding admin',
      { snapshot: aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] }) },
      'standing-admin',
    ],
    [
      'a role with an unused service policy',
      {
        snapshot: aRole({
          managedPolicies: [s3Reader],
          lastUsedAt: daysAgo(1),
          serviceLastAccessed: s3Unused,
        }),
      },
      'unused-service-permissions',
    ],
    [
      'a user with an unused inline service policy',
      {
        snapshot: aUser({
          inlinePolicies: [{ name: 's3-read', document: parsePolicyDocument(S3_READ_DOCUMENT) }],
          serviceLastAccessed: s3Unused,
        }),
      },
      'unused-service-permissions',
    ],
    ['an overdue secret with rotation', { snapshot: aSecret() }, 'secret-not-rotated'],
    ['an overdue secret without rotation', { snapshot: secretWithoutRotation() }, 'secret-not-rotated'],
    [
      'an old key (no automatic remediation)',
      keyOf({ createdAt: daysAgo(400), lastUsedAt: daysAgo(1) }),
      'access-key-not-rotated',
    ],
  ];

  const plans = cases.map(([label, fresh, ruleId, protectionOverrides]) => {
    const protection = { ...NO_PROTECTION, ...protectionOverrides };
    const finding = findingFor(fresh.snapshot, ruleId);
    return {
      label,
      finding,
      dry: planFromFinding(finding, protection),
      live: planRemediation(finding, fresh, planContext({ protection })),
    };
  });

  const outcomeOf = (plan: RemediationPlan) =>
    plan.outcome === 'plan'
      ? { outcome: plan.outcome, actions: plan.actions, summary: plan.summary }
      : { outcome: plan.outcome, gate: plan.gate, reason: plan.reason };

  it.each(plans)('agree on $label', ({ finding, dry, live }) => {
    expect(outcomeOf(dry)).toEqual(outcomeOf(live));
    expect(dry.findingId).toBe(finding.id);
    if (dry.outcome === 'plan' && live.outcome === 'plan') {
      expect(sameSteps(dry.steps, live.steps)).toBe(true);
      expect(dry.steps).toHaveLength(live.steps.length);
    }
  });

  it('cover every action with a plan and every gate the finding can answer with a refusal', () => {
    const planned = new Set(plans.flatMap(({ live }) => (live.outcome === 'plan' ? live.actions : [])));
    // Conversion to just-in-time needs elevation profiles: convert-to-jit.test.ts plans it.
    expect([...planned].sort()).toEqual(
      REMEDIATION_ACTIONS.map((a) => a.id)
        .filter((id) => id !== 'convert-to-jit')
        .sort(),
    );
    const refused = new Set(plans.flatMap(({ live }) => (live.outcome === 'refused' ? [live.gate] : [])));
    expect([...refused].sort()).toEqual([
      'changed',
      'in-use',
      'no-action',
      'not-rotatable',
      'nothing-to-remove',
      'protected',
    ]);
  });

  it.each<[string, FreshState & { snapshot: Snapshot }, string, string]>([
    ['a tag', { snapshot: aRole({ tags: { 'iam-posture:protected': 'true' } }) }, 'role-unused', 'protected'],
    [
      'recent use of a standing admin',
      { snapshot: aRole({ managedPolicies: [ADMINISTRATOR_ACCESS], lastUsedAt: daysAgo(3) }) },
      'standing-admin',
      'in-use',
    ],
  ])('leave to the live plan what only live state tells: %s', (_, fresh, ruleId, gate) => {
    const finding = findingFor(fresh.snapshot, ruleId);
    expect(planFromFinding(finding, NO_PROTECTION).outcome).toBe('plan');
    expect(planRemediation(finding, fresh, planContext())).toMatchObject({ outcome: 'refused', gate });
  });
});
