import type { Inventory } from '../model';
import { compilePolicy } from '../policy/compile';
import type { PrivilegeAnalyzer, PrivilegeSummary } from '../rule';
import { analyzePrincipal, type PrivilegeAnalysis } from './analyze';

export {
  type AdminAssessment,
  type AdminBasis,
  analyzePrincipal,
  holdsEverything,
  type OpenPath,
  type PrivilegeAnalysis,
  type RequirementResult,
} from './analyze';
export {
  ESCALATION_PATHS,
  type EscalationCategory,
  type EscalationPath,
  escalationActions,
  type PermissionRequirement,
  type TargetScope,
} from './escalation-paths';
export {
  type NarrowedPolicy,
  narrowPolicyDocument,
  policyGrantsService,
} from './services';

/** The part of the analysis the engine uses to rank risk. */
export function privilegeSummary(analysis: PrivilegeAnalysis): PrivilegeSummary {
  return {
    adminEquivalent: analysis.admin.status === 'admin',
    escalationPaths: analysis.paths.filter((p) => p.status === 'open').map((p) => p.path.id),
  };
}

/**
 * The analyzer the engine calls once per role, user and group. Every managed policy of the
 * inventory is compiled once up front; principals share the compiled form, and the analysis of
 * a snapshot is cached so the privilege rules reuse it.
 */
export function createPrivilegeAnalyzer(inventory: Inventory): PrivilegeAnalyzer {
  for (const policy of inventory.managedPolicies.values()) {
    if (policy.document) compilePolicy(policy.document);
  }
  return (principal) => privilegeSummary(analyzePrincipal(principal));
}
