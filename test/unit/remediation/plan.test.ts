import { describe, expect, it } from 'vitest';
import type { RoleSnapshot, ServiceLastAccessed } from '../../../functions/core/model';
import { parsePolicyDocument } from '../../../functions/core/policy/parse';
import {
  QUARANTINE_POLICY_DOCUMENT,
  QUARANTINE_POLICY_NAME,
} from '../../../functions/core/remediation/catalog';
import { planRemediation, type RemediationPlan, sameSteps } from '../../../functions/core/remediation/plan';
import { roleUnused } from '../../../functions/core/rules/role-unused';
import {
  ACCOUNT,
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

function refusal(plan: RemediationPlan) {
  if (plan.outcome !== 'refused') throw new Error(`expected a refusal, got the plan: ${plan.summary}`);
  return { gate: plan.gate, reason: plan.reason };
}

function steps(plan: RemediationPlan) {
  if (plan.outcome !== 'plan') throw new Error(`expected a plan, got a refusal: ${plan.reason}`);
  return plan.steps;
}

describe('planRemediation', () => {
  describe('quarantine-role', () => {
    it('plans attaching the deny-all managed policy to a role unused for the window', () => {
      const role = aRole();
      const plan = planRemediation(findingFor(role, 'role-unused'), { snapshot: role }, planContext());
      expect(plan).toMatchObject({ outcome: 'plan', actions: ['quarantine-role'] });
      expect(steps(plan)).toEqual([
        {
          action: 'quarantine-role',
          roleName: 'ci-deployer',
          policyName: QUARANTINE_POLICY_NAME,
        },
      ]);
    });

    it('refuses as unverifiable, not as passing, when the rule throws on the fresh state', () => {
      const role = aRole();
      const throwing = {
        ...roleUnused,
        evaluate: () => {
          throw new Error('boom');
        },
      };
      const plan = planRemediation(
        findingFor(role, 'role-unused'),
        { snapshot: role },
        {
          ...planContext(),
          rules: [throwing],
        },
      );
      expect(refusal(plan)).toEqual({
        gate: 'unverifiable',
        reason: `Rule role-unused could not evaluate ${role.arn}: boom.`,
      });
    });

    it('refuses when the role was used since the finding (the rule now passes)', () => {
      const role = aRole();
      const plan = planRemediation(
        findingFor(role, 'role-unused'),
        { snapshot: { ...role, lastUsedAt: daysAgo(2) } },
        planContext(),
      );
      expect(refusal(plan)).toEqual({
        gate: 'rule-passes',
        reason: `Rule role-unused now passes for ${role.arn}; nothing to remediate.`,
      });
    });

    it('refuses a role that already carries the quarantine policy', () => {
      const role = aRole();
      const quarantined: RoleSnapshot = {
        ...role,
        inlinePolicies: [
          { name: QUARANTINE_POLICY_NAME, document: parsePolicyDocument(QUARANTINE_POLICY_DOCUMENT) },
        ],
      };
      expect(
        refusal(planRemediation(findingFor(role, 'role-unused'), { snapshot: quarantined }, planContext()))
          .gate,
      ).toBe('rule-passes');
    });
  });

  describe('protected principals', () => {
    const cases: [string, Partial<RoleSnapshot>, Partial<Parameters<typeof planContext>[0]>, string][] = [
      ['a service-linked role', { path: '/aws-service-role/' }, {}, 'is a service-linked role'],
      ['an IAM Identity Center role', { name: 'AWSReservedSSO_Admin_0123456789abcdef' }, {}, 'SSO'],
      [
        'the Organizations access role',
        { name: 'OrganizationAccountAccessRole' },
        {},
        'Organizations access role',
      ],
      [
        'a CDK bootstrap role',
        { name: 'cdk-hnb659fds-deploy-role-123456789012-eu-west-1' },
        {},
        'CDK bootstrap role',
      ],
      [
        'a role tagged protected',
        { tags: { 'iam-posture:protected': 'true' } },
        {},
        'tagged iam-posture:protected=true',
      ],
      ['a role tagged protected in other case', { tags: { 'IAM-Posture:Protected': 'TRUE' } }, {}, 'tagged'],
      [
        'a configured protected ARN',
        {},
        {
          protection: {
            protectedArns: [`arn:aws:iam::${ACCOUNT}:role/ci-deployer`],
            breakGlassArns: [],
            ownArns: [],
          },
        },
        'configured protected ARNs',
      ],
      [
        'a configured protected glob',
        {},
        {
          protection: {
            protectedArns: [`arn:aws:iam::${ACCOUNT}:role/ci-*`],
            breakGlassArns: [],
            ownArns: [],
          },
        },
        'configured protected ARNs',
      ],
      [
        'a break-glass identity',
        {},
        {
          protection: { protectedArns: [], breakGlassArns: [`arn:aws:iam::*:role/ci-deployer`], ownArns: [] },
        },
        'break-glass identity',
      ],
      [
        'one of iam-posture’s own roles',
        {},
        {
          protection: {
            protectedArns: [],
            breakGlassArns: [],
            ownArns: [`arn:aws:iam::${ACCOUNT}:role/ci-deployer`],
          },
        },
        'belongs to iam-posture itself',
      ],
    ];

    it.each(cases)('refuses %s', (_label, roleOverrides, ctxOverrides, reasonPart) => {
      const finding = findingFor(aRole(), 'role-unused');
      // The fresh state carries the protection (tags, path, name); the finding is about the same ARN.
      const fresh = aRole({ ...roleOverrides, arn: finding.resourceArn });
      const plan = planRemediation(finding, { snapshot: fresh }, planContext(ctxOverrides));
      const { gate, reason } = refusal(plan);
      expect(gate).toBe('protected');
      expect(reason).toContain(reasonPart);
    });

    it('does not treat a tag value other than true as protection', () => {
      const role = aRole({ tags: { 'iam-posture:protected': 'false' } });
      expect(
        planRemediation(findingFor(role, 'role-unused'), { snapshot: role }, planContext()).outcome,
      ).toBe('plan');
    });

    it('refuses an access key whose user is tagged protected', () => {
      const key = anAccessKey();
      const owner = aUser({ tags: { 'iam-posture:protected': 'true' } }, [key]);
      const plan = planRemediation(
        findingFor(key, 'access-key-unused'),
        { snapshot: key, owner },
        planContext(),
      );
      expect(refusal(plan).gate).toBe('protected');
    });

    it('refuses an access key of a break-glass user', () => {
      const key = anAccessKey();
      const owner = aUser({}, [key]);
      const plan = planRemediation(
        findingFor(key, 'access-key-unused'),
        { snapshot: key, owner },
        planContext({ protection: { protectedArns: [], breakGlassArns: [owner.arn], ownArns: [] } }),
      );
      expect(refusal(plan)).toEqual({
        gate: 'protected',
        reason: 'deploy-bot is a configured break-glass identity.',
      });
    });

    it('refuses an access key when its owner could not be read (protection unknown)', () => {
      const key = anAccessKey();
      expect(
        refusal(planRemediation(findingFor(key, 'access-key-unused'), { snapshot: key }, planContext())).gate,
      ).toBe('changed');
    });

    it('refuses a secret tagged protected', () => {
      const secret = aSecret();
      const plan = planRemediation(
        findingFor(secret, 'secret-not-rotated'),
        { snapshot: { ...secret, tags: { 'iam-posture:protected': 'true' } } },
        planContext(),
      );
      expect(refusal(plan).gate).toBe('protected');
    });
  });

  describe('resource gone or changed', () => {
    it('refuses when the resource no longer exists', () => {
      const role = aRole();
      expect(refusal(planRemediation(findingFor(role, 'role-unused'), {}, planContext()))).toEqual({
        gate: 'not-found',
        reason: `${role.arn} no longer exists.`,
      });
    });

    it('refuses when the resource is now of another kind', () => {
      const role = aRole();
      const user = aUser({ arn: role.arn });
      expect(
        refusal(planRemediation(findingFor(role, 'role-unused'), { snapshot: user }, planContext())).gate,
      ).toBe('changed');
    });

    it('refuses when the fresh resource is not the one the finding is about', () => {
      const role = aRole();
      const moved = aRole({ path: '/moved/' });
      expect(
        refusal(planRemediation(findingFor(role, 'role-unused'), { snapshot: moved }, planContext())).gate,
      ).toBe('changed');
    });

    it('refuses when the access key found is another key than the finding’s', () => {
      const key = anAccessKey();
      const other = anAccessKey({ keyId: 'AKIAEXAMPLEKEY000002' });
      const plan = planRemediation(
        findingFor(key, 'access-key-unused'),
        { snapshot: other, owner: aUser({}, [other]) },
        planContext(),
      );
      expect(refusal(plan).gate).toBe('changed');
    });

    it('refuses a finding whose rule has no automatic remediation', () => {
      const passRole = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
            Resource: '*',
          },
        ],
      };
      const role = aRole({ managedPolicies: [aManagedPolicy('lambda-deployer', passRole)] });
      const finding = findingFor(role, 'privilege-escalation');
      expect(refusal(planRemediation(finding, { snapshot: role }, planContext())).gate).toBe('no-action');
    });
  });

  describe('deactivate-access-key', () => {
    it('plans to deactivate the unused key', () => {
      const key = anAccessKey();
      const plan = planRemediation(
        findingFor(key, 'access-key-unused'),
        { snapshot: key, owner: aUser({}, [key]) },
        planContext(),
      );
      expect(plan).toMatchObject({ outcome: 'plan', actions: ['deactivate-access-key'] });
      expect(steps(plan)).toEqual([
        { action: 'deactivate-access-key', userName: 'deploy-bot', accessKeyId: 'AKIAEXAMPLEKEY000001' },
      ]);
    });

    it('refuses a key that is already inactive', () => {
      const key = anAccessKey();
      const inactive = { ...key, active: false };
      const plan = planRemediation(
        findingFor(key, 'access-key-unused'),
        { snapshot: inactive, owner: aUser({}, [inactive]) },
        planContext(),
      );
      expect(refusal(plan).gate).toBe('rule-passes');
    });

    it('refuses a key used since the finding', () => {
      const key = anAccessKey();
      const used = { ...key, lastUsedAt: daysAgo(1) };
      const plan = planRemediation(
        findingFor(key, 'access-key-unused'),
        { snapshot: used, owner: aUser({}, [used]) },
        planContext(),
      );
      expect(refusal(plan).gate).toBe('rule-passes');
    });
  });

  describe('policy removal (standing-admin)', () => {
    it('plans to detach an AWS managed admin policy from an unused role', () => {
      const role = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS] });
      const plan = planRemediation(findingFor(role, 'standing-admin'), { snapshot: role }, planContext());
      expect(plan).toMatchObject({ outcome: 'plan', actions: ['detach-managed-policy'] });
      expect(steps(plan)).toEqual([
        {
          action: 'detach-managed-policy',
          principalType: 'role',
          principalName: 'ci-deployer',
          policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        },
      ]);
    });

    it('plans to delete an inline admin policy and detach a managed one together', () => {
      const role = aRole({
        managedPolicies: [ADMINISTRATOR_ACCESS],
        inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMINISTRATOR_ACCESS_DOC) }],
      });
      const plan = planRemediation(findingFor(role, 'standing-admin'), { snapshot: role }, planContext());
      expect(plan).toMatchObject({ outcome: 'plan' });
      if (plan.outcome !== 'plan') return;
      expect([...plan.actions].sort()).toEqual(['delete-inline-policy', 'detach-managed-policy']);
      expect(plan.steps).toEqual(
        expect.arrayContaining([
          {
            action: 'delete-inline-policy',
            principalType: 'role',
            principalName: 'ci-deployer',
            policyName: 'everything',
          },
          {
            action: 'detach-managed-policy',
            principalType: 'role',
            principalName: 'ci-deployer',
            policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
          },
        ]),
      );
      expect(plan.steps).toHaveLength(2);
    });

    it('plans to delete an inline admin policy of an unused user', () => {
      const user = aUser({
        inlinePolicies: [{ name: 'everything', document: parsePolicyDocument(ADMINISTRATOR_ACCESS_DOC) }],
      });
      const plan = planRemediation(findingFor(user, 'standing-admin'), { snapshot: user }, planContext());
      expect(steps(plan)).toEqual([
        {
          action: 'delete-inline-policy',
          principalType: 'user',
          principalName: 'deploy-bot',
          policyName: 'everything',
        },
      ]);
    });

    it('refuses to remove admin from a role used within the window', () => {
      const role = aRole({ managedPolicies: [ADMINISTRATOR_ACCESS], lastUsedAt: daysAgo(3) });
      expect(
        refusal(planRemediation(findingFor(role, 'standing-admin'), { snapshot: role }, planContext())),
      ).toEqual({
        gate: 'in-use',
        reason: 'Role ci-deployer was used 3 days ago; narrow its policies instead of detaching them.',
      });
    });

    it('refuses to remove admin from a user whose access key was used within the window', () => {
      const key = anAccessKey({ lastUsedAt: daysAgo(5) });
      const user = aUser({ managedPolicies: [ADMINISTRATOR_ACCESS] }, [key]);
      expect(
        refusal(planRemediation(findingFor(user, 'standing-admin'), { snapshot: user }, planContext())).gate,
      ).toBe('in-use');
    });

    it('refuses to remove admin from a user without credential data (usage unknown)', () => {
      const user = aUser({ managedPolicies: [ADMINISTRATOR_ACCESS] });
      delete user.credentials;
      expect(
        refusal(planRemediation(findingFor(user, 'standing-admin'), { snapshot: user }, planContext())).gate,
      ).toBe('in-use');
    });

    it('refuses to remove admin from a group, whose members’ use is not known', () => {
      const group = aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] });
      expect(
        refusal(planRemediation(findingFor(group, 'standing-admin'), { snapshot: group }, planContext()))
          .gate,
      ).toBe('in-use');
    });

    it('refuses when the admin grant reaches the user only through a group (nothing of its own to remove)', () => {
      const user = aUser({ groups: [aGroup({ managedPolicies: [ADMINISTRATOR_ACCESS] })] });
      expect(
        refusal(planRemediation(findingFor(user, 'standing-admin'), { snapshot: user }, planContext())).gate,
      ).toBe('nothing-to-remove');
    });
  });

  describe('policy removal (unused-service-permissions)', () => {
    const lastAccessed = (s3: Date | undefined): ServiceLastAccessed => ({
      generatedAt: daysAgo(1),
      services: [{ namespace: 's3', name: 'Amazon S3', ...(s3 ? { lastAuthenticatedAt: s3 } : {}) }],
    });

    it('plans to detach a policy whose every service is unused', () => {
      const policy = aManagedPolicy('s3-reader', S3_READ_DOCUMENT);
      const role = aRole({
        managedPolicies: [policy],
        lastUsedAt: daysAgo(1),
        serviceLastAccessed: lastAccessed(daysAgo(200)),
      });
      const plan = planRemediation(
        findingFor(role, 'unused-service-permissions'),
        { snapshot: role },
        planContext(),
      );
      expect(steps(plan)).toEqual([
        {
          action: 'detach-managed-policy',
          principalType: 'role',
          principalName: 'ci-deployer',
          policyArn: policy.arn,
        },
      ]);
    });

    it('refuses when the service was used since the finding', () => {
      const policy = aManagedPolicy('s3-reader', S3_READ_DOCUMENT);
      const role = aRole({ managedPolicies: [policy], serviceLastAccessed: lastAccessed(daysAgo(200)) });
      const fresh = { ...role, serviceLastAccessed: lastAccessed(daysAgo(2)) };
      expect(
        refusal(
          planRemediation(findingFor(role, 'unused-service-permissions'), { snapshot: fresh }, planContext()),
        ).gate,
      ).toBe('rule-passes');
    });

    it('refuses when the fresh state has no service last accessed data (not known to be unused)', () => {
      const policy = aManagedPolicy('s3-reader', S3_READ_DOCUMENT);
      const role = aRole({ managedPolicies: [policy], serviceLastAccessed: lastAccessed(daysAgo(200)) });
      const fresh = { ...role };
      delete fresh.serviceLastAccessed;
      expect(
        refusal(
          planRemediation(findingFor(role, 'unused-service-permissions'), { snapshot: fresh }, planContext()),
        ).gate,
      ).toBe('rule-passes');
    });
  });

  describe('rotate-secret', () => {
    it('plans a rotation of an overdue secret with rotation configured', () => {
      const secret = aSecret();
      const plan = planRemediation(
        findingFor(secret, 'secret-not-rotated'),
        { snapshot: secret },
        planContext(),
      );
      expect(plan).toMatchObject({ outcome: 'plan', actions: ['rotate-secret'] });
      expect(steps(plan)).toEqual([{ action: 'rotate-secret', secretId: secret.arn, region: 'eu-west-1' }]);
    });

    it('plans a rotation of a secret with managed rotation (no function of its own)', () => {
      const secret = aSecret();
      delete secret.rotationLambdaArn;
      expect(
        planRemediation(findingFor(secret, 'secret-not-rotated'), { snapshot: secret }, planContext())
          .outcome,
      ).toBe('plan');
    });

    it('refuses a secret without rotation configured', () => {
      const secret = aSecret({ rotationEnabled: false });
      delete secret.rotationLambdaArn;
      expect(
        refusal(
          planRemediation(findingFor(secret, 'secret-not-rotated'), { snapshot: secret }, planContext()),
        ).gate,
      ).toBe('not-rotatable');
    });

    it('refuses a secret rotated since the finding', () => {
      const secret = aSecret();
      const plan = planRemediation(
        findingFor(secret, 'secret-not-rotated'),
        { snapshot: { ...secret, lastRotatedAt: daysAgo(1) } },
        planContext(),
      );
      expect(refusal(plan).gate).toBe('rule-passes');
    });
  });
});

describe('sameSteps', () => {
  it('compares steps whatever the key order, and tells different steps apart', () => {
    const a = [{ action: 'deactivate-access-key' as const, userName: 'u', accessKeyId: 'k' }];
    const reordered = [{ accessKeyId: 'k', userName: 'u', action: 'deactivate-access-key' as const }];
    const other = [{ action: 'deactivate-access-key' as const, userName: 'u', accessKeyId: 'k2' }];
    expect(sameSteps(a, reordered)).toBe(true);
    expect(sameSteps(a, other)).toBe(false);
    expect(sameSteps(a, [])).toBe(false);
  });

  it('does not depend on the order of the steps, but counts repeated steps', () => {
    const detach = (policyArn: string) => ({
      action: 'detach-managed-policy' as const,
      principalType: 'role' as const,
      principalName: 'ci',
      policyArn,
    });
    const one = detach('arn:aws:iam::aws:policy/AdministratorAccess');
    const two = detach('arn:aws:iam::111122223333:policy/deploy');
    expect(sameSteps([one, two], [two, one])).toBe(true);
    expect(sameSteps([one, one], [one, two])).toBe(false);
  });
});

const ADMINISTRATOR_ACCESS_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};
