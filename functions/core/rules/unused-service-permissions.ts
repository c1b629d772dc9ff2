import type { ServiceAccess } from '../model';
import { type AttachedPolicy, principalPolicies } from '../policy/evaluate';
import { narrowPolicyDocument, policyGrantsService } from '../privilege';
import { describePrincipal, isServiceLinkedRole, type RemovablePolicyRef } from '../privilege/evidence';
import { daysBetween, defineRule, notApplicable, pass } from '../rule';

const LISTED_IN_REASON = 5;

export const unusedServicePermissions = defineRule(
  {
    id: 'unused-service-permissions',
    title: 'Identities only hold permissions for services they use',
    resourceKinds: ['role', 'user'],
    severity: 'medium',
    description:
      'Services a role or user is granted by its identity policies but has not accessed within the window (default 90 days), from IAM service last accessed data. One finding per identity lists the unused services and the change that would remove them: detaching or deleting a policy whose every service is unused, or a narrowed policy document.',
    risk: 'Permissions nobody uses are pure exposure: they widen what a leaked credential or a compromised workload can reach, and nobody notices them being used for the first time.',
    remediation: {
      summary:
        'Detach or delete the policies whose every service is unused; replace the others with the narrowed documents in the evidence.',
      action: 'detach-managed-policy',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html',
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#remove-credentials',
    ],
    threshold: 'serviceUnusedDays',
    staleness: true,
  },
  (principal, ctx) => {
    if (principal.kind === 'user' && principal.isRoot)
      return notApplicable('the root user has no IAM policies');
    if (isServiceLinkedRole(principal)) return notApplicable('service-linked role (managed by AWS)');
    const data = principal.serviceLastAccessed;
    if (!data) return notApplicable('no service last accessed data');
    const window = ctx.thresholds.serviceUnusedDays;
    // Idle time is measured up to when the data was generated: later use would not show in it.
    const asOf =
      data.generatedAt && data.generatedAt.getTime() < ctx.now.getTime() ? data.generatedAt : ctx.now;
    if (principal.createdAt && daysBetween(principal.createdAt, asOf) < window) {
      return notApplicable('identity is younger than the window');
    }
    const policies = principalPolicies(principal);
    const granted = grantedServices(data.services, policies.identity);
    const unused = granted.filter(
      (s) => !s.access.lastAuthenticatedAt || idleDays(s.access, asOf)! >= window,
    );
    if (unused.length === 0) return pass;
    const unusedSet = new Set(unused.map((s) => s.namespace));
    const used = granted.filter((s) => !unusedSet.has(s.namespace)).map((s) => s.namespace);
    const plan = remediationPlan(policies.identity, unused, used, unusedSet);
    for (const name of policies.unreadable) {
      plan.steps.push(`Review policy ${name.name} by hand: its document could not be read.`);
    }
    const names = unused.map((s) => s.namespace);
    const listed =
      names.length > LISTED_IN_REASON
        ? `${names.slice(0, LISTED_IN_REASON).join(', ')} and ${names.length - LISTED_IN_REASON} more`
        : names.join(', ');
    return {
      status: 'fail',
      reason: `${describePrincipal(principal)} has permissions for ${names.length} service${names.length === 1 ? '' : 's'} it has not used in ${window} days: ${listed}.`,
      evidence: {
        unusedServices: names,
        usedServices: used,
        thresholdDays: window,
        dataGeneratedAt: data.generatedAt ? data.generatedAt.toISOString() : null,
        services: unused.map((s) => ({
          service: s.namespace,
          name: s.access.name ?? null,
          lastAuthenticatedAt: s.access.lastAuthenticatedAt?.toISOString() ?? null,
          idleDays: idleDays(s.access, asOf) ?? null,
          grantedBy: s.grantedBy.map(policyLabel),
        })),
        removablePolicies: plan.removable.map((p) => ({ ...p })),
        remediationPlan: plan.steps,
        narrowedPolicies: plan.narrowed,
      },
    };
  },
);

interface GrantedService {
  namespace: string;
  access: ServiceAccess;
  grantedBy: AttachedPolicy[];
}

