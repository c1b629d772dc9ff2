/**
 * The scan's read of the entitlement review state, against the findings table on moto: campaigns,
 * items and attestations as the review store writes them, read by the scan function's reader, and
 * the `review-overdue` findings and attestations a scan makes of them, through a failed read and
 * its recovery.
 */
import { describe, expect, it } from 'vitest';
import { DynamoReviewStore } from '../../functions/adapters/dynamo-review-store';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { ReviewCampaign, ReviewDecision, ReviewItem } from '../../functions/core/review/types';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { runScan } from '../../functions/use-cases/run-scan';
import { reviewStateReader } from '../../functions/wiring/scan';
import { MemoryStore } from '../support/memory-store';
import { useMotoWithTable } from '../support/moto-table';

const TABLE = 'iam-posture-findings';
const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const NOW = new Date('2025-06-03T00:00:00.000Z');
const daysBefore = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const UNREVIEWED = `arn:aws:iam::${ACCOUNT}:role/old-admin-automation`;
const KEPT = `arn:aws:iam::${ACCOUNT}:role/legacy-backup-vendor`;
const CAMPAIGN = `quarterly.2025-Q2.${ACCOUNT}`;

const env = useMotoWithTable(TABLE);

function campaign(overrides: Partial<ReviewCampaign> = {}): ReviewCampaign {
  return {
    campaignId: CAMPAIGN,
    scope: 'quarterly',
    accountIds: [ACCOUNT],
    startedAt: daysBefore(30),
    startedBy: { kind: 'system', id: 'iam-posture' },
    deadline: daysBefore(16),
    remindAt: daysBefore(19),
    state: 'open',
    owners: ['team-platform'],
    itemCount: 2,
    ...overrides,
  };
}

function item(identityArn: string, itemId: string, overrides: Partial<ReviewItem> = {}): ReviewItem {
  return {
    itemId,
    campaignId: CAMPAIGN,
    owner: 'team-platform',
    identityArn,
    identityKind: 'role',
    identityName: identityArn.split('/').pop()!,
    accountId: ACCOUNT,
    adminEquivalent: false,
    canEscalate: false,
    openFindings: [],
    risk: 1,
    ...overrides,
  };
}

const keep = (at: string): ReviewDecision => ({
  answer: 'keep',
  by: { kind: 'slack', id: 'U0OWNER', teamId: 'T0TEAM' },
  at,
  justification: 'the vendor still restores our backups monthly',
  attestedUntil: new Date(Date.parse(at) + 90 * 86_400_000).toISOString(),
});

describe('the scan reading the review state from the table', () => {
  it('reads the account’s deciding campaigns, their items and its attestations only', async () => {
    const store = new DynamoReviewStore(env.dynamo, TABLE);
    await store.createCampaign(campaign(), [item(UNREVIEWED, 'i1'), item(KEPT, 'i2')]);
    await store.createCampaign(
      campaign({
        campaignId: `quarterly.2025-Q1.${ACCOUNT}`,
        startedAt: daysBefore(120),
        deadline: daysBefore(106),
      }),
      [item(UNREVIEWED, 'i1', { campaignId: `quarterly.2025-Q1.${ACCOUNT}` })],
    );
    await store.createCampaign(campaign({ campaignId: `quarterly.2025-Q2.${OTHER}`, accountIds: [OTHER] }), [
      item(`arn:aws:iam::${OTHER}:role/x`, 'i9', {
        campaignId: `quarterly.2025-Q2.${OTHER}`,
        accountId: OTHER,
      }),
    ]);

    const state = await reviewStateReader(env.aws(), TABLE)(ACCOUNT, NOW);
    expect(state.read).toBe(true);
    if (!state.read) return;
    // The newest campaign past its deadline decides: the quarter before it is not read.
    expect(state.campaigns.map((c) => c.campaignId)).toEqual([CAMPAIGN]);
    expect(state.items.map((i) => i.identityArn).sort()).toEqual([KEPT, UNREVIEWED].sort());
    expect(state.attestations).toEqual([]);
  });

  it('opens review-overdue, holds it through a failed read, and resolves it once answered', async () => {
    const store = new DynamoReviewStore(env.dynamo, TABLE);
    await store.createCampaign(campaign(), [item(UNREVIEWED, 'i1'), item(KEPT, 'i2')]);
    const kept = await store.decide(CAMPAIGN, 'team-platform', 'i2', keep(daysBefore(20)));
    expect(kept?.decision?.answer).toBe('keep');
    await store.putAttestation(ACCOUNT, KEPT, {
      accountId: ACCOUNT,
      identityArn: KEPT,
      campaignId: CAMPAIGN,
      itemId: 'i2',
      decision: keep(daysBefore(20)),
    });

    const demo = await readExportDirectory('examples/demo-account');
    const findings = new MemoryStore();
    let n = 0;
    const scan = (table: string) =>
      runScan(
        {
          collect: async () => ({ raw: demo, origin: 'live' }),
          store: findings,
          reviewState: reviewStateReader({ ...env.aws(), maxAttempts: 1 }, table),
          now: () => NOW,
          randomSuffix: () => (++n).toString(16).padStart(8, '0'),
          sleep: async () => {},
        },
        { settings: DEFAULT_SETTINGS },
      );

    const first = await scan(TABLE);
    const overdue = first.report.findings.filter((f) => f.ruleId === 'review-overdue');
    expect(overdue.map((f) => [f.resourceArn, f.subResource, f.evidence.reviewOwner])).toEqual([
      [UNREVIEWED, 'quarterly', 'team-platform'],
    ]);
    const keptFindings = first.report.findings.filter((f) => f.resourceArn === KEPT);
    expect(keptFindings.length).toBeGreaterThan(0);
    for (const finding of keptFindings) {
      expect(finding.suppression).toBeUndefined();
      expect(finding.attestation).toMatchObject({
        campaignId: CAMPAIGN,
        by: 'slack:T0TEAM/U0OWNER',
        justification: 'the vendor still restores our backups monthly',
      });
    }
    expect([...findings.findings.values()].find((f) => f.resourceArn === KEPT)?.attestation?.campaignId).toBe(
      CAMPAIGN,
    );

    const failing = await scan('no-such-table');
    const gap = failing.report.coverage.find((g) => g.source === 'iam-posture:review-state');
    expect(gap?.category).toBe('ReadFailed');
    expect(gap?.reason).toContain('ResourceNotFoundException');
    expect(failing.held.map((h) => h.ruleId)).toEqual(['review-overdue']);
    expect(failing.changes.filter((c) => c.kind === 'resolved')).toEqual([]);

    // The owner answers late: the next scan resolves the finding (and the gap).
    await store.decide(CAMPAIGN, 'team-platform', 'i1', keep(daysBefore(1)));
    const recovered = await scan(TABLE);
    expect(
      recovered.changes
        .filter((c) => c.kind === 'resolved')
        .map((c) => c.after.ruleId)
        .sort(),
    ).toEqual(['review-overdue', 'scan-coverage-gap']);
    expect(findings.findings.get(overdue[0]!.id)?.status).toBe('resolved');
  });
});
