import { analyzePrincipal, holdsEverything, type OpenPath } from '../privilege';
import { describePrincipal, isServiceLinkedRole, statementEvidence } from '../privilege/evidence';
import { defineRule, notApplicable, pass } from '../rule';

export const privilegeEscalation = defineRule(
  {
    id: 'privilege-escalation',
    title: 'Identities cannot grant themselves more privilege',
    resourceKinds: ['role', 'user', 'group'],
    severity: 'high',
    description:
      'A role, user or group holds every permission of a known privilege-escalation path (Rhino Security Labs’ methods and their successors): rewriting its own policies, taking over other principals, passing a role to new compute, or running code in existing workloads. A path that needs a condition is reported at medium severity. Identities that already hold full access are reported by standing-admin instead.',
    risk: 'An identity that can escalate is as dangerous as the most privileged role it can reach: its narrow-looking policy is not its real privilege.',
    remediation: {
      summary:
        'Remove one permission of each open path, or scope it: name the roles iam:PassRole may pass (with iam:PassedToService), restrict IAM write actions to named resources, or add a permissions boundary.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [
      'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/',
      'https://github.com/BishopFox/iam-vulnerable',
      'https://pathfinding.cloud/',
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html',
    ],
  },
  (principal) => {
    if (principal.kind === 'user' && principal.isRoot)
      return notApplicable('the root user has no IAM policies');
    if (isServiceLinkedRole(principal)) return notApplicable('service-linked role (managed by AWS)');
    const analysis = analyzePrincipal(principal);
    if (holdsEverything(analysis.admin)) {
      return notApplicable('holds full access already; reported by standing-admin');
    }
    if (analysis.paths.length === 0) return pass;
    const open = analysis.paths.filter((p) => p.status === 'open');
    const reported = open.length > 0 ? open : analysis.paths;
    const first = reported[0]!;
    const more =
      reported.length > 1 ? ` and ${reported.length - 1} more path${reported.length > 2 ? 's' : ''}` : '';
    const qualifier = open.length > 0 ? '' : ' under conditions';
    return {
      status: 'fail',
      reason: `${describePrincipal(principal)} can escalate its privileges${qualifier}: ${first.path.title} (${first.path.id})${more}.`,
      evidence: {
        pathIds: reported.map((p) => p.path.id),
        conditionalPathIds: analysis.paths.filter((p) => p.status === 'conditional').map((p) => p.path.id),
        paths: analysis.paths.map(pathEvidence),
        unreadablePolicies: [...analysis.unreadablePolicies],
      },
      ...(open.length > 0 ? {} : { severity: 'medium' as const }),
    };
  },
);

function pathEvidence(open: OpenPath): Record<string, unknown> {
  return {
    id: open.path.id,
    title: open.path.title,
    category: open.path.category,
    status: open.status,
    source: open.path.source,
    permissions: open.requirements.map((r) => ({
      action: r.action,
      on: r.on,
      decision: r.decision.decision,
      statements: statementEvidence(r.decision.statements),
      conditionalDenies: statementEvidence(r.decision.conditionalDenies),
    })),
  };
}
