import type { PolicyPrincipal, StatementRef } from '../policy/evaluate';

/** A policy a remediation could remove whole: the shape the remediation planner reads. */
export interface RemovablePolicyRef {
  type: 'managed' | 'inline';
  arn?: string;
  name: string;
}

/** "Role deployer", "User alice", "Group Admins". */
export function describePrincipal(principal: PolicyPrincipal): string {
  const kind = principal.kind === 'role' ? 'Role' : principal.kind === 'user' ? 'User' : 'Group';
  return `${kind} ${principal.name}`;
}

export function isServiceLinkedRole(principal: PolicyPrincipal): boolean {
  return principal.kind === 'role' && principal.path.startsWith('/aws-service-role/');
}

/**
 * The policies held directly by the principal that contain the given statements. Policies that
 * reach a user through a group, and the permissions boundary, are not the principal's to remove.
 */
export function removablePolicies(statements: readonly StatementRef[]): RemovablePolicyRef[] {
  const out = new Map<string, RemovablePolicyRef>();
  for (const s of statements) {
    if (s.group || s.boundary || s.effect !== 'Allow') continue;
    if (s.policyType === 'managed' && s.policyArn) {
      out.set(`managed|${s.policyArn}`, { type: 'managed', arn: s.policyArn, name: s.policyName });
    } else if (s.policyType === 'inline') {
      out.set(`inline|${s.policyName}`, { type: 'inline', name: s.policyName });
    }
  }
  return [...out.values()];
}

/** Statement references as plain evidence records. */
export function statementEvidence(statements: readonly StatementRef[]): Record<string, unknown>[] {
  return statements.map((s) => ({ ...s }));
}
