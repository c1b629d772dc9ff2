import type { StatementRef } from '../policy/evaluate';
import { type AdminAssessment, analyzePrincipal } from '../privilege';
import {
  describePrincipal,
  isServiceLinkedRole,
  removablePolicies,
  statementEvidence,
} from '../privilege/evidence';
import { defineRule, notApplicable, pass } from '../rule';

const BASIS_TEXT: Record<NonNullable<AdminAssessment['basis']>, string> = {
  'full-access': 'full access, `*` on `*`',
  'iam-full-access': 'full IAM access, so it can grant itself anything',
  'self-grant': 'it can grant itself any policy',
};

export const standingAdmin = defineRule(
  {
    id: 'standing-admin',
    title: 'Identities do not hold standing administrator-equivalent permissions',
    resourceKinds: ['role', 'user', 'group'],
    severity: 'high',
    description:
      'A role, user (directly or through a group) or group whose policies grant administrator-equivalent permissions without a condition: `*` on `*`, every IAM write action on `*`, or a way to grant itself any policy (attach or write a policy on itself, or rewrite a managed policy attached to it).',
    risk: 'Standing administrator access turns any leak of the identity’s credentials, or any bug in the workload using it, into full control of the account. Privilege that is needed rarely should be granted just in time.',
    remediation: {
      summary:
        'Replace the administrator grant with the permissions the identity uses, or grant it just in time (a time-bound or approval-gated session). An unused identity can have the granting policy detached or deleted.',
      action: 'detach-managed-policy',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'cis-aws-3.0', control: '1.16' },
      { framework: 'aws-fsbp', control: 'IAM.1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [
      'https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-1',
      'https://owasp.org/www-project-non-human-identities-top-10/2025/5-overprivileged-nhi/',
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege',
    ],
  },
  (principal) => {
    if (principal.kind === 'user' && principal.isRoot)
      return notApplicable('the root user has no IAM policies');
    if (isServiceLinkedRole(principal)) return notApplicable('service-linked role (managed by AWS)');
    const analysis = analyzePrincipal(principal);
    const admin = analysis.admin;
    if (admin.status !== 'admin' || !admin.basis) return pass;
    const granting = grantingPolicyNames(admin.statements);
    const groups = [...new Set(admin.statements.flatMap((s) => (s.group ? [s.group] : [])))].sort();
    const removable = removablePolicies(admin.statements);
    return {
      status: 'fail',
      reason: `${describePrincipal(principal)} holds administrator-equivalent permissions (${BASIS_TEXT[admin.basis]}) through ${granting.join(', ')}.`,
      evidence: {
        basis: admin.basis,
        grantingPolicies: granting,
        viaGroups: groups,
        selfGrant: admin.selfGrant ? `${admin.selfGrant.action} on ${admin.selfGrant.resource}` : null,
        statements: statementEvidence(admin.statements),
        conditionalDenies: statementEvidence(admin.conditionalDenies),
        removablePolicies: removable.map((p) => ({ ...p })),
        unreadablePolicies: [...analysis.unreadablePolicies],
      },
    };
  },
);

/** "policy AdministratorAccess", "inline policy ops", "group Admins (policy AdministratorAccess)". */
function grantingPolicyNames(statements: readonly StatementRef[]): string[] {
  const names = new Set<string>();
  for (const s of statements) {
    if (s.boundary) continue;
    const policy = `${s.policyType === 'inline' ? 'inline policy' : 'policy'} ${s.policyName}`;
    names.add(s.group ? `group ${s.group} (${policy})` : policy);
  }
  return [...names].sort();
}
