import { describe, expect, it } from 'vitest';
import { withReviewState } from '../../../functions/core/normalize/review';
import { campaignsDecidingStandings, reviewStandings } from '../../../functions/core/review/standing';
import type { ReviewCampaign, ReviewDecision, ReviewItem } from '../../../functions/core/review/types';
import { ACCOUNT_ID, anInventory, aRole, daysAgo, daysFromNow, NOW } from '../../support/builders';

const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/deployer`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/reporter`;
const OTHER_ACCOUNT = '999988887777';

function aCampaign(
  id: string,
  startedDaysAgo: number,
  deadlineDays: number,
  scope = 'quarterly',
): ReviewCampaign {
  return {
    campaignId: id,
    scope,
    accountIds: [ACCOUNT_ID],
    startedAt: daysAgo(startedDaysAgo).toISOString(),
    startedBy: { kind: 'system', id: 'iam-posture' },
    deadline: (deadlineDays >= 0 ? daysFromNow(deadlineDays) : daysAgo(-deadlineDays)).toISOString(),
    remindAt: daysAgo(startedDaysAgo).toISOString(),
    state: 'open',
    owners: ['team-a'],
    itemCount: 1,
  };
}

function anItem(campaignId: string, overrides: Partial<ReviewItem> = {}): ReviewItem {
  return {
    itemId: 'i1',
    campaignId,
    owner: 'team-a',
    identityArn: ROLE,
    identityKind: 'role',
    identityName: 'deployer',
    accountId: ACCOUNT_ID,
    adminEquivalent: false,
    canEscalate: false,
    openFindings: [],
    risk: 1,
    ...overrides,
  };
}

const keep = (daysBefore: number): ReviewDecision => ({
  answer: 'keep',
  by: { kind: 'slack', id: 'U1', teamId: 'T1' },
  at: daysAgo(daysBefore).toISOString(),
  justification: 'runs the nightly deploy',
  attestedUntil: daysFromNow(80).toISOString(),
});

/** [label, campaigns, items, expected standings as [campaign, answered]] */
const CASES: [string, ReviewCampaign[], ReviewItem[], [string, boolean][]][] = [
  ['an open campaign unanswered: no standing yet', [aCampaign('q4', 5, 9)], [anItem('q4')], []],
  ['a passed deadline unanswered: overdue', [aCampaign('q3', 30, -16)], [anItem('q3')], [['q3', false]]],
  [
    'a passed deadline answered: reviewed',
    [aCampaign('q3', 30, -16)],
    [anItem('q3', { decision: keep(20) })],
    [['q3', true]],
  ],
  [
    'answered after the deadline: reviewed',
    [aCampaign('q3', 30, -16)],
    [anItem('q3', { decision: keep(2) })],
    [['q3', true]],
  ],
  [
    'a missed review stays missed while the newer one is open and unanswered',
    [aCampaign('q3', 120, -106), aCampaign('q4', 5, 9)],
    [anItem('q3'), anItem('q4')],
    [['q3', false]],
  ],
  [
    'an answer in the newer open campaign clears the missed one',
    [aCampaign('q3', 120, -106), aCampaign('q4', 5, 9)],
    [anItem('q3'), anItem('q4', { decision: keep(1) })],
    [['q4', true]],
  ],
  [
    'the newest campaign past its deadline supersedes older ones',
    [aCampaign('q2', 210, -196), aCampaign('q3', 120, -106)],
    [anItem('q2', { decision: keep(200) }), anItem('q3')],
    [['q3', false]],
  ],
  [
    'an identity that left the scope of the newest campaign past its deadline has no standing',
    [aCampaign('q2', 210, -196), aCampaign('q3', 120, -106)],
    [anItem('q2'), anItem('q3', { identityArn: OTHER_ROLE, itemId: 'i2', decision: keep(110) })],
    [['q3', true]],
  ],
  [
    '"not mine" with nobody named is not a review',
    [aCampaign('q3', 30, -16)],
    [
      anItem('q3', {
        decision: { answer: 'not-mine', by: { kind: 'slack', id: 'U1' }, at: daysAgo(20).toISOString() },
      }),
    ],
    [['q3', false]],
  ],
  [
    'a reduce answer is a review',
    [aCampaign('q3', 30, -16)],
    [
      anItem('q3', {
        decision: { answer: 'reduce', by: { kind: 'slack', id: 'U1' }, at: daysAgo(20).toISOString() },
      }),
    ],
    [['q3', true]],
  ],
  [
    'another account’s items and campaigns are not this account’s',
    [aCampaign('q3', 30, -16), { ...aCampaign('x3', 30, -16), accountIds: [OTHER_ACCOUNT] }],
    [anItem('q3', { accountId: OTHER_ACCOUNT }), anItem('x3', { accountId: OTHER_ACCOUNT })],
    [],
  ],
  ['the deadline instant itself has passed', [aCampaign('q3', 14, 0)], [anItem('q3')], [['q3', false]]],
];

