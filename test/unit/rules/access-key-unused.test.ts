import { describe, expect, it } from 'vitest';
import { accessKeyUnused } from '../../../functions/core/rules/access-key-unused';
import { aContext, anAccessKey, daysAgo } from '../../support/builders';

const ctx = aContext();

describe('access-key-unused', () => {
  it.each([
    ['used 44 days ago', { createdAt: daysAgo(200), lastUsedAt: daysAgo(44) }, 'pass'],
    ['used exactly 45 days ago', { createdAt: daysAgo(200), lastUsedAt: daysAgo(45) }, 'fail'],
    ['used 46 days ago', { createdAt: daysAgo(200), lastUsedAt: daysAgo(46) }, 'fail'],
    [
      'used 45 days minus a minute ago',
      { createdAt: daysAgo(200), lastUsedAt: daysAgo(45 - 1 / 1440) },
      'pass',
    ],
    [
      'never used, created 44 days ago (grace)',
      { createdAt: daysAgo(44), lastUsedAt: undefined },
      'not-applicable',
    ],
    ['never used, created exactly 45 days ago', { createdAt: daysAgo(45), lastUsedAt: undefined }, 'fail'],
    ['never used, created 46 days ago', { createdAt: daysAgo(46), lastUsedAt: undefined }, 'fail'],
    [
      'inactive and stale',
      { active: false, createdAt: daysAgo(400), lastUsedAt: daysAgo(300) },
      'not-applicable',
    ],
    [
      'a stale root key',
      { isRoot: true, createdAt: daysAgo(400), lastUsedAt: daysAgo(300) },
      'not-applicable',
    ],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(accessKeyUnused.evaluate(anAccessKey(overrides), ctx).status).toBe(status);
  });

  it('names the key and user and gives the dates that made it fail', () => {
    const result = accessKeyUnused.evaluate(
      anAccessKey({ userName: 'ci-deployer', createdAt: daysAgo(200), lastUsedAt: daysAgo(60) }),
      ctx,
    );
    expect(result).toEqual({
      status: 'fail',
      reason: 'Active access key AKIAEXAMPLE000000001 of user ci-deployer was last used 60 days ago.',
      evidence: {
        keyId: 'AKIAEXAMPLE000000001',
        slot: 1,
        createdAt: '2025-11-13T12:00:00.000Z',
        lastUsedAt: '2026-04-02T12:00:00.000Z',
        lastUsedService: 's3',
        lastUsedRegion: 'eu-west-1',
        idleDays: 60,
        thresholdDays: 45,
      },
    });
  });

  it('names the slot when the key id is unknown, and reports the age of a never-used key', () => {
    const result = accessKeyUnused.evaluate(
      anAccessKey({ keyId: undefined, slot: 2, createdAt: daysAgo(90), lastUsedAt: undefined }),
      ctx,
    );
    expect(result.status).toBe('fail');
    if (result.status !== 'fail') return;
    expect(result.reason).toBe(
      'Active access key 2 of user alice has never been used and was created 90 days ago.',
    );
    expect(result.evidence).toMatchObject({
      keyId: null,
      slot: 2,
      lastUsedAt: null,
      ageDays: 90,
      thresholdDays: 45,
    });
  });

  it("falls back to the user's creation date when the key's is unknown", () => {
    const young = anAccessKey({ createdAt: undefined, lastUsedAt: undefined, userCreatedAt: daysAgo(10) });
    const old = anAccessKey({ createdAt: undefined, lastUsedAt: undefined, userCreatedAt: daysAgo(50) });
    expect(accessKeyUnused.evaluate(young, ctx).status).toBe('not-applicable');
    expect(accessKeyUnused.evaluate(old, ctx)).toMatchObject({ status: 'fail', evidence: { ageDays: 50 } });
  });

  it('measures a new key of an old user by the key, not the user', () => {
    const key = anAccessKey({ createdAt: daysAgo(3), lastUsedAt: undefined, userCreatedAt: daysAgo(900) });
    expect(accessKeyUnused.evaluate(key, ctx).status).toBe('not-applicable');
  });

  it('reads the configured window', () => {
    const key = anAccessKey({ createdAt: daysAgo(200), lastUsedAt: daysAgo(20) });
    expect(accessKeyUnused.evaluate(key, aContext({ thresholds: { accessKeyUnusedDays: 20 } })).status).toBe(
      'fail',
    );
    expect(accessKeyUnused.evaluate(key, aContext({ thresholds: { accessKeyUnusedDays: 21 } })).status).toBe(
      'pass',
    );
  });

  it('is not applicable when neither key nor user has a creation date and the key was never used', () => {
    const key = anAccessKey({ createdAt: undefined, userCreatedAt: undefined, lastUsedAt: undefined });
    expect(accessKeyUnused.evaluate(key, ctx).status).toBe('not-applicable');
  });
});
