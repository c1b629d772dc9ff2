import { daysBetween, defineRule, pass } from '../rule';
import { dateEvidence } from './support/dates';
import { actorText, describePrincipalArn, JIT_DESIGN_REFERENCES } from './support/jit';
import { OWASP } from './support/references';

export const jitEligibilityUnused = defineRule(
  {
    id: 'jit-eligibility-unused',
    title: 'Just-in-time eligibilities are used within the unused-eligibility window',
    resourceKinds: ['jit-eligibility'],
    severity: 'medium',
    description:
      'A principal made eligible for a just-in-time profile at run time (a converted standing-admin finding) that no elevation has used, and that was not created, within the configured window (default 90 days). An eligibility exactly at the window fails. Eligibilities are read from the findings table by the deployed scan; an offline scan does not read them, and a failed read is a coverage gap.',
    risk: 'An eligibility nobody uses is a path to privilege nobody needs: whoever can request in the principal’s name keeps a route to the profile’s permissions, and it hides which identities really need elevation.',
    remediation: {
      summary:
        'Confirm the principal no longer needs the profile, then remove the eligibility (roll back the conversion, or delete the item); a principal that still needs it rarely keeps it and the finding can be exempted for that principal and profile.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [
      OWASP.NHI1,
      JIT_DESIGN_REFERENCES.temporaryElevatedAccess,
      JIT_DESIGN_REFERENCES.leastPrivilege,
    ],
    threshold: 'jitEligibilityUnusedDays',
    staleness: true,
  },
  (eligibility, ctx) => {
    const window = ctx.thresholds.jitEligibilityUnusedDays;
    const latest =
      eligibility.lastUsedAt && eligibility.lastUsedAt > eligibility.createdAt
        ? eligibility.lastUsedAt
        : eligibility.createdAt;
    const idleDays = daysBetween(latest, ctx.now);
    if (idleDays < window) return pass;
    const who = describePrincipalArn(eligibility.arn);
    return {
      status: 'fail',
      reason: eligibility.lastUsedAt
        ? `${who} is eligible for just-in-time profile ${eligibility.profile} and last used it ${idleDays} days ago.`
        : `${who} has been eligible for just-in-time profile ${eligibility.profile} for ${idleDays} days and never used it.`,
      evidence: {
        profile: eligibility.profile,
        ...dateEvidence({ createdAt: eligibility.createdAt, lastUsedAt: eligibility.lastUsedAt }),
        idleDays,
        thresholdDays: window,
        grantedBy: actorText(eligibility.grantedBy),
        sourceRequestId: eligibility.sourceRequestId ?? null,
      },
    };
  },
);
