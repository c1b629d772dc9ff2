import { describe, expect, it } from 'vitest';
import { rootAccessKey } from '../../../functions/core/rules/root-access-key';
import { aContext, anAccessKey, daysAgo } from '../../support/builders';

const ctx = aContext();

describe('root-access-key', () => {
  it.each([
    ['an active root key', { isRoot: true, active: true }, 'fail'],
    ['an active root key never used', { isRoot: true, active: true, lastUsedAt: undefined }, 'fail'],
    ['an inactive (or empty) root slot', { isRoot: true, active: false }, 'pass'],
    ['an active key of an IAM user', { isRoot: false, active: true }, 'not-applicable'],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(rootAccessKey.evaluate(anAccessKey(overrides), ctx).status).toBe(status);
  });

  it('fails for each active root slot on its own, naming the slot when the key id is unknown', () => {
    const slots = ([1, 2] as const).map((slot) =>
      rootAccessKey.evaluate(
        anAccessKey({
          isRoot: true,
          slot,
          keyId: undefined,
          createdAt: daysAgo(700),
          lastUsedAt: daysAgo(3),
        }),
        ctx,
      ),
    );
    expect(slots).toEqual([
      {
        status: 'fail',
        reason: 'The root user has active access key 1, last used on 2026-05-29.',
        evidence: {
          keyId: null,
          slot: 1,
          createdAt: '2024-07-01T12:00:00.000Z',
          lastUsedAt: '2026-05-29T12:00:00.000Z',
          lastUsedService: 's3',
        },
      },
      {
        status: 'fail',
        reason: 'The root user has active access key 2, last used on 2026-05-29.',
        evidence: {
          keyId: null,
          slot: 2,
          createdAt: '2024-07-01T12:00:00.000Z',
          lastUsedAt: '2026-05-29T12:00:00.000Z',
          lastUsedService: 's3',
        },
      },
    ]);
  });

  it('has a sentence without a last use for a key never used', () => {
    const result = rootAccessKey.evaluate(anAccessKey({ isRoot: true, lastUsedAt: undefined }), ctx);
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'The root user has active access key AKIAEXAMPLE000000001.',
      evidence: { lastUsedAt: null },
    });
  });
});
