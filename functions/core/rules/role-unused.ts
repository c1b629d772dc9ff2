import type { RoleSnapshot } from '../model';
import type { PolicyDocument } from '../policy/types';
import { isQuarantinePolicyArn, QUARANTINE_POLICY_NAME } from '../remediation/catalog';
import { daysBetween, defineRule, notApplicable, pass } from '../rule';

export const roleUnused = defineRule(
  {
    id: 'role-unused',
    title: 'Roles are used within the unused-role window',
    resourceKinds: ['role'],
    severity: 'medium',
    description:
      'A role that has not been assumed for the configured window (default 90 days), or has no recorded use and is older than the window. A role idle for exactly the window fails; roles younger than the window and service-linked roles are not evaluated. A role quarantined by iam-posture (its deny-all inline policy in place) passes: it can no longer act.',
    risk: 'A stale role is a standing access path nobody watches: its trust policy and permissions still work for whoever can assume it.',
    remediation: {
      summary:
        'Delete the role if it is no longer needed; otherwise quarantine it with a deny-all inline policy.',
      action: 'quarantine-role',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html#roles-delete_prerequisites',
      'https://owasp.org/www-project-non-human-identities-top-10/2025/1-improper-offboarding/',
    ],
    threshold: 'roleUnusedDays',
    staleness: true,
  },
  (role, ctx) => {
    if (role.path.startsWith('/aws-service-role/')) return notApplicable('service-linked role');
    if (isQuarantined(role)) return pass;
    const window = ctx.thresholds.roleUnusedDays;
    const ageDays = daysBetween(role.createdAt, ctx.now);
    if (ageDays < window) return notApplicable('role is younger than the window');
    if (!role.lastUsedAt) {
      return {
        status: 'fail',
        // IAM keeps RoleLastUsed for a trailing 400 days: "no recorded use", not "never used".
        reason: `Role ${role.name} has no recorded use and was created ${ageDays} days ago.`,
        evidence: {
          createdAt: role.createdAt.toISOString(),
          lastUsedAt: null,
          ageDays,
          thresholdDays: window,
        },
      };
    }
    const idleDays = daysBetween(role.lastUsedAt, ctx.now);
    if (idleDays < window) return pass;
    return {
      status: 'fail',
      reason: `Role ${role.name} was last used ${idleDays} days ago.`,
      evidence: {
        createdAt: role.createdAt.toISOString(),
        lastUsedAt: role.lastUsedAt.toISOString(),
        lastUsedRegion: role.lastUsedRegion ?? null,
        idleDays,
        thresholdDays: window,
      },
    };
  },
);

/**
 * True when the role carries iam-posture's quarantine policy denying every action on every
 * resource: the customer managed policy, or the inline one older versions put.
 */
function isQuarantined(role: RoleSnapshot): boolean {
  const inline = role.inlinePolicies.find((p) => p.name === QUARANTINE_POLICY_NAME)?.document;
  const managed = role.managedPolicies.filter((p) => !p.awsManaged && isQuarantinePolicyArn(p.arn));
  return [inline, ...managed.map((p) => p.document)].some(
    (document) => document !== undefined && deniesAll(document),
  );
}

function deniesAll(document: PolicyDocument): boolean {
  return document.statements.some(
    (s) =>
      s.effect === 'Deny' &&
      s.conditions.length === 0 &&
      s.actions?.includes('*') === true &&
      s.resources?.includes('*') === true,
  );
}