describe('reviewStandings', () => {
  it.each(CASES)('%s', (_label, campaigns, items, expected) => {
    expect(
      reviewStandings(campaigns, items, ACCOUNT_ID, NOW).map((s) => [s.campaignId, s.decision !== undefined]),
    ).toEqual(expected);
  });

  it('keeps one standing per rhythm, and names who was asked last', () => {
    const standings = reviewStandings(
      [aCampaign('q3', 30, -16), aCampaign('m10', 20, -6, 'admin-monthly')],
      [anItem('q3', { owner: 'team-b' }), anItem('m10', { decision: keep(8) })],
      ACCOUNT_ID,
      NOW,
    );
    expect(standings.map((s) => [s.rhythm, s.owner, s.decision?.answer ?? null, s.disowned])).toEqual([
      ['admin-monthly', 'team-a', 'keep', false],
      ['quarterly', 'team-b', null, false],
    ]);
  });

  it('reads campaigns down to the newest past its deadline, per rhythm', () => {
    const campaigns = [
      aCampaign('q1', 300, -286),
      aCampaign('q2', 210, -196),
      aCampaign('q3', 120, -106),
      aCampaign('q4', 5, 9),
      aCampaign('m1', 40, -26, 'admin-monthly'),
      aCampaign('m2', 10, 4, 'admin-monthly'),
    ];
    expect(campaignsDecidingStandings(campaigns, ACCOUNT_ID, NOW).map((c) => c.campaignId)).toEqual([
      'q4',
      'q3',
      'm2',
      'm1',
    ]);
  });
});

describe('withReviewState', () => {
  const inventory = anInventory({ roles: [aRole({ arn: ROLE })] });

  it('leaves an inventory whose review state was not read as it is', () => {
    expect(withReviewState(inventory, undefined, NOW)).toBe(inventory);
  });

  it('turns a failed read into a coverage gap on the account', () => {
    const read = withReviewState(inventory, { read: false, reason: 'AccessDenied: no Query' }, NOW);
    expect(read.reviews).toEqual({ read: false, reason: 'AccessDenied: no Query' });
    expect(read.coverageGaps.map((gap) => [gap.source, gap.category, gap.arn])).toEqual([
      ['iam-posture:review-state', 'ReadFailed', `arn:aws:iam::${ACCOUNT_ID}:root`],
    ]);
    expect(read.coverageGaps[0]!.reason).toContain('AccessDenied: no Query');
  });

  it('names a campaign or an answer with an unreadable date, and keeps the rest', () => {
    const broken = { ...aCampaign('q3', 30, -16), startedAt: 'last tuesday' };
    const read = withReviewState(
      inventory,
      {
        read: true,
        campaigns: [broken, aCampaign('m1', 30, -16, 'admin-monthly')],
        items: [
          anItem('q3'),
          anItem('m1', { decision: { ...keep(1), at: 'soon' } }),
          anItem('m1', { itemId: 'i2', identityArn: OTHER_ROLE }),
        ],
        attestations: [],
      },
      NOW,
    );
    expect(read.coverageGaps.map((gap) => [gap.category, gap.detail])).toEqual([
      ['Malformed', 'campaign q3.startedAt'],
      ['Malformed', `campaign m1 ${ROLE}.decision.at`],
    ]);
    expect(read.reviews?.read && read.reviews.standings.map((s) => [s.arn, s.rhythm])).toEqual([
      [OTHER_ROLE, 'admin-monthly'],
    ]);
  });

  it('keeps the attestations in force at the scan, of this account only', () => {
    const attestation = (arn: string, until: Date, accountId = ACCOUNT_ID) => ({
      accountId,
      identityArn: arn,
      campaignId: 'q3',
      itemId: 'i1',
      decision: { ...keep(10), attestedUntil: until.toISOString() },
    });
    const read = withReviewState(
      inventory,
      {
        read: true,
        campaigns: [],
        items: [],
        attestations: [
          attestation(ROLE, daysFromNow(1)),
          attestation(OTHER_ROLE, NOW),
          attestation(`arn:aws:iam::${OTHER_ACCOUNT}:role/x`, daysFromNow(5), OTHER_ACCOUNT),
        ],
      },
      NOW,
    );
    expect(read.reviews).toEqual({
      read: true,
      standings: [],
      attestations: [
        {
          arn: ROLE,
          campaignId: 'q3',
          by: { kind: 'slack', id: 'U1', teamId: 'T1' },
          at: daysAgo(10),
          until: daysFromNow(1),
          justification: 'runs the nightly deploy',
        },
      ],
    });
  });
});
