import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../functions/core/finding';
import { DEFAULT_REVIEW_RHYTHMS, ReviewsDeploySchema } from '../../../functions/core/review/config';
import {
  attestationState,
  dueRhythms,
  nextReminders,
  periodOf,
  planReviewItems,
  reviewItemId,
  rhythmCampaignId,
  UNOWNED,
} from '../../../functions/core/review/plan';
import type { ReviewDecision, ReviewItem } from '../../../functions/core/review/types';
import type { Principal, PrivilegeSummary, Severity } from '../../../functions/core/rule';
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

const OWNERSHIP = { tagKeys: ['owner'], patterns: [{ arn: 'arn:aws:iam::*:role/ci-*', owner: 'platform' }] };

function aFinding(resourceArn: string, ruleId: string, severity: Severity): Finding {
  return {
    id: `${ruleId}-${resourceArn}`,
    ruleId,
    title: ruleId,
    severity,
    baseSeverity: severity,
    resourceType: 'role',
    resourceArn,
    accountId: ACCOUNT_ID,
    reason: 'r',
    evidence: {},
    compliance: [],
    remediation: { summary: 's' },
    result: 'fail',
    riskScore: 1,
  };
}

function privilegeBy(table: Record<string, Partial<PrivilegeSummary>>) {
  return (principal: Principal): PrivilegeSummary => ({
    adminEquivalent: false,
    escalationPaths: [],
    ...table[principal.name],
  });
}

function plan(overrides: Partial<Parameters<typeof planReviewItems>[0]> = {}) {
  return planReviewItems({
    campaignId: 'c1',
    scope: 'all',
    accountId: ACCOUNT_ID,
    inventory: anInventory(),
    findings: [],
    privilege: privilegeBy({}),
    ownership: OWNERSHIP,
    thresholds: { serviceUnusedDays: 90 },
    now: NOW,
    ...overrides,
  });
}

