import { describe, expect, it } from 'vitest';
import { evaluateInventory } from '../../../functions/core/engine';
import { findingId } from '../../../functions/core/finding';
import type { Inventory, ReviewStandingSnapshot } from '../../../functions/core/model';
import { RULES } from '../../../functions/core/rules';
import { reviewOverdue } from '../../../functions/core/rules/review-overdue';
import {
  ACCOUNT_ID,
  aContext,
  anAccessKey,
  anInventory,
  aRole,
  aUser,
  daysAgo,
  daysFromNow,
  NOW,
  someSettings,
} from '../../support/builders';

const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/deployer`;
const ctx = aContext();

function aStanding(overrides: Partial<ReviewStandingSnapshot> = {}): ReviewStandingSnapshot {
  return {
    kind: 'review-standing',
    arn: ROLE,
    accountId: ACCOUNT_ID,
    rhythm: 'quarterly',
    campaignId: `quarterly.2026-Q2.${ACCOUNT_ID}`,
    owner: 'team-deploy',
    startedAt: daysAgo(30),
    deadline: daysAgo(16),
    ...overrides,
  };
}

describe('review-overdue', () => {
  it.each([
    ['unanswered, deadline passed 16 days ago', {}, 'fail'],
    ['unanswered, deadline this instant', { deadline: NOW }, 'fail'],
    ['unanswered, deadline a second away', { deadline: new Date(NOW.getTime() + 1000) }, 'pass'],
    ['answered keep after the deadline', { answeredAt: daysAgo(2), answer: 'keep' }, 'pass'],
    ['answered reduce before the deadline', { answeredAt: daysAgo(20), answer: 'reduce' }, 'pass'],
    ['handed on with nobody named', { disowned: true }, 'fail'],
  ] as const)('%s -> %s', (_label, overrides, status) => {
    expect(reviewOverdue.evaluate(aStanding(overrides), ctx).status).toBe(status);
  });

  it('names the identity, the owner, the campaign and how late it is', () => {
    expect(reviewOverdue.evaluate(aStanding({ escalatedAt: daysAgo(16) }), ctx)).toEqual({
      status: 'fail',
      reason: `Role deployer was not reviewed by team-deploy in review quarterly.2026-Q2.${ACCOUNT_ID}, due ${daysAgo(16).toISOString().slice(0, 10)} (16 days overdue).`,
      evidence: {
        rhythm: 'quarterly',
        campaignId: `quarterly.2026-Q2.${ACCOUNT_ID}`,
        reviewOwner: 'team-deploy',
        startedAt: daysAgo(30).toISOString(),
        deadline: daysAgo(16).toISOString(),
        escalatedAt: daysAgo(16).toISOString(),
        overdueDays: 16,
        disowned: false,
      },
    });
    const disowned = reviewOverdue.evaluate(aStanding({ disowned: true }), ctx);
    expect(disowned).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('was handed on as not mine'),
      evidence: { disowned: true, escalatedAt: null },
    });
  });

  it('is one finding per identity and rhythm, raised for an admin-equivalent identity', () => {
    const admin = aRole({ name: 'deployer' });
    const result = evaluateInventory(
      anInventory({
        roles: [admin],
        reviews: {
          read: true,
          standings: [aStanding(), aStanding({ rhythm: 'admin-monthly', campaignId: 'm' })],
          attestations: [],
        },
      }),
      {
        rules: RULES.filter((rule) => rule.meta.id === 'review-overdue'),
        settings: someSettings(),
        now: NOW,
        privilege: () => ({ adminEquivalent: true, escalationPaths: [] }),
      },
    );
    expect(result.findings.map((f) => [f.id, f.subResource, f.severity])).toEqual([
      [findingId(ACCOUNT_ID, 'review-overdue', ROLE, 'admin-monthly'), 'admin-monthly', 'high'],
      [findingId(ACCOUNT_ID, 'review-overdue', ROLE, 'quarterly'), 'quarterly', 'high'],
    ]);
  });
});

describe('attestations on findings', () => {
  const user = aUser({ name: 'ci-bot' });
  const attestation = {
    arn: user.arn,
    campaignId: 'q2',
    by: { kind: 'slack' as const, id: 'U1', teamId: 'T1' },
    at: daysAgo(10),
    until: daysFromNow(80),
    justification: 'deploys the billing service',
  };
  const scan = (reviews?: Inventory['reviews']) =>
    evaluateInventory(
      anInventory({
        users: [user],
        accessKeys: [anAccessKey({ userName: user.name, lastUsedAt: daysAgo(400) })],
        ...(reviews ? { reviews } : {}),
      }),
      { rules: RULES, settings: someSettings(), now: NOW },
    );

  it('shows the keep answer on the identity’s findings and its keys’, suppressing nothing', () => {
    const without = scan();
    const withIt = scan({ read: true, standings: [], attestations: [attestation] });
    expect(withIt.findings.map((f) => [f.id, f.severity, f.suppression])).toEqual(
      without.findings.map((f) => [f.id, f.severity, f.suppression]),
    );
    expect(withIt.findings.length).toBeGreaterThan(0);
    expect(withIt.findings.some((f) => f.resourceType === 'access-key')).toBe(true);
    for (const finding of withIt.findings) {
      expect(finding.attestation).toEqual({
        campaignId: 'q2',
        by: 'slack:T1/U1',
        at: daysAgo(10).toISOString(),
        until: daysFromNow(80).toISOString(),
        justification: 'deploys the billing service',
      });
    }
  });

  it('shows nothing when the review state was not read or names another identity', () => {
    expect(scan().findings.every((f) => f.attestation === undefined)).toBe(true);
    const other = scan({ read: true, standings: [], attestations: [{ ...attestation, arn: ROLE }] });
    expect(other.findings.every((f) => f.attestation === undefined)).toBe(true);
    expect(scan({ read: false, reason: 'x' }).findings.every((f) => f.attestation === undefined)).toBe(true);
  });
});
