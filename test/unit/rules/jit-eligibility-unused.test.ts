import { describe, expect, it } from 'vitest';
import type { JitEligibilitySnapshot } from '../../../functions/core/model';
import { jitEligibilityUnused } from '../../../functions/core/rules/jit-eligibility-unused';
import { ACCOUNT_ID, aContext, daysAgo } from '../../support/builders';

const ctx = aContext();

function anEligibility(overrides: Partial<JitEligibilitySnapshot> = {}): JitEligibilitySnapshot {
  return {
    kind: 'jit-eligibility',
    arn: `arn:aws:iam::${ACCOUNT_ID}:role/deployer`,
    accountId: ACCOUNT_ID,
    profile: 'prod-admin',
    createdAt: daysAgo(200),
    grantedBy: { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM' },
    sourceRequestId: 'req-1',
    ...overrides,
  };
}

describe('jit-eligibility-unused', () => {
  it.each([
    ['created 89 days ago, never used', { createdAt: daysAgo(89) }, 'pass'],
    ['created exactly 90 days ago, never used', { createdAt: daysAgo(90) }, 'fail'],
    ['created 200 days ago, used 89 days ago', { lastUsedAt: daysAgo(89) }, 'pass'],
    ['created 200 days ago, used exactly 90 days ago', { lastUsedAt: daysAgo(90) }, 'fail'],
    ['created 200 days ago, used 150 days ago', { lastUsedAt: daysAgo(150) }, 'fail'],
    // A record whose last use predates its creation (re-created after a rollback) counts from its creation.
    [
      're-created 10 days ago, last used 150 days ago',
      { createdAt: daysAgo(10), lastUsedAt: daysAgo(150) },
      'pass',
    ],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(jitEligibilityUnused.evaluate(anEligibility(overrides), ctx).status).toBe(status);
  });

  it('reads the window from the thresholds', () => {
    const eligibility = anEligibility({ createdAt: daysAgo(30) });
    const at = (days: number) => aContext({ thresholds: { jitEligibilityUnusedDays: days } });
    expect(jitEligibilityUnused.evaluate(eligibility, at(30)).status).toBe('fail');
    expect(jitEligibilityUnused.evaluate(eligibility, at(31)).status).toBe('pass');
  });

  it('names the principal and the profile, and gives the dates and who made it eligible', () => {
    expect(jitEligibilityUnused.evaluate(anEligibility({ lastUsedAt: daysAgo(120) }), ctx)).toEqual({
      status: 'fail',
      reason: 'Role deployer is eligible for just-in-time profile prod-admin and last used it 120 days ago.',
      evidence: {
        profile: 'prod-admin',
        createdAt: daysAgo(200).toISOString(),
        lastUsedAt: daysAgo(120).toISOString(),
        idleDays: 120,
        thresholdDays: 90,
        grantedBy: 'slack:T0TEAM/U0APPROVER',
        sourceRequestId: 'req-1',
      },
    });
    const never = jitEligibilityUnused.evaluate(
      anEligibility({ arn: `arn:aws:iam::${ACCOUNT_ID}:user/alice`, sourceRequestId: undefined }),
      ctx,
    );
    expect(never).toMatchObject({
      status: 'fail',
      reason:
        'User alice has been eligible for just-in-time profile prod-admin for 200 days and never used it.',
      evidence: { lastUsedAt: null, sourceRequestId: null },
    });
  });
});
