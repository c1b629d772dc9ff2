import { describe, expect, it } from 'vitest';
import { accessKeyNotRotated } from '../../../functions/core/rules/access-key-not-rotated';
import { aContext, anAccessKey, daysAgo } from '../../support/builders';

const ctx = aContext();

describe('access-key-not-rotated', () => {
  it.each([
    ['created 89 days ago', { createdAt: daysAgo(89) }, 'pass'],
    ['created exactly 90 days ago', { createdAt: daysAgo(90) }, 'fail'],
    ['created 91 days ago', { createdAt: daysAgo(91) }, 'fail'],
    ['created 90 days minus a second ago', { createdAt: daysAgo(90 - 1 / 86_400) }, 'pass'],
    ['created 400 days ago and used today', { createdAt: daysAgo(400), lastUsedAt: daysAgo(0) }, 'fail'],
    ['old but inactive', { createdAt: daysAgo(400), active: false }, 'not-applicable'],
    ['an old root key', { createdAt: daysAgo(400), isRoot: true }, 'not-applicable'],
    ['without a creation date', { createdAt: undefined }, 'not-applicable'],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(accessKeyNotRotated.evaluate(anAccessKey(overrides), ctx).status).toBe(status);
  });

  it('names the key and gives its age', () => {
    const result = accessKeyNotRotated.evaluate(
      anAccessKey({ userName: 'etl', createdAt: daysAgo(120) }),
      ctx,
    );
    expect(result).toEqual({
      status: 'fail',
      reason:
        'Active access key AKIAEXAMPLE000000001 of user etl was created 120 days ago and has not been rotated since.',
      evidence: {
        keyId: 'AKIAEXAMPLE000000001',
        slot: 1,
        createdAt: '2026-02-01T12:00:00.000Z',
        lastUsedAt: '2026-05-31T12:00:00.000Z',
        ageDays: 120,
        thresholdDays: 90,
      },
    });
  });

  it('reads the configured window', () => {
    const key = anAccessKey({ createdAt: daysAgo(30) });
    expect(
      accessKeyNotRotated.evaluate(key, aContext({ thresholds: { accessKeyRotationDays: 30 } })).status,
    ).toBe('fail');
    expect(
      accessKeyNotRotated.evaluate(key, aContext({ thresholds: { accessKeyRotationDays: 31 } })).status,
    ).toBe('pass');
  });
});
