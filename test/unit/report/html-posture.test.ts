import { describe, expect, it } from 'vitest';
import { ageBucket, computePosture, mergePostures } from '../../../functions/core/report/posture';
import type { PrivilegeAnalyzer, PrivilegeSummary } from '../../../functions/core/rule';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import { analyzeInventory } from '../../../functions/use-cases/analyze';
import {
  ACCOUNT_ID,
  anAccessKey,
  anInventory,
  aRole,
  aSecret,
  aUser,
  daysAgo,
  NOW,
  someCredentials,
} from '../../support/builders';

const NONE: PrivilegeSummary = { adminEquivalent: false, escalationPaths: [] };
const ADMIN: PrivilegeSummary = { adminEquivalent: true, escalationPaths: [] };
const ESCALATES: PrivilegeSummary = { adminEquivalent: false, escalationPaths: ['iam:CreatePolicyVersion'] };

function analyzerOf(byName: Record<string, PrivilegeSummary | 'throws'>): PrivilegeAnalyzer {
  return (principal) => {
    const summary = byName[principal.name] ?? NONE;
    if (summary === 'throws') throw new Error(`cannot analyse ${principal.name}`);
    return summary;
  };
}

const options = (privilege: PrivilegeAnalyzer = analyzerOf({})) => ({
  now: NOW,
  thresholds: DEFAULT_SETTINGS.thresholds,
  privilege,
});

describe('ageBucket', () => {
  it.each([
    [0, 0],
    [29, 0],
    [30, 1],
    [89, 2],
    [90, 3],
    [364, 4],
    [365, 5],
    [729, 5],
    [730, 6],
    [5000, 6],
  ])('puts %i days in bucket %i', (days, bucket) => {
    expect(ageBucket(days)).toBe(bucket);
  });
});

describe('computePosture', () => {
  it('counts active access keys by age, inactive keys and keys of unknown age apart', () => {
    const posture = computePosture(
      anInventory({
        accessKeys: [
          anAccessKey({ createdAt: daysAgo(10) }),
          anAccessKey({ createdAt: daysAgo(90) }),
          anAccessKey({ createdAt: daysAgo(800) }),
          anAccessKey({ createdAt: undefined }),
          anAccessKey({ active: false, createdAt: daysAgo(400) }),
        ],
      }),
      options(),
    );
    expect(posture.credentials.accessKeys).toEqual({
      counts: [1, 0, 0, 1, 0, 0, 1],
      unknown: 1,
      thresholdDays: 90,
      inactive: 1,
    });
  });

  it('ages a secret from its last rotation, else its creation, and counts the never rotated', () => {
    const posture = computePosture(
      anInventory({
        secrets: [
          aSecret({ createdAt: daysAgo(400), lastRotatedAt: daysAgo(5) }),
          aSecret({ createdAt: daysAgo(200), lastRotatedAt: undefined }),
          aSecret({ createdAt: undefined, lastRotatedAt: undefined }),
        ],
      }),
      options(),
    );
    expect(posture.credentials.secrets).toEqual({
      counts: [1, 0, 0, 0, 1, 0, 0],
      unknown: 1,
      thresholdDays: 90,
      neverRotated: 2,
    });
  });

  it('places roles and users by privilege and by use, stale at exactly the window', () => {
    const posture = computePosture(
      anInventory({
        roles: [
          aRole({ name: 'admin-stale', lastUsedAt: daysAgo(90) }),
          aRole({ name: 'admin-recent', lastUsedAt: daysAgo(89) }),
          aRole({ name: 'escalator', lastUsedAt: undefined }),
          aRole({ name: 'plain', lastUsedAt: daysAgo(1) }),
          aRole({ name: 'broken', lastUsedAt: daysAgo(1) }),
        ],
        users: [
          // A password used 50 days ago is stale (45-day window); a key used yesterday makes the user recent.
          aUser({
            name: 'console',
            credentials: someCredentials({ passwordEnabled: true, passwordLastUsedAt: daysAgo(50) }),
          }),
          aUser({
            name: 'both',
            credentials: someCredentials({
              passwordEnabled: true,
              passwordLastUsedAt: daysAgo(50),
              accessKeys: [anAccessKey({ userName: 'both', lastUsedAt: daysAgo(1) })],
            }),
          }),
          aUser({ name: 'unreported', credentials: undefined }),
        ],
      }),
      options(
        analyzerOf({
          'admin-stale': ADMIN,
          'admin-recent': ADMIN,
          escalator: ESCALATES,
          console: ADMIN,
          broken: 'throws',
        }),
      ),
    );
    expect(posture.identities).toEqual({
      'admin-equivalent': { recent: 1, stale: 2, never: 0, unknown: 0 },
      'escalation-capable': { recent: 0, stale: 0, never: 1, unknown: 0 },
      other: { recent: 2, stale: 0, never: 0, unknown: 1 },
      unknown: { recent: 1, stale: 0, never: 0, unknown: 0 },
    });
  });
});

describe('mergePostures', () => {
  const one = computePosture(
    anInventory({ accessKeys: [anAccessKey({ createdAt: daysAgo(100) })], roles: [aRole()] }),
    options(),
  );
  const two = computePosture(
    anInventory({
      accessKeys: [anAccessKey({ createdAt: daysAgo(100) }), anAccessKey({ active: false })],
      roles: [aRole({ lastUsedAt: undefined })],
    }),
    options(),
  );

  it('adds the counts of every account', () => {
    const merged = mergePostures([one, two]);
    expect(merged?.credentials.accessKeys).toEqual({
      counts: [0, 0, 0, 2, 0, 0, 0],
      unknown: 0,
      thresholdDays: 90,
      inactive: 1,
    });
    expect(merged?.identities.other).toEqual({ recent: 1, stale: 0, never: 1, unknown: 0 });
  });

  it('has no posture when an account has none: a partial chart would look complete', () => {
    expect(mergePostures([one, undefined])).toBeUndefined();
    expect(mergePostures([])).toBeUndefined();
  });
});

describe('analyzeInventory', () => {
  it('adds the posture of the inventory to the report', () => {
    const report = analyzeInventory(
      anInventory({
        roles: [aRole({ name: 'idle', createdAt: daysAgo(400), lastUsedAt: daysAgo(200) })],
        secrets: [aSecret({ lastRotatedAt: daysAgo(100) })],
      }),
      { settings: DEFAULT_SETTINGS, now: NOW },
    );
    expect(report.summary.accountId).toBe(ACCOUNT_ID);
    expect(report.posture?.identities.other).toEqual({ recent: 0, stale: 1, never: 0, unknown: 0 });
    expect(report.posture?.credentials.secrets.counts).toEqual([0, 0, 0, 1, 0, 0, 0]);
  });
});
