import { describe, expect, it } from 'vitest';
import type { BreakGlassGrantSnapshot } from '../../../functions/core/model';
import { jitBreakGlassUsed } from '../../../functions/core/rules/jit-break-glass-used';
import { ACCOUNT_ID, aContext, daysAgo } from '../../support/builders';

const ctx = aContext();

function aBreakGlassGrant(overrides: Partial<BreakGlassGrantSnapshot> = {}): BreakGlassGrantSnapshot {
  const requestedAt = overrides.requestedAt ?? daysAgo(3);
  return {
    kind: 'break-glass-grant',
    arn: `arn:aws:iam::${ACCOUNT_ID}:role/ops`,
    accountId: ACCOUNT_ID,
    grantId: 'g-0001',
    profile: 'prod-admin',
    requestedBy: { kind: 'slack', id: 'U0ONCALL', teamId: 'T0TEAM' },
    requestedAt,
    startsAt: requestedAt,
    endsAt: new Date(requestedAt.getTime() + 3_600_000),
    state: 'revoked',
    ...overrides,
  };
}

describe('jit-break-glass-used', () => {
  it.each([
    ['requested today', daysAgo(0), 'fail'],
    ['requested 89 days ago', daysAgo(89), 'fail'],
    ['requested exactly 90 days ago (aged out)', daysAgo(90), 'pass'],
    ['requested 91 days ago', daysAgo(91), 'pass'],
  ] as const)('%s -> %s', (_label, requestedAt, status) => {
    expect(jitBreakGlassUsed.evaluate(aBreakGlassGrant({ requestedAt }), ctx).status).toBe(status);
  });

  it('reads the window from the thresholds', () => {
    const grant = aBreakGlassGrant({ requestedAt: daysAgo(10) });
    expect(
      jitBreakGlassUsed.evaluate(grant, aContext({ thresholds: { breakGlassReviewDays: 10 } })).status,
    ).toBe('pass');
    expect(
      jitBreakGlassUsed.evaluate(grant, aContext({ thresholds: { breakGlassReviewDays: 11 } })).status,
    ).toBe('fail');
  });

  it('names the principal, profile, grant and requester, whatever state the grant is in now', () => {
    for (const state of ['granted', 'revoked', 'failed']) {
      const result = jitBreakGlassUsed.evaluate(aBreakGlassGrant({ state }), ctx);
      expect(result).toEqual({
        status: 'fail',
        reason: `Role ops was elevated to profile prod-admin by break-glass (grant g-0001) on ${daysAgo(3).toISOString()}, requested by slack:T0TEAM/U0ONCALL; review it.`,
        evidence: {
          grantId: 'g-0001',
          profile: 'prod-admin',
          requestedBy: 'slack:T0TEAM/U0ONCALL',
          requestedAt: daysAgo(3).toISOString(),
          startsAt: daysAgo(3).toISOString(),
          endsAt: new Date(daysAgo(3).getTime() + 3_600_000).toISOString(),
          state,
          ageDays: 3,
          reviewWindowDays: 90,
        },
      });
    }
  });
});
