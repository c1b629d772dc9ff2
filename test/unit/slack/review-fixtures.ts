import type { ReviewCampaign, ReviewItem } from '../../../functions/core/review/types';

/** A campaign and its items as the Slack side of reviews sees them. */

export const CAMPAIGN_ID = 'quarterly-2026-q4-123456789012';
export const ACCOUNT = '123456789012';
export const NOW = new Date('2026-12-03T09:00:00.000Z');

export function aCampaign(overrides: Partial<ReviewCampaign> = {}): ReviewCampaign {
  return {
    campaignId: CAMPAIGN_ID,
    scope: 'quarterly',
    accountIds: [ACCOUNT],
    startedAt: '2026-12-01T06:00:00.000Z',
    startedBy: { kind: 'system', id: 'iam-posture' },
    deadline: '2026-12-15T06:00:00.000Z',
    remindAt: '2026-12-12T06:00:00.000Z',
    state: 'open',
    owners: ['team-payments'],
    itemCount: 1,
    ...overrides,
  };
}

let counter = 0;

/** A role item of team-payments; `itemId` defaults to a fresh one. */
export function anItem(overrides: Partial<ReviewItem> = {}): ReviewItem {
  counter += 1;
  const name = overrides.identityName ?? `deploy-${counter}`;
  return {
    itemId: `item${String(counter).padStart(4, '0')}`,
    campaignId: CAMPAIGN_ID,
    owner: 'team-payments',
    identityArn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    identityKind: 'role',
    identityName: name,
    accountId: ACCOUNT,
    adminEquivalent: false,
    canEscalate: false,
    openFindings: [],
    risk: 1,
    ...overrides,
  };
}
