import { describe, expect, it } from 'vitest';
import { secretUnused } from '../../../functions/core/rules/secret-unused';
import { aContext, aSecret, daysAgo, utcMidnight } from '../../support/builders';

const ctx = aContext();
/** Secrets Manager reports the last access as a date: midnight UTC of the day. */
const accessedDaysAgo = (days: number) => utcMidnight(daysAgo(days));

describe('secret-unused', () => {
  it.each([
    ['accessed 89 calendar days ago', { lastAccessedAt: accessedDaysAgo(89) }, 'pass'],
    ['accessed exactly 90 calendar days ago', { lastAccessedAt: accessedDaysAgo(90) }, 'fail'],
    ['accessed 91 calendar days ago', { lastAccessedAt: accessedDaysAgo(91) }, 'fail'],
    ['accessed today', { lastAccessedAt: accessedDaysAgo(0) }, 'pass'],
    [
      'never accessed, created 89 days ago (grace)',
      { lastAccessedAt: undefined, createdAt: daysAgo(89) },
      'not-applicable',
    ],
    [
      'never accessed, created exactly 90 days ago',
      { lastAccessedAt: undefined, createdAt: daysAgo(90) },
      'fail',
    ],
    ['never accessed, created 91 days ago', { lastAccessedAt: undefined, createdAt: daysAgo(91) }, 'fail'],
    [
      'created 30 days ago with a last access long before (recreated name)',
      { lastAccessedAt: accessedDaysAgo(200), createdAt: daysAgo(30) },
      'not-applicable',
    ],
    [
      'never accessed and no creation date',
      { lastAccessedAt: undefined, createdAt: undefined },
      'not-applicable',
    ],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(secretUnused.evaluate(aSecret(overrides), ctx).status).toBe(status);
  });

  it('counts calendar days, whatever the time of day of the scan', () => {
    const secret = aSecret({ lastAccessedAt: new Date('2026-03-03T00:00:00Z') });
    const early = aContext({ now: new Date('2026-06-01T00:00:01Z') });
    const late = aContext({ now: new Date('2026-06-01T23:59:59Z') });
    const dayBefore = aContext({ now: new Date('2026-05-31T23:59:59Z') });
    expect(secretUnused.evaluate(secret, early)).toMatchObject({
      status: 'fail',
      evidence: { idleDays: 90 },
    });
    expect(secretUnused.evaluate(secret, late)).toMatchObject({ status: 'fail', evidence: { idleDays: 90 } });
    expect(secretUnused.evaluate(secret, dayBefore).status).toBe('pass');
  });

  it('names the secret and gives the dates', () => {
    expect(
      secretUnused.evaluate(aSecret({ name: 'old/token', lastAccessedAt: accessedDaysAgo(120) }), ctx),
    ).toEqual({
      status: 'fail',
      reason: 'Secret old/token in eu-west-1 was last accessed 120 days ago.',
      evidence: {
        createdAt: '2025-06-01T12:00:00.000Z',
        lastAccessedAt: '2026-02-01T00:00:00.000Z',
        idleDays: 120,
        thresholdDays: 90,
      },
    });
    expect(secretUnused.evaluate(aSecret({ lastAccessedAt: undefined }), ctx)).toMatchObject({
      status: 'fail',
      reason: 'Secret prod/db in eu-west-1 has never been accessed and was created 365 days ago.',
      evidence: { lastAccessedAt: null, ageDays: 365 },
    });
  });
});
