import { describe, expect, it } from 'vitest';
import {
  canRevoke,
  canTransition,
  decideApproval,
  decideRejection,
  ELEVATION_TRANSITIONS,
  isLapsed,
} from '../../../functions/core/jit/approval';
import { ELEVATION_STATES, type ElevationState } from '../../../functions/core/jit/types';
import { ALICE, aProfile, aRequest, BOB, CAROL, MALLORY, NOW, slack } from './builders';

const HASH = 'h'.repeat(64);
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('decideApproval', () => {
  it('reaches quorum with one approval when one is required', () => {
    const decision = decideApproval(aRequest(), aProfile(), { approver: BOB, grantHash: HASH }, later(1000));
    expect(decision).toEqual({
      outcome: 'quorum',
      request: aRequest({
        state: 'approved',
        approvals: [{ by: slack(BOB), at: '2026-12-03T10:00:01.000Z', grantHash: HASH }],
      }),
    });
  });

  it('records the first of two approvals, then reaches quorum with the second person', () => {
    const first = decideApproval(
      aRequest({ requiredApprovals: 2 }),
      aProfile(),
      { approver: BOB, grantHash: HASH },
      NOW,
    );
    expect(first.outcome).toBe('recorded');
    if (first.outcome !== 'recorded') return;
    expect(first.request.state).toBe('requested');
    expect(first.request.approvals).toHaveLength(1);

    const again = decideApproval(first.request, aProfile(), { approver: BOB, grantHash: HASH }, NOW);
    expect(again).toEqual({
      outcome: 'refused',
      reason: 'already-approved',
      message: 'You already approved this request.',
    });

    const second = decideApproval(first.request, aProfile(), { approver: CAROL, grantHash: HASH }, NOW);
    expect(second.outcome).toBe('quorum');
    if (second.outcome === 'quorum') {
      expect(second.request.state).toBe('approved');
      expect(second.request.approvals.map((a) => a.by.id)).toEqual([BOB.userId, CAROL.userId]);
    }
  });

  it('does not count an earlier approval given for another hash', () => {
    const stale = aRequest({
      requiredApprovals: 2,
      approvals: [{ by: slack(CAROL), at: NOW.toISOString(), grantHash: 'o'.repeat(64) }],
    });
    expect(decideApproval(stale, aProfile(), { approver: BOB, grantHash: HASH }, NOW).outcome).toBe(
      'recorded',
    );
  });

  it.each([
    ['the requester (self-approval)', ALICE, HASH, 'self-approval'],
    ['someone not on the profile', MALLORY, HASH, 'not-an-approver'],
    [
      'an approver of another workspace',
      { teamId: 'T0THERTEAM', userId: BOB.userId },
      HASH,
      'not-an-approver',
    ],
    ['an approver who saw another grant', BOB, 'x'.repeat(64), 'hash-mismatch'],
  ] as const)('refuses %s', (_who, approver, grantHash, reason) => {
    const decision = decideApproval(aRequest(), aProfile(), { approver, grantHash }, NOW);
    expect(decision).toMatchObject({ outcome: 'refused', reason });
  });

  it('refuses an approver of another profile', () => {
    const decision = decideApproval(
      aRequest(),
      aProfile({ name: 'other' }),
      { approver: BOB, grantHash: HASH },
      NOW,
    );
    expect(decision).toMatchObject({ outcome: 'refused', reason: 'not-an-approver' });
  });

  it('accepts a vote the millisecond before expiry and refuses it at expiry', () => {
    const expiresAt = Date.parse(aRequest().expiresAt);
    const vote = { approver: BOB, grantHash: HASH };
    expect(decideApproval(aRequest(), aProfile(), vote, new Date(expiresAt - 1)).outcome).toBe('quorum');
    expect(decideApproval(aRequest(), aProfile(), vote, new Date(expiresAt))).toEqual({
      outcome: 'refused',
      reason: 'expired',
      message: 'This request expired before it was approved; ask again.',
    });
  });

  it.each([
    ['approved', 'already-approved'],
    ['granted', 'already-approved'],
    ['revoked', 'not-open'],
    ['rejected', 'not-open'],
    ['lapsed', 'not-open'],
    ['failed', 'not-open'],
  ] as const)('refuses a request in state %s (%s)', (state, reason) => {
    expect(
      decideApproval(aRequest({ state }), aProfile(), { approver: BOB, grantHash: HASH }, NOW),
    ).toMatchObject({
      outcome: 'refused',
      reason,
    });
  });
});

describe('canRevoke', () => {
  it.each([
    ['the requester', slack(ALICE), true],
    ['a profile approver', slack(BOB), true],
    ['the system', { kind: 'system', id: 'revoker' }, true],
    ['the CLI', { kind: 'cli', id: 'ops' }, true],
    ['someone else', slack(MALLORY), false],
    ['an approver id of another workspace', { kind: 'slack', id: BOB.userId, teamId: 'T0THERTEAM' }, false],
  ] as const)('%s: %s', (_who, by, expected) => {
    expect(canRevoke(aRequest(), by, aProfile())).toBe(expected);
  });
});

describe('the elevation state machine', () => {
  it('covers every state, and terminal states go nowhere', () => {
    expect(Object.keys(ELEVATION_TRANSITIONS).sort()).toEqual([...ELEVATION_STATES].sort());
    for (const state of ['revoked', 'rejected', 'lapsed', 'failed'] as ElevationState[]) {
      for (const to of ELEVATION_STATES) expect(canTransition(state, to)).toBe(false);
    }
  });

  it.each([
    ['requested', 'approved', true],
    ['requested', 'granted', false],
    ['approved', 'granted', true],
    ['approved', 'requested', false],
    ['granted', 'revoked', true],
    ['granted', 'approved', false],
    ['granted', 'failed', false],
  ] as const)('%s -> %s: %s', (from, to, expected) => {
    expect(canTransition(from, to)).toBe(expected);
  });
});

describe('isLapsed', () => {
  it('is true for a waiting request from its expiry on', () => {
    const expiresAt = Date.parse(aRequest().expiresAt);
    expect(isLapsed(aRequest(), new Date(expiresAt - 1))).toBe(false);
    expect(isLapsed(aRequest(), new Date(expiresAt))).toBe(true);
    expect(isLapsed(aRequest({ state: 'approved' }), new Date(expiresAt + 1))).toBe(false);
  });
});

describe('decideRejection', () => {
  it('lets a profile approver reject a waiting request, recording who', () => {
    expect(decideRejection(aRequest(), aProfile(), BOB, NOW)).toEqual({
      outcome: 'rejected',
      request: aRequest({ state: 'rejected', rejectedBy: slack(BOB) }),
    });
  });

  it('refuses someone not on the profile, and a request no longer waiting', () => {
    expect(decideRejection(aRequest(), aProfile(), MALLORY, NOW)).toMatchObject({
      outcome: 'refused',
      reason: 'not-an-approver',
    });
    expect(decideRejection(aRequest({ state: 'granted' }), aProfile(), BOB, NOW)).toEqual({
      outcome: 'refused',
      reason: 'not-open',
      message: 'This elevation is granted; there is nothing to reject.',
    });
    expect(decideRejection(aRequest(), aProfile(), BOB, new Date(aRequest().expiresAt))).toMatchObject({
      outcome: 'refused',
      reason: 'not-open',
      message: 'This elevation is expired; there is nothing to reject.',
    });
  });
});
