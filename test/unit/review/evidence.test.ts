import { describe, expect, it } from 'vitest';
import { EVIDENCE_COLUMNS, evidenceCsv, evidenceRows } from '../../../functions/core/review/evidence';
import type { ReviewCampaign, ReviewItem } from '../../../functions/core/review/types';

const campaign: ReviewCampaign = {
  campaignId: 'quarterly.2026-Q2.111111111111',
  scope: 'quarterly',
  accountIds: ['111111111111'],
  startedAt: '2026-06-01T12:00:00.000Z',
  startedBy: { kind: 'system', id: 'iam-posture' },
  deadline: '2026-06-15T12:00:00.000Z',
  remindAt: '2026-06-12T12:00:00.000Z',
  state: 'open',
  owners: ['payments'],
  itemCount: 2,
};

function anItem(overrides: Partial<ReviewItem>): ReviewItem {
  return {
    itemId: 'a1',
    campaignId: campaign.campaignId,
    owner: 'payments',
    identityArn: 'arn:aws:iam::111111111111:role/app',
    identityKind: 'role',
    identityName: 'app',
    accountId: '111111111111',
    adminEquivalent: true,
    canEscalate: false,
    openFindings: [{ ruleId: 'standing-admin', severity: 'critical', findingId: 'f1' }],
    risk: 1,
    ...overrides,
  };
}

describe('review evidence', () => {
  it('writes one row per identity with the answer, who, when and why', () => {
    const rows = evidenceRows(campaign, [
      anItem({
        decision: {
          answer: 'keep',
          by: { kind: 'slack', id: 'U0OWNER01', teamId: 'T0TEAM001' },
          at: '2026-06-02T09:00:00.000Z',
          justification: 'deploys, "every" stack, daily',
          attestedUntil: '2026-08-31T09:00:00.000Z',
        },
      }),
      anItem({
        itemId: 'b2',
        identityName: 'batch',
        identityArn: 'arn:aws:iam::111111111111:role/batch',
        escalatedAt: '2026-06-15T12:00:00.000Z',
      }),
    ]);
    expect(rows[0]).toMatchObject({
      answer: 'keep',
      decidedBy: 'slack:T0TEAM001/U0OWNER01',
      decidedAt: '2026-06-02T09:00:00.000Z',
      attestedUntil: '2026-08-31T09:00:00.000Z',
      openFindings: 'standing-admin:critical',
      adminEquivalent: true,
    });
    expect(rows[1]).toMatchObject({
      answer: 'unanswered',
      decidedBy: '',
      escalatedAt: '2026-06-15T12:00:00.000Z',
    });
    const csv = evidenceCsv(rows);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(EVIDENCE_COLUMNS.join(','));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines[1]).toContain(',"deploys, ""every"" stack, daily",');
  });

  it('keeps a cell that would start a spreadsheet formula inert, and quotes line breaks', () => {
    const rows = evidenceRows(campaign, [
      anItem({
        owner: '=HYPERLINK("http://x")',
        decision: {
          answer: 'reduce',
          by: { kind: 'cli', id: 'ops' },
          at: '2026-06-02T09:00:00.000Z',
          justification: '+1 line\nsecond line',
        },
      }),
      anItem({ owner: '@team', identityName: '-dash' }),
    ]);
    const csv = evidenceCsv(rows);
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(csv).toContain(`,"'+1 line\nsecond line",`);
    expect(csv).toContain(",'@team,");
    expect(csv).toContain(",'-dash,");
    expect(csv).not.toMatch(/(^|,)[=+@-]/m);
  });
});
