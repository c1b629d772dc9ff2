import { describe, expect, it } from 'vitest';
import { secretNotRotated } from '../../../functions/core/rules/secret-not-rotated';
import { aContext, aSecret, daysAgo, daysFromNow } from '../../support/builders';

const ctx = aContext();
const noRotation = { rotationEnabled: false, rotationLambdaArn: undefined, nextRotationAt: undefined };

describe('secret-not-rotated', () => {
  it.each([
    ['rotated 89 days ago', { lastRotatedAt: daysAgo(89), nextRotationAt: daysFromNow(1) }, 'pass'],
    ['rotated exactly 90 days ago', { lastRotatedAt: daysAgo(90), nextRotationAt: daysFromNow(1) }, 'fail'],
    ['rotated 91 days ago', { lastRotatedAt: daysAgo(91), nextRotationAt: daysFromNow(1) }, 'fail'],
    ['never rotated, created 89 days ago', { lastRotatedAt: undefined, createdAt: daysAgo(89) }, 'pass'],
    [
      'never rotated, created exactly 90 days ago',
      { lastRotatedAt: undefined, createdAt: daysAgo(90) },
      'fail',
    ],
    ['never rotated, created 91 days ago', { lastRotatedAt: undefined, createdAt: daysAgo(91) }, 'fail'],
    ['rotated recently, next rotation passed a minute ago', { nextRotationAt: daysAgo(1 / 1440) }, 'fail'],
    ['rotated recently, next rotation due now', { nextRotationAt: daysAgo(0) }, 'pass'],
    ['rotated recently, next rotation tomorrow', { nextRotationAt: daysFromNow(1) }, 'pass'],
    [
      'no rotation configured, created 200 days ago',
      { ...noRotation, lastRotatedAt: undefined, createdAt: daysAgo(200) },
      'fail',
    ],
    [
      'no rotation configured, created 30 days ago',
      { ...noRotation, lastRotatedAt: undefined, createdAt: daysAgo(30) },
      'pass',
    ],
    [
      'rotation disabled with a stale next date',
      { rotationEnabled: false, lastRotatedAt: daysAgo(10), nextRotationAt: daysAgo(5) },
      'pass',
    ],
    ['no dates at all', { lastRotatedAt: undefined, createdAt: undefined }, 'not-applicable'],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(secretNotRotated.evaluate(aSecret(overrides), ctx).status).toBe(status);
  });

  it('reports the age of a secret rotated too long ago', () => {
    const result = secretNotRotated.evaluate(
      aSecret({ name: 'prod/db', lastRotatedAt: daysAgo(120), nextRotationAt: daysFromNow(3) }),
      ctx,
    );
    expect(result).toEqual({
      status: 'fail',
      reason: 'Secret prod/db in eu-west-1 was last rotated 120 days ago.',
      evidence: {
        createdAt: '2025-06-01T12:00:00.000Z',
        lastRotatedAt: '2026-02-01T12:00:00.000Z',
        nextRotationAt: '2026-06-04T12:00:00.000Z',
        rotationEnabled: true,
        ageDays: 120,
        thresholdDays: 90,
        rotationOverdue: false,
      },
    });
  });

  it('reports a missed scheduled rotation', () => {
    const result = secretNotRotated.evaluate(
      aSecret({ lastRotatedAt: daysAgo(40), nextRotationAt: daysAgo(10) }),
      ctx,
    );
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'Secret prod/db in eu-west-1 missed its scheduled rotation on 2026-05-22.',
      evidence: { rotationOverdue: true, ageDays: 40 },
    });
  });

  it('reports both when the secret is old and its rotation is overdue', () => {
    const result = secretNotRotated.evaluate(
      aSecret({ lastRotatedAt: daysAgo(100), nextRotationAt: daysAgo(70) }),
      ctx,
    );
    expect(result).toMatchObject({
      status: 'fail',
      reason:
        'Secret prod/db in eu-west-1 was last rotated 100 days ago and missed its scheduled rotation on 2026-03-23.',
    });
  });

  it('says when a secret has never been rotated', () => {
    const result = secretNotRotated.evaluate(
      aSecret({ ...noRotation, lastRotatedAt: undefined, createdAt: daysAgo(365) }),
      ctx,
    );
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'Secret prod/db in eu-west-1 has never been rotated and was created 365 days ago.',
      evidence: { lastRotatedAt: null, rotationEnabled: false, ageDays: 365 },
    });
  });

  it('reads the configured window', () => {
    const secret = aSecret({ lastRotatedAt: daysAgo(30) });
    expect(
      secretNotRotated.evaluate(secret, aContext({ thresholds: { secretRotationDays: 30 } })).status,
    ).toBe('fail');
    expect(
      secretNotRotated.evaluate(secret, aContext({ thresholds: { secretRotationDays: 31 } })).status,
    ).toBe('pass');
  });
});