/** The services of the last-accessed data that the principal's policies actually grant, sorted. */
function grantedServices(
  entries: readonly ServiceAccess[],
  attached: readonly AttachedPolicy[],
): GrantedService[] {
  const byNamespace = new Map<string, ServiceAccess>();
  for (const entry of entries) {
    const namespace = entry.namespace.toLowerCase();
    const seen = byNamespace.get(namespace);
    // Keep the latest access if a namespace appears twice.
    if (!seen || (entry.lastAuthenticatedAt?.getTime() ?? 0) > (seen.lastAuthenticatedAt?.getTime() ?? 0)) {
      byNamespace.set(namespace, entry);
    }
  }
  const out: GrantedService[] = [];
  for (const [namespace, access] of byNamespace) {
    const grantedBy = attached.filter((p) => policyGrantsService(p.policy, namespace));
    if (grantedBy.length > 0) out.push({ namespace, access, grantedBy });
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace));
}

function idleDays(access: ServiceAccess, asOf: Date): number | undefined {
  return access.lastAuthenticatedAt ? daysBetween(access.lastAuthenticatedAt, asOf) : undefined;
}

function policyLabel(policy: AttachedPolicy): string {
  const kind = policy.ref.type === 'inline' ? 'inline policy' : 'managed policy';
  const name = `${kind} ${policy.ref.name}`;
  return policy.ref.group ? `${name} (group ${policy.ref.group.name})` : name;
}

interface Plan {
  removable: RemovablePolicyRef[];
  steps: string[];
  narrowed: Record<string, unknown>[];
}

/**
 * For each policy of the principal that grants an unused service: remove it whole when every
 * service it grants is unused (and it has no Deny to lift), otherwise propose a narrowed document.
 * Policies reaching a user through a group are changed on the group, not here.
 */
function remediationPlan(
  attached: readonly AttachedPolicy[],
  unused: readonly GrantedService[],
  used: readonly string[],
  unusedSet: ReadonlySet<string>,
): Plan {
  const plan: Plan = { removable: [], steps: [], narrowed: [] };
  const viaGroups = new Map<string, Set<string>>();
  for (const policy of attached) {
    const drops = unused.filter((s) => s.grantedBy.includes(policy)).map((s) => s.namespace);
    if (drops.length === 0) continue;
    const ref = policy.ref;
    if (ref.group) {
      const set = viaGroups.get(ref.group.name) ?? new Set<string>();
      for (const d of drops) set.add(d);
      viaGroups.set(ref.group.name, set);
      continue;
    }
    const label = ref.type === 'inline' ? `inline policy ${ref.name}` : `managed policy ${ref.name}`;
    const narrowed = narrowPolicyDocument(policy.policy.document, used, (ns) => unusedSet.has(ns));
    if (!narrowed.grantsAnything && !narrowed.hasDeny && narrowed.reviewByHand.length === 0) {
      plan.removable.push(
        ref.type === 'managed' && ref.arn
          ? { type: 'managed', arn: ref.arn, name: ref.name }
          : { type: 'inline', name: ref.name },
      );
      plan.steps.push(
        `${ref.type === 'inline' ? 'Delete' : 'Detach'} ${label} (every service it grants is unused: ${drops.join(', ')}).`,
      );
      continue;
    }
    plan.steps.push(
      `Replace ${label} with the narrowed document proposed for it (drops ${drops.join(', ')})${
        narrowed.reviewByHand.length > 0 ? `; review ${narrowed.reviewByHand.join(', ')} by hand` : ''
      }.`,
    );
    plan.narrowed.push({
      policyType: ref.type,
      policyName: ref.name,
      policyArn: ref.arn ?? null,
      removesServices: drops,
      document: narrowed.document ?? null,
      reviewByHand: narrowed.reviewByHand,
    });
  }
  for (const [group, services] of [...viaGroups].sort(([a], [b]) => a.localeCompare(b))) {
    plan.steps.push(
      `Narrow the policies of group ${group} or remove the user from it (grants unused: ${[...services].sort().join(', ')}).`,
    );
  }
  return plan;
}
