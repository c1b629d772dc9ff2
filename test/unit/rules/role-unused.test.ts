import { describe, expect, it } from 'vitest';
import {
  QUARANTINE_POLICY_DOCUMENT,
  QUARANTINE_POLICY_NAME,
} from '../../../functions/core/remediation/catalog';
import { roleUnused } from '../../../functions/core/rules/role-unused';
import { aContext, aPolicy, aRole, daysAgo } from '../../support/builders';

const ctx = aContext();

describe('role-unused', () => {
  it.each([
    ['used 89 days ago', { createdAt: daysAgo(400), lastUsedAt: daysAgo(89) }, 'pass'],
    ['used exactly 90 days ago', { createdAt: daysAgo(400), lastUsedAt: daysAgo(90) }, 'fail'],
    ['used 91 days ago', { createdAt: daysAgo(400), lastUsedAt: daysAgo(91) }, 'fail'],
    [
      'no recorded use, created 89 days ago (grace)',
      { createdAt: daysAgo(89), lastUsedAt: undefined },
      'not-applicable',
    ],
    [
      'no recorded use, created exactly 90 days ago',
      { createdAt: daysAgo(90), lastUsedAt: undefined },
      'fail',
    ],
    ['no recorded use, created 91 days ago', { createdAt: daysAgo(91), lastUsedAt: undefined }, 'fail'],
    [
      'a stale service-linked role',
      {
        path: '/aws-service-role/elasticbeanstalk.amazonaws.com/',
        createdAt: daysAgo(900),
        lastUsedAt: undefined,
      },
      'not-applicable',
    ],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(roleUnused.evaluate(aRole(overrides), ctx).status).toBe(status);
  });

  it('passes a stale role quarantined with the deny-all policy, and only that policy', () => {
    const stale = { createdAt: daysAgo(400), lastUsedAt: daysAgo(200) };
    const quarantine = {
      name: QUARANTINE_POLICY_NAME,
      document: aPolicy([...QUARANTINE_POLICY_DOCUMENT.Statement]),
    };
    expect(roleUnused.evaluate(aRole({ ...stale, inlinePolicies: [quarantine] }), ctx).status).toBe('pass');
    const sameNameButNarrow = {
      name: QUARANTINE_POLICY_NAME,
      document: aPolicy([{ Effect: 'Deny', Action: 's3:*', Resource: '*' }]),
    };
    expect(roleUnused.evaluate(aRole({ ...stale, inlinePolicies: [sameNameButNarrow] }), ctx).status).toBe(
      'fail',
    );
  });

  it('names the role and gives the dates', () => {
    expect(
      roleUnused.evaluate(aRole({ name: 'batch', createdAt: daysAgo(400), lastUsedAt: daysAgo(120) }), ctx),
    ).toEqual({
      status: 'fail',
      reason: 'Role batch was last used 120 days ago.',
      evidence: {
        createdAt: '2025-04-27T12:00:00.000Z',
        lastUsedAt: '2026-02-01T12:00:00.000Z',
        lastUsedRegion: 'eu-west-1',
        idleDays: 120,
        thresholdDays: 90,
      },
    });
    expect(
      roleUnused.evaluate(aRole({ name: 'batch', createdAt: daysAgo(500), lastUsedAt: undefined }), ctx),
    ).toEqual({
      status: 'fail',
      reason: 'Role batch has no recorded use and was created 500 days ago.',
      evidence: { createdAt: '2025-01-17T12:00:00.000Z', lastUsedAt: null, ageDays: 500, thresholdDays: 90 },
    });
  });

  it('reads the configured window', () => {
    const role = aRole({ createdAt: daysAgo(400), lastUsedAt: daysAgo(30) });
    expect(roleUnused.evaluate(role, aContext({ thresholds: { roleUnusedDays: 30 } })).status).toBe('fail');
    expect(roleUnused.evaluate(role, aContext({ thresholds: { roleUnusedDays: 31 } })).status).toBe('pass');
  });
});