describe('planReviewItems', () => {
  it('lists roles, workload users and secrets, leaving out service-linked, Identity Center, root and console-only users', () => {
    const inventory = anInventory({
      roles: [
        aRole({ name: 'app' }),
        aRole({ name: 'AWSServiceRoleForSupport', path: '/aws-service-role/support.amazonaws.com/' }),
        aRole({ name: 'AWSReservedSSO_Admin_abc', path: '/aws-reserved/sso.amazonaws.com/' }),
      ],
      users: [
        aUser({
          name: 'deploy',
          credentials: someCredentials({ accessKeys: [anAccessKey({ userName: 'deploy' })] }),
        }),
        aUser({ name: 'alice', credentials: someCredentials({ passwordEnabled: true }) }),
        aUser({ name: 'svc', credentials: someCredentials({ passwordEnabled: false }) }),
        aUser({ name: 'unknown-nature', credentials: undefined }),
      ],
      secrets: [aSecret({ name: 'prod/db' })],
    });
    const names = plan({ inventory }).map((item) => `${item.identityKind}:${item.identityName}`);
    expect(names.sort()).toEqual([
      'role:app',
      'secret:prod/db',
      'user:deploy',
      'user:svc',
      'user:unknown-nature',
    ]);
  });

  it('orders admin-equivalent, then escalation, then worst open finding, then staleness', () => {
    const inventory = anInventory({
      roles: [
        aRole({ name: 'stale', lastUsedAt: daysAgo(300) }),
        aRole({ name: 'fresh', lastUsedAt: daysAgo(1) }),
        aRole({ name: 'medium-finding', lastUsedAt: daysAgo(1) }),
        aRole({ name: 'high-finding', lastUsedAt: daysAgo(1) }),
        aRole({ name: 'escalates' }),
        aRole({ name: 'admin' }),
      ],
    });
    const arn = (name: string) => `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
    const items = plan({
      inventory,
      privilege: privilegeBy({
        admin: { adminEquivalent: true },
        escalates: { escalationPaths: ['iam-create-policy-version'] },
      }),
      findings: [
        aFinding(arn('medium-finding'), 'role-unused', 'medium'),
        aFinding(arn('medium-finding'), 'trust-oidc-unscoped', 'medium'),
        aFinding(arn('high-finding'), 'trust-wildcard-principal', 'high'),
      ],
    });
    expect(items.map((item) => item.identityName)).toEqual([
      'admin',
      'escalates',
      'high-finding',
      'medium-finding',
      'stale',
      'fresh',
    ]);
    expect(items[0]).toMatchObject({ adminEquivalent: true, canEscalate: false });
    expect(items[1]).toMatchObject({ adminEquivalent: false, canEscalate: true });
    expect(items[3]!.openFindings.map((f) => f.ruleId)).toEqual(['role-unused', 'trust-oidc-unscoped']);
  });

  it('names the owner from tags, else a pattern, else (unowned); the item id is stable per identity', () => {
    const inventory = anInventory({
      roles: [
        aRole({ name: 'tagged', tags: { owner: 'payments' } }),
        aRole({ name: 'ci-deploy' }),
        aRole({ name: 'orphan' }),
      ],
    });
    const items = plan({ inventory });
    const owners = Object.fromEntries(items.map((item) => [item.identityName, item.owner]));
    expect(owners).toEqual({ tagged: 'payments', 'ci-deploy': 'platform', orphan: UNOWNED });
    const orphan = items.find((item) => item.identityName === 'orphan')!;
    expect(orphan.itemId).toBe(reviewItemId(`arn:aws:iam::${ACCOUNT_ID}:role/orphan`));
    expect(orphan.itemId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('shows last use, credential ages and services unused past the window', () => {
    const inventory = anInventory({
      roles: [
        aRole({
          name: 'app',
          lastUsedAt: daysAgo(5),
          serviceLastAccessed: {
            services: [
              { namespace: 's3', lastAuthenticatedAt: daysAgo(2) },
              { namespace: 'ec2', lastAuthenticatedAt: daysAgo(90) },
              { namespace: 'iam' },
            ],
          },
        }),
      ],
      users: [
        aUser({
          name: 'deploy',
          credentials: someCredentials({
            accessKeys: [
              anAccessKey({ userName: 'deploy', createdAt: daysAgo(120), lastUsedAt: daysAgo(3) }),
            ],
          }),
        }),
      ],
      secrets: [aSecret({ name: 'db', lastRotatedAt: daysAgo(40) })],
    });
    const byName = Object.fromEntries(plan({ inventory }).map((item) => [item.identityName, item]));
    expect(byName.app).toMatchObject({
      lastUsedAt: daysAgo(5).toISOString(),
      unusedServices: ['ec2', 'iam'],
    });
    expect(byName.app!.credentialAgesDays).toBeUndefined();
    expect(byName.deploy).toMatchObject({ lastUsedAt: daysAgo(3).toISOString(), credentialAgesDays: [120] });
    expect(byName.db).toMatchObject({ credentialAgesDays: [40] });
  });

  it('keeps only admin-equivalent identities in that scope, and escalation-capable ones in the escalation scope', () => {
    const inventory = anInventory({
      roles: [aRole({ name: 'admin' }), aRole({ name: 'esc' }), aRole({ name: 'plain' })],
      secrets: [aSecret()],
    });
    const privilege = privilegeBy({ admin: { adminEquivalent: true }, esc: { escalationPaths: ['p'] } });
    expect(plan({ inventory, privilege, scope: 'admin-equivalent' }).map((i) => i.identityName)).toEqual([
      'admin',
    ]);
    expect(plan({ inventory, privilege, scope: 'escalation' }).map((i) => i.identityName)).toEqual([
      'admin',
      'esc',
    ]);
  });
});

describe('dueRhythms', () => {
  const rhythms = [
    { name: 'quarterly', every: 'quarterly' as const, scope: 'all' as const },
    { name: 'monthly', every: 'monthly' as const, scope: 'all' as const },
    { name: 'weekly', every: 'weekly' as const, scope: 'all' as const },
  ];

  it('starts every rhythm never started', () => {
    expect(dueRhythms(rhythms, {}, NOW)).toEqual(['quarterly', 'monthly', 'weekly']);
  });

  it('is due again at the first instant of the next calendar period, UTC', () => {
    const last = '2026-03-31T23:59:59.999Z';
    const sameInstant = new Date(last);
    const nextPeriod = new Date('2026-04-01T00:00:00.000Z');
    const lastStarted = { quarterly: last, monthly: last };
    expect(dueRhythms(rhythms.slice(0, 2), lastStarted, sameInstant)).toEqual([]);
    expect(dueRhythms(rhythms.slice(0, 2), lastStarted, nextPeriod)).toEqual(['quarterly', 'monthly']);
    // Within a quarter, a new month makes only the monthly rhythm due.
    expect(
      dueRhythms(
        rhythms.slice(0, 2),
        { quarterly: '2026-04-30T23:00:00Z', monthly: '2026-04-30T23:00:00Z' },
        new Date('2026-05-01T00:00:00Z'),
      ),
    ).toEqual(['monthly']);
  });

  it('counts weeks as ISO weeks (Monday to Sunday, the year of their Thursday)', () => {
    expect(periodOf('weekly', new Date('2026-01-01T00:00:00Z'))).toBe('2026-W01');
    expect(periodOf('weekly', new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(periodOf('weekly', new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    const sunday = '2026-06-07T23:59:59Z';
    expect(dueRhythms([rhythms[2]!], { weekly: sunday }, new Date('2026-06-07T23:59:59.5Z'))).toEqual([]);
    expect(dueRhythms([rhythms[2]!], { weekly: sunday }, new Date('2026-06-08T00:00:00Z'))).toEqual([
      'weekly',
    ]);
  });

  it('derives one campaign id per rhythm, period and account', () => {
    expect(rhythmCampaignId(DEFAULT_REVIEW_RHYTHMS[0]!, ACCOUNT_ID, NOW)).toBe(
      `quarterly.2026-Q2.${ACCOUNT_ID}`,
    );
    expect(rhythmCampaignId(DEFAULT_REVIEW_RHYTHMS[1]!, ACCOUNT_ID, NOW)).toBe(
      `admin-monthly.2026-06.${ACCOUNT_ID}`,
    );
  });
});

function anItem(overrides: Partial<ReviewItem> = {}): ReviewItem {
  return {
    itemId: 'i1',
    campaignId: 'c1',
    owner: 'payments',
    identityArn: 'arn:aws:iam::111111111111:role/app',
    identityKind: 'role',
    identityName: 'app',
    accountId: ACCOUNT_ID,
    adminEquivalent: false,
    canEscalate: false,
    openFindings: [],
    risk: 1,
    ...overrides,
  };
}

const keep: ReviewDecision = { answer: 'keep', by: { kind: 'cli', id: 'ops' }, at: NOW.toISOString() };

describe('nextReminders', () => {
  const campaign = { remindAt: '2026-06-12T12:00:00.000Z', deadline: '2026-06-15T12:00:00.000Z' };
  const items = [
    anItem({ itemId: 'open' }),
    anItem({ itemId: 'answered', decision: keep }),
    anItem({ itemId: 'reminded', remindedAt: '2026-06-12T12:00:00.000Z' }),
  ];
  const ids = (list: ReviewItem[]) => list.map((item) => item.itemId);

  it('does nothing before the reminder instant', () => {
    const plan = nextReminders(campaign, items, new Date('2026-06-12T11:59:59.999Z'));
    expect(plan).toEqual({ remind: [], escalate: [], overdue: [] });
  });

  it('reminds unanswered items once, from the exact reminder instant', () => {
    const plan = nextReminders(campaign, items, new Date('2026-06-12T12:00:00.000Z'));
    expect(ids(plan.remind)).toEqual(['open']);
    expect(plan.escalate).toEqual([]);
  });

  it('escalates and marks overdue at the exact deadline, once, never answered items', () => {
    const before = nextReminders(campaign, items, new Date('2026-06-15T11:59:59.999Z'));
    expect(ids(before.escalate)).toEqual([]);
    const at = nextReminders(campaign, items, new Date('2026-06-15T12:00:00.000Z'));
    expect(ids(at.escalate)).toEqual(['open', 'reminded']);
    expect(ids(at.overdue)).toEqual(['open', 'reminded']);
    expect(at.remind).toEqual([]);
    const escalated = items.map((item) =>
      item.decision ? item : { ...item, escalatedAt: '2026-06-15T12:00:00.000Z' },
    );
    expect(nextReminders(campaign, escalated, new Date('2026-06-16T00:00:00Z'))).toEqual({
      remind: [],
      escalate: [],
      overdue: [],
    });
  });
});

describe('attestationState', () => {
  const until = '2026-08-30T12:00:00.000Z';
  it('holds up to, not including, the expiry instant', () => {
    const decision = { ...keep, attestedUntil: until };
    expect(attestationState(decision, new Date('2026-08-30T11:59:59.999Z'))).toBe('attested');
    expect(attestationState(decision, new Date(until))).toBe('expired');
  });
  it('is none without a keep answer', () => {
    expect(attestationState(undefined, NOW)).toBe('none');
    expect(attestationState({ ...keep, answer: 'reduce' }, NOW)).toBe('none');
  });
});

describe('ReviewsDeploySchema', () => {
  it('defaults to off with a quarterly review and a monthly one of admin-equivalent identities', () => {
    expect(ReviewsDeploySchema.parse({})).toEqual({
      enabled: false,
      rhythms: DEFAULT_REVIEW_RHYTHMS,
      deadlineDays: 14,
      remindBeforeDays: 3,
      attestationDays: 90,
      reviewers: [],
    });
  });

  it('names the bad value', () => {
    const issues = (input: unknown) =>
      ReviewsDeploySchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ??
      [];
    expect(issues({ deadlineDays: 91 })[0]).toMatch(/^deadlineDays: /);
    expect(issues({ attestationDays: 0 })[0]).toMatch(/^attestationDays: /);
    expect(issues({ escalationChannel: 'security' })[0]).toMatch(
      /^escalationChannel: must be a Slack user id/,
    );
    expect(issues({ rhythms: [{ name: 'q', every: 'yearly' }] })[0]).toMatch(/^rhythms\.0\.every: /);
    expect(
      issues({
        rhythms: [
          { name: 'q', every: 'monthly' },
          { name: 'q', every: 'weekly' },
        ],
      }),
    ).toEqual(['rhythms.1.name: rhythm "q" is named twice']);
    expect(issues({ deadlineDays: 3, remindBeforeDays: 3 })[0]).toMatch(
      /^remindBeforeDays: must be less than deadlineDays/,
    );
    expect(issues({ reviewers: [{ teamId: 'T0123ABCD', userId: 'nobody' }] })[0]).toMatch(
      /^reviewers\.0\.userId: /,
    );
  });
});
