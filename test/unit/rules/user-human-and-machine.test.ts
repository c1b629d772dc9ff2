import { describe, expect, it } from 'vitest';
import { userHumanAndMachine } from '../../../functions/core/rules/user-human-and-machine';
import { aContext, anAccessKey, aUser, daysAgo, someCredentials, theRootUser } from '../../support/builders';

const ctx = aContext();
const activeKey = anAccessKey({ keyId: 'AKIAACTIVE0000000001', lastUsedAt: daysAgo(2) });
const inactiveKey = anAccessKey({ slot: 2, keyId: 'AKIAINACTIVE00000002', active: false });

describe('user-human-and-machine', () => {
  it.each([
    ['password only', true, [], 'pass'],
    ['active key only', false, [activeKey], 'pass'],
    ['password and an inactive key', true, [inactiveKey], 'pass'],
    ['password and an active key', true, [activeKey, inactiveKey], 'fail'],
  ] as const)('%s -> %s', (_label, passwordEnabled, accessKeys, status) => {
    const user = aUser({ credentials: someCredentials({ passwordEnabled, accessKeys: [...accessKeys] }) });
    expect(userHumanAndMachine.evaluate(user, ctx).status).toBe(status);
  });

  it('names the user and the active key', () => {
    const user = aUser({
      name: 'carol',
      credentials: someCredentials({
        passwordEnabled: true,
        passwordLastUsedAt: daysAgo(1),
        accessKeys: [activeKey, inactiveKey],
      }),
    });
    expect(userHumanAndMachine.evaluate(user, ctx)).toEqual({
      status: 'fail',
      reason: 'User carol has a console password and active access key AKIAACTIVE0000000001.',
      evidence: {
        passwordEnabled: true,
        passwordLastUsedAt: '2026-05-31T12:00:00.000Z',
        activeKeys: [{ keyId: 'AKIAACTIVE0000000001', slot: 1, lastUsedAt: '2026-05-30T12:00:00.000Z' }],
      },
    });
  });

  it('does not evaluate the root user or users missing from the report', () => {
    const root = theRootUser({
      credentials: someCredentials({ passwordEnabled: true, accessKeys: [activeKey] }),
    });
    expect(userHumanAndMachine.evaluate(root, ctx).status).toBe('not-applicable');
    expect(userHumanAndMachine.evaluate(aUser({ credentials: undefined }), ctx).status).toBe(
      'not-applicable',
    );
  });
});
