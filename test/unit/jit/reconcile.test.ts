import { describe, expect, it } from 'vitest';
import { timeBoundedDocument } from '../../../functions/core/jit/grant';
import { planReconcile } from '../../../functions/core/jit/reconcile';
import { aRequest, NOW, READ_LOGS, ROLE } from './builders';

const START = '2026-12-03T10:00:00Z';
const END = '2026-12-03T11:00:00Z';
const document = (startsAt = START, endsAt = END) => timeBoundedDocument(READ_LOGS, startsAt, endsAt);
const policy = (
  overrides: Partial<{ principalArn: string; policyName: string; document: unknown }> = {},
) => ({
  principalArn: ROLE,
  policyName: 'iam-posture-jit-a1b2c3',
  document: document(),
  ...overrides,
});
const at = (iso: string) => new Date(iso);

describe('planReconcile', () => {
  it('keeps a live grant’s policy inside its window', () => {
    expect(
      planReconcile({ now: NOW, policies: [policy()], grants: [aRequest({ state: 'granted' })] }),
    ).toEqual({
      remove: [],
      expire: [],
      fail: [],
      lapse: [],
    });
    // Approved: the policy is being written, the state follows.
    expect(
      planReconcile({ now: NOW, policies: [policy()], grants: [aRequest({ state: 'approved' })] }).remove,
    ).toEqual([]);
  });

  it('removes the policy and expires the grant at the end of the window, exactly', () => {
    const grants = [aRequest({ state: 'granted' })];
    expect(planReconcile({ now: at('2026-12-03T10:59:59.999Z'), policies: [policy()], grants })).toEqual({
      remove: [],
      expire: [],
      fail: [],
      lapse: [],
    });
    expect(planReconcile({ now: at(END), policies: [policy()], grants })).toEqual({
      remove: [{ principalArn: ROLE, policyName: 'iam-posture-jit-a1b2c3', why: 'expired' }],
      expire: ['a1b2c3'],
      fail: [],
      lapse: [],
    });
  });

  it('expires a granted grant whose policy is already gone', () => {
    expect(
      planReconcile({ now: at(END), policies: [], grants: [aRequest({ state: 'granted' })] }).expire,
    ).toEqual(['a1b2c3']);
  });

  it.each([
    ['no grant of that id', { grants: [] }, 'unknown-grant'],
    ['a grant of another principal', { principalArn: `${ROLE}-copy` }, 'unknown-grant'],
    [
      'another window than the grant’s',
      { document: document(START, '2026-12-03T12:00:00Z') },
      'unknown-grant',
    ],
    ['a request nobody approved', { state: 'requested' }, 'unknown-grant'],
    ['a revoked grant', { state: 'revoked' }, 'revoked-grant'],
    ['a rejected grant', { state: 'rejected' }, 'revoked-grant'],
    ['a failed grant', { state: 'failed' }, 'revoked-grant'],
    [
      'a policy without time bounds',
      { document: { Version: '2012-10-17', Statement: READ_LOGS } },
      'no-time-bounds',
    ],
    ['a policy that is not a document', { document: 'garbage' }, 'no-time-bounds'],
    ['a prefixed name that is no grant id', { policyName: 'iam-posture-jit-NOPE' }, 'unknown-grant'],
  ] as const)('removes %s', (_what, change, why) => {
    const { grants, state, ...policyChange } = change as Record<string, unknown>;
    const plan = planReconcile({
      now: NOW,
      policies: [policy(policyChange)],
      grants: (grants as never) ?? [aRequest({ state: (state as never) ?? 'granted' })],
    });
    expect(plan.remove).toEqual([
      {
        principalArn: (policyChange.principalArn as string) ?? ROLE,
        policyName: (policyChange.policyName as string) ?? 'iam-posture-jit-a1b2c3',
        why,
      },
    ]);
  });

  it('leaves policies without the grant prefix alone', () => {
    const plan = planReconcile({
      now: NOW,
      policies: [
        policy({ policyName: 'team-admin', document: { Version: '2012-10-17', Statement: READ_LOGS } }),
      ],
      grants: [],
    });
    expect(plan).toEqual({ remove: [], expire: [], fail: [], lapse: [] });
  });

  it('handles overlapping grants on one principal independently', () => {
    const first = aRequest({ grantId: 'aaa1', policyName: 'iam-posture-jit-aaa1', state: 'granted' });
    const second = aRequest({
      grantId: 'bbb2',
      policyName: 'iam-posture-jit-bbb2',
      state: 'granted',
      startsAt: '2026-12-03T10:30:00Z',
      endsAt: '2026-12-03T12:00:00Z',
    });
    const plan = planReconcile({
      now: at('2026-12-03T11:15:00Z'),
      policies: [
        policy({ policyName: 'iam-posture-jit-aaa1' }),
        policy({
          policyName: 'iam-posture-jit-bbb2',
          document: document('2026-12-03T10:30:00Z', '2026-12-03T12:00:00Z'),
        }),
      ],
      grants: [first, second],
    });
    expect(plan).toEqual({
      remove: [{ principalArn: ROLE, policyName: 'iam-posture-jit-aaa1', why: 'expired' }],
      expire: ['aaa1'],
      fail: [],
      lapse: [],
    });
  });

  it('fails a grant approved but never written once its window has ended', () => {
    const grants = [aRequest({ state: 'approved' })];
    expect(planReconcile({ now: at('2026-12-03T10:59:59Z'), policies: [], grants }).fail).toEqual([]);
    expect(planReconcile({ now: at(END), policies: [], grants }).fail).toEqual(['a1b2c3']);
  });

  it('lapses a request nobody approved, from its expiry on', () => {
    const grants = [aRequest({ state: 'requested', expiresAt: '2026-12-03T10:30:00.000Z' })];
    expect(planReconcile({ now: at('2026-12-03T10:29:59.999Z'), policies: [], grants }).lapse).toEqual([]);
    expect(planReconcile({ now: at('2026-12-03T10:30:00Z'), policies: [], grants })).toEqual({
      remove: [],
      expire: [],
      fail: [],
      lapse: ['a1b2c3'],
    });
  });
});
