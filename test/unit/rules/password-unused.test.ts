import { describe, expect, it } from 'vitest';
import type { UserCredentials } from '../../../functions/core/model';
import { passwordUnused } from '../../../functions/core/rules/password-unused';
import { aContext, aUser, daysAgo, someCredentials, theRootUser } from '../../support/builders';

const ctx = aContext();

function withPassword(overrides: Partial<UserCredentials>) {
  return aUser({
    name: 'bob',
    createdAt: daysAgo(500),
    credentials: someCredentials({
      passwordEnabled: true,
      passwordLastChangedAt: daysAgo(400),
      ...overrides,
    }),
  });
}

describe('password-unused', () => {
  it.each([
    ['signed in 44 days ago', { passwordLastUsedAt: daysAgo(44) }, 'pass'],
    ['signed in exactly 45 days ago', { passwordLastUsedAt: daysAgo(45) }, 'fail'],
    ['signed in 46 days ago', { passwordLastUsedAt: daysAgo(46) }, 'fail'],
    [
      'never signed in, password set 44 days ago (grace)',
      { passwordLastChangedAt: daysAgo(44) },
      'not-applicable',
    ],
    ['never signed in, password set exactly 45 days ago', { passwordLastChangedAt: daysAgo(45) }, 'fail'],
    ['never signed in, password set 46 days ago', { passwordLastChangedAt: daysAgo(46) }, 'fail'],
    [
      'password reset 10 days ago after a long absence',
      { passwordLastChangedAt: daysAgo(10), passwordLastUsedAt: daysAgo(300) },
      'not-applicable',
    ],
    ['no console password', { passwordEnabled: false, passwordLastUsedAt: daysAgo(300) }, 'not-applicable'],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(passwordUnused.evaluate(withPassword(overrides), ctx).status).toBe(status);
  });

  it('uses the user creation date when the password change date is unknown', () => {
    const user = aUser({
      createdAt: daysAgo(30),
      credentials: someCredentials({ passwordEnabled: true, passwordLastChangedAt: undefined }),
    });
    expect(passwordUnused.evaluate(user, ctx).status).toBe('not-applicable');
    expect(passwordUnused.evaluate({ ...user, createdAt: daysAgo(60) }, ctx)).toMatchObject({
      status: 'fail',
      evidence: { ageDays: 60 },
    });
  });

  it('names the user and gives the dates', () => {
    expect(passwordUnused.evaluate(withPassword({ passwordLastUsedAt: daysAgo(100) }), ctx)).toEqual({
      status: 'fail',
      reason: 'User bob last signed in to the console 100 days ago.',
      evidence: {
        createdAt: '2025-01-17T12:00:00.000Z',
        passwordLastChangedAt: '2025-04-27T12:00:00.000Z',
        passwordLastUsedAt: '2026-02-21T12:00:00.000Z',
        idleDays: 100,
        thresholdDays: 45,
      },
    });
    expect(passwordUnused.evaluate(withPassword({}), ctx)).toMatchObject({
      status: 'fail',
      reason: 'User bob has a console password that has never been used, set 400 days ago.',
      evidence: { passwordLastUsedAt: null, ageDays: 400 },
    });
  });

  it('does not evaluate the root user or users missing from the credential report', () => {
    const root = theRootUser({ credentials: someCredentials({ passwordEnabled: true }) });
    expect(passwordUnused.evaluate(root, ctx).status).toBe('not-applicable');
    expect(passwordUnused.evaluate(aUser({ credentials: undefined }), ctx).status).toBe('not-applicable');
  });
});
