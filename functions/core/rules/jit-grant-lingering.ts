import { grantIdOfPolicyName, grantWindowOf } from '../jit/grant';
import { GRANT_POLICY_PREFIX } from '../jit/types';
import type { PolicyDocument } from '../policy/types';
import { defineRule, pass } from '../rule';
import { describePrincipalArn, JIT_DESIGN_REFERENCES } from './support/jit';
import { OWASP } from './support/references';

export const jitGrantLingering = defineRule(
  {
    id: 'jit-grant-lingering',
    title: 'Just-in-time grant policies are removed when their window ends',
    resourceKinds: ['role', 'user'],
    severity: 'high',
    description: `A role or user holding an inline policy named \`${GRANT_POLICY_PREFIX}*\` (a just-in-time grant) whose \`aws:CurrentTime\` window ended at or before the scan, or which carries no valid window (every statement bounded by the same single DateGreaterThan and DateLessThan instants). The hourly reconciler removes such policies; one it could not remove stays visible this way.`,
    risk: 'An expired grant policy grants nothing while its time bounds hold, but it is one edit away from standing privilege, and a grant policy without valid bounds may grant it already: either way the removal the elevation promised did not happen.',
    remediation: {
      summary:
        'Find why the reconciler could not remove the policy (its ElevationFailed event names it), fix the cause, and delete the inline policy; a policy without valid time bounds was not written by iam-posture and needs investigating.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [
      OWASP.NHI5,
      JIT_DESIGN_REFERENCES.conditionCurrentTime,
      JIT_DESIGN_REFERENCES.temporaryElevatedAccess,
    ],
  },
  (principal, ctx) => {
    const lingering: Record<string, string | null>[] = [];
    for (const policy of principal.inlinePolicies) {
      if (!policy.name.startsWith(GRANT_POLICY_PREFIX)) continue;
      const window = grantWindowOf(rawDocument(policy.document));
      const grantId = grantIdOfPolicyName(policy.name) ?? null;
      if (!window) {
        lingering.push({ policyName: policy.name, grantId, endsAt: null, why: 'no-time-bounds' });
      } else if (Date.parse(window.endsAt) <= ctx.now.getTime()) {
        lingering.push({ policyName: policy.name, grantId, endsAt: window.endsAt, why: 'expired' });
      }
    }
    if (lingering.length === 0) return pass;
    const names = lingering.map(
      (p) => `${p.policyName} (${p.why === 'expired' ? `ended ${p.endsAt}` : 'no valid time bounds'})`,
    );
    return {
      status: 'fail',
      reason: `${describePrincipalArn(principal.arn)} still holds just-in-time grant ${lingering.length === 1 ? 'policy' : 'policies'} ${names.join(', ')}.`,
      evidence: { lingeringPolicies: lingering },
    };
  },
);

/**
 * The scan holds policies parsed; the window is read back by the same function the reconciler
 * uses, from the statements' conditions exactly as written (operator, key and values), which is
 * all it reads.
 */
function rawDocument(document: PolicyDocument): Record<string, unknown> {
  return {
    Version: document.version ?? '2012-10-17',
    Statement: document.statements.map((statement) => {
      const condition: Record<string, Record<string, string[]>> = {};
      for (const c of statement.conditions) {
        condition[c.raw] = { ...condition[c.raw], [c.key]: c.values };
      }
      return {
        Effect: statement.effect,
        ...(statement.actions ? { Action: statement.actions } : { NotAction: statement.notActions ?? [] }),
        ...(statement.notResources
          ? { NotResource: statement.notResources }
          : { Resource: statement.resources ?? [] }),
        ...(statement.conditions.length > 0 ? { Condition: condition } : {}),
      };
    }),
  };
}
