import { daysBetween, defineRule, pass } from '../rule';
import { dateEvidence } from './support/dates';
import { actorText, describePrincipalArn, JIT_DESIGN_REFERENCES } from './support/jit';
import { OWASP } from './support/references';

export const jitBreakGlassUsed = defineRule(
  {
    id: 'jit-break-glass-used',
    title: 'Break-glass elevations are reviewed after use',
    resourceKinds: ['break-glass-grant'],
    severity: 'medium',
    description:
      'Every break-glass elevation requested within the configured window (default 90 days), one finding per elevation (its grant id is the sub-resource). Break-glass is self-approved, so a person reviews it afterwards: the finding stays open until an exemption for `<principal ARN>#<grant id>` records the review with a reason, or the elevation ages out of the window.',
    risk: 'A self-approved elevation skips the second pair of eyes every other grant needs; unreviewed, an abused or habitual break-glass looks the same as a real emergency.',
    remediation: {
      summary:
        'Review why break-glass was needed and what the principal did during the window (CloudTrail), then record the review as an exemption of this finding (`resource: <principal ARN>#<grant id>`) with the reason and who reviewed it.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI5' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [OWASP.NHI5, JIT_DESIGN_REFERENCES.breakGlass, JIT_DESIGN_REFERENCES.temporaryElevatedAccess],
    threshold: 'breakGlassReviewDays',
  },
  (grant, ctx) => {
    const window = ctx.thresholds.breakGlassReviewDays;
    const ageDays = daysBetween(grant.requestedAt, ctx.now);
    // Aged out of the review window: the finding closes.
    if (ageDays >= window) return pass;
    const requestedBy = actorText(grant.requestedBy);
    return {
      status: 'fail',
      reason: `${describePrincipalArn(grant.arn)} was elevated to profile ${grant.profile} by break-glass (grant ${grant.grantId}) on ${grant.requestedAt.toISOString()}, requested by ${requestedBy}; review it.`,
      evidence: {
        grantId: grant.grantId,
        profile: grant.profile,
        requestedBy,
        ...dateEvidence({ requestedAt: grant.requestedAt, startsAt: grant.startsAt, endsAt: grant.endsAt }),
        state: grant.state,
        ageDays,
        reviewWindowDays: window,
      },
    };
  },
);
