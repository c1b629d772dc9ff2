import { describe, expect, it } from 'vitest';
import { userMultipleActiveKeys } from '../../../functions/core/rules/user-multiple-active-keys';
import { aContext, anAccessKey, aUser, daysAgo, someCredentials, theRootUser } from '../../support/builders';

const ctx = aContext();
const key1 = anAccessKey({
  slot: 1,
  keyId: 'AKIAKEYONE0000000001',
  createdAt: daysAgo(100),
  lastUsedAt: daysAgo(2),
});
const key2 = anAccessKey({
  slot: 2,
  keyId: 'AKIAKEYTWO0000000002',
  createdAt: daysAgo(5),
  lastUsedAt: undefined,
});

describe('user-multiple-active-keys', () => {
  it.each([
    ['no keys', [], 'pass'],
    ['one active key', [key1], 'pass'],
    ['one active and one inactive key', [key1, { ...key2, active: false }], 'pass'],
    [
      'two inactive keys',
      [
        { ...key1, active: false },
        { ...key2, active: false },
      ],
      'pass',
    ],
    ['two active keys', [key1, key2], 'fail'],
  ] as const)('%s -> %s', (_label, accessKeys, status) => {
    const user = aUser({ credentials: someCredentials({ accessKeys: [...accessKeys] }) });
    expect(userMultipleActiveKeys.evaluate(user, ctx).status).toBe(status);
  });

  it('lists both keys with their dates', () => {
    const user = aUser({ name: 'legacy-app', credentials: someCredentials({ accessKeys: [key1, key2] }) });
    expect(userMultipleActiveKeys.evaluate(user, ctx)).toEqual({
      status: 'fail',
      reason:
        'User legacy-app has 2 active access keys (access key AKIAKEYONE0000000001, access key AKIAKEYTWO0000000002).',
      evidence: {
        activeKeyCount: 2,
        activeKeys: [
          {
            keyId: 'AKIAKEYONE0000000001',
            slot: 1,
            createdAt: '2026-02-21T12:00:00.000Z',
            lastUsedAt: '2026-05-30T12:00:00.000Z',
          },
          { keyId: 'AKIAKEYTWO0000000002', slot: 2, createdAt: '2026-05-27T12:00:00.000Z', lastUsedAt: null },
        ],
      },
    });
  });

  it('leaves the root user to root-access-key and users missing from the report alone', () => {
    const root = theRootUser({ credentials: someCredentials({ accessKeys: [key1, key2] }) });
    expect(userMultipleActiveKeys.evaluate(root, ctx).status).toBe('not-applicable');
    expect(userMultipleActiveKeys.evaluate(aUser({ credentials: undefined }), ctx).status).toBe(
      'not-applicable',
    );
  });
});
