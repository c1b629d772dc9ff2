import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoReviewStore } from '../../functions/adapters/dynamo-review-store';
import type { Finding } from '../../functions/core/finding';
import type { Actor } from '../../functions/core/remediation/request';
import { evidenceCsv } from '../../functions/core/review/evidence';
import { reviewItemId } from '../../functions/core/review/plan';
import type { ReviewEvent, ReviewItem } from '../../functions/core/review/types';
import { advanceReviewCampaigns } from '../../functions/use-cases/advance-review-campaigns';
import { recordReviewDecision } from '../../functions/use-cases/record-review-decision';
import { reviewEvidence } from '../../functions/use-cases/review-evidence';
import type { ReductionRequests, ReviewEvents } from '../../functions/use-cases/review-ports';
import { startDueCampaigns, startReviewCampaign } from '../../functions/use-cases/start-review-campaign';
import { ACCOUNT_ID, anInventory, aPolicy, aRole, aSecret, daysFromNow, NOW } from '../support/builders';
import { useMotoWithTable } from '../support/moto-table';

/**
 * A review campaign on moto: started from an inventory, answered each way (keep, reduce, not
 * mine), then taken past its reminder and its deadline, and exported as evidence.
 */

const TABLE = 'iam-posture-findings';
const OPS: Actor = { kind: 'slack', id: 'U0OWNER01', teamId: 'T0TEAM001' };
const TIMING = { deadlineDays: 14, remindBeforeDays: 3, attestationDays: 90 };
const OWNERSHIP = { tagKeys: ['owner'], patterns: [] };

let store: DynamoReviewStore;
let events: { type: ReviewEvent; detail: Record<string, unknown> }[];
let reductions: { item: ReviewItem; by: Actor }[];

const recordingEvents: ReviewEvents = {
  publish: async (type, detail) => {
    events.push({ type, detail });
  },
};

const fakeReductions: ReductionRequests = {
  requestReduction: async (item, by) => {
    reductions.push({ item, by });
    return item.openFindings.length > 0
      ? { requestIds: item.openFindings.map((f) => `req-${f.findingId}`) }
      : { none: 'no open finding of this identity can be remediated' };
  },
};

const arn = (name: string) => `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;

const inventory = anInventory({
  roles: [
    aRole({
      name: 'admin-ci',
      tags: { owner: 'platform' },
      managedPolicies: [
        {
          arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
          name: 'AdministratorAccess',
          awsManaged: true,
          document: aPolicy([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
        },
      ],
    }),
    aRole({ name: 'reporting', tags: { owner: 'payments' } }),
    aRole({ name: 'batch', tags: { owner: 'payments' } }),
    aRole({ name: 'legacy', tags: { owner: 'payments' } }),
  ],
  secrets: [aSecret({ name: 'prod/db', tags: { owner: 'payments' } })],
});

const findings: Finding[] = [
  {
    id: 'f-reporting-unused',
    ruleId: 'role-unused',
    title: 'Roles are used',
    severity: 'medium',
    baseSeverity: 'medium',
    resourceType: 'role',
    resourceArn: arn('reporting'),
    accountId: ACCOUNT_ID,
    reason: 'Role reporting was last used 120 days ago.',
    evidence: {},
    compliance: [],
    remediation: { summary: 'quarantine', action: 'quarantine-role' },
    result: 'fail',
    riskScore: 10,
  },
];

function deps() {
  return { store, events: recordingEvents, reductions: fakeReductions, timing: TIMING };
}

async function start(now = NOW) {
  return startReviewCampaign(
    {
      scope: 'all',
      accountId: ACCOUNT_ID,
      inventory,
      findings,
      startedBy: { kind: 'cli', id: 'ops' },
      now,
      timing: TIMING,
      ownership: OWNERSHIP,
      thresholds: { serviceUnusedDays: 90 },
    },
    deps(),
  );
}

const env = useMotoWithTable(TABLE);

beforeEach(async () => {
  store = new DynamoReviewStore(env.dynamo, TABLE, { sleep: async () => {} });
  events = [];
  reductions = [];
});

describe('review campaign lifecycle', () => {
  it('starts a campaign listing each owner its identities, most risky first, and announces it', async () => {
    const { campaign, items, created } = await start();
    expect(created).toBe(true);
    expect(campaign).toMatchObject({
      scope: 'manual',
      accountIds: [ACCOUNT_ID],
      state: 'open',
      itemCount: 5,
      deadline: daysFromNow(14).toISOString(),
      remindAt: daysFromNow(11).toISOString(),
    });
    expect(campaign.owners).toEqual(['platform', 'payments']);
    expect(items[0]).toMatchObject({ identityName: 'admin-ci', adminEquivalent: true, owner: 'platform' });

    expect(await store.getCampaign(campaign.campaignId)).toEqual(campaign);
    const payments = await store.listItems(campaign.campaignId, 'payments');
    expect(payments.map((item) => item.identityName)).toEqual(['reporting', 'batch', 'legacy', 'prod/db']);
    expect(payments[0]).toMatchObject({
      identityName: 'reporting',
      openFindings: [{ ruleId: 'role-unused', findingId: 'f-reporting-unused' }],
    });
    expect((await store.listCampaigns('open')).map((c) => c.campaignId)).toEqual([campaign.campaignId]);
    expect(events).toEqual([
      {
        type: 'ReviewCampaignStarted',
        detail: {
          version: 1,
          campaignId: campaign.campaignId,
          accountIds: [ACCOUNT_ID],
          owners: campaign.owners,
          itemCount: 5,
        },
      },
    ]);
  });

  it('starts each due rhythm once per period, whatever the number of deliveries', async () => {
    const input = {
      rhythms: [
        { name: 'quarterly', every: 'quarterly' as const, scope: 'all' as const },
        { name: 'admin-monthly', every: 'monthly' as const, scope: 'admin-equivalent' as const },
      ],
      accountId: ACCOUNT_ID,
      inventory,
      findings,
      startedBy: { kind: 'system' as const, id: 'iam-posture' },
      now: NOW,
      timing: TIMING,
      ownership: OWNERSHIP,
      thresholds: { serviceUnusedDays: 90 },
    };
    const first = await startDueCampaigns(input, deps());
    expect(first.map((r) => [r.campaign.campaignId, r.campaign.itemCount])).toEqual([
      [`quarterly.2026-Q2.${ACCOUNT_ID}`, 5],
      [`admin-monthly.2026-06.${ACCOUNT_ID}`, 1],
    ]);
    expect(await startDueCampaigns(input, deps())).toEqual([]);
    // Redelivered with a stale view of what started: the conditional create still starts nothing.
    const again = await startReviewCampaign(
      { ...input, scope: 'all', rhythm: 'quarterly', campaignId: `quarterly.2026-Q2.${ACCOUNT_ID}` },
      deps(),
    );
    expect(again.created).toBe(false);
    expect(events.filter((e) => e.type === 'ReviewCampaignStarted')).toHaveLength(2);
    expect(await store.lastStartedByRhythm(ACCOUNT_ID)).toEqual({
      quarterly: NOW.toISOString(),
      'admin-monthly': NOW.toISOString(),
    });
    const july = await startDueCampaigns({ ...input, now: new Date('2026-07-01T00:00:00Z') }, deps());
    expect(july.map((r) => r.campaign.campaignId)).toEqual([
      `quarterly.2026-Q3.${ACCOUNT_ID}`,
      `admin-monthly.2026-07.${ACCOUNT_ID}`,
    ]);
  });

  it('answers keep, reduce and not mine, then reminds, escalates, marks overdue and closes at the deadline', async () => {
    const { campaign } = await start();
    const id = campaign.campaignId;
    const item = (name: string) => reviewItemId(arn(name));
    const answeredAt = daysFromNow(1);

    // keep: a justification is required; the attestation holds for attestationDays.
    const refused = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'platform',
        itemId: item('admin-ci'),
        answer: 'keep',
        by: OPS,
        now: answeredAt,
      },
      deps(),
    );
    expect(refused).toMatchObject({ outcome: 'refused', reason: 'justification-required' });
    const kept = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'platform',
        itemId: item('admin-ci'),
        answer: 'keep',
        justification: 'deploys every stack',
        by: OPS,
        now: answeredAt,
      },
      deps(),
    );
    expect(kept).toMatchObject({
      outcome: 'recorded',
      item: { decision: { answer: 'keep', attestedUntil: daysFromNow(91).toISOString() } },
    });
    expect(await store.listAttestations(ACCOUNT_ID)).toEqual([
      {
        accountId: ACCOUNT_ID,
        identityArn: arn('admin-ci'),
        campaignId: id,
        itemId: item('admin-ci'),
        decision: {
          answer: 'keep',
          by: OPS,
          at: answeredAt.toISOString(),
          justification: 'deploys every stack',
          attestedUntil: daysFromNow(91).toISOString(),
        },
      },
    ]);
    const twice = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'platform',
        itemId: item('admin-ci'),
        answer: 'reduce',
        by: OPS,
        now: answeredAt,
      },
      deps(),
    );
    expect(twice).toMatchObject({ outcome: 'refused', reason: 'already-decided' });

    // reduce: each open finding becomes a remediation request, and the answer names them.
    const reduced = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'payments',
        itemId: item('reporting'),
        answer: 'reduce',
        by: OPS,
        now: answeredAt,
      },
      deps(),
    );
    expect(reduced).toMatchObject({ outcome: 'recorded', requestIds: ['req-f-reporting-unused'] });
    expect(reductions.map((r) => [r.item.identityName, r.by.id])).toEqual([['reporting', 'U0OWNER01']]);
    expect((await store.getItem(id, 'payments', item('reporting')))?.decision?.remediationRequestIds).toEqual(
      ['req-f-reporting-unused'],
    );

    // not mine, handed to another owner: the item moves, undecided, and the campaign lists the owner.
    const moved = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'payments',
        itemId: item('batch'),
        answer: 'not-mine',
        reassignTo: 'data',
        justification: 'data team runs it',
        by: OPS,
        now: answeredAt,
      },
      deps(),
    );
    expect(moved).toMatchObject({ outcome: 'reassigned', from: 'payments', to: 'data' });
    expect(await store.getItem(id, 'payments', item('batch'))).toBeUndefined();
    const dataItems = await store.listItems(id, 'data');
    expect(
      dataItems.map((i) => [i.identityName, i.decision, i.handoffs?.map((h) => `${h.from}->${h.to}`)]),
    ).toEqual([['batch', undefined, ['payments->data']]]);
    expect((await store.getCampaign(id))?.owners).toContain('data');

    // not mine without an owner: recorded for the escalation channel, then resolved there.
    const unclaimed = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'payments',
        itemId: item('legacy'),
        answer: 'not-mine',
        by: OPS,
        now: answeredAt,
      },
      deps(),
    );
    expect(unclaimed).toMatchObject({
      outcome: 'recorded',
      escalate: true,
      item: { decision: { answer: 'not-mine' } },
    });

    // Reminder instant: the unanswered items (batch under data, the secret) are reminded once.
    const remindAt = new Date(campaign.remindAt);
    const reminded = await advanceReviewCampaigns(remindAt, { store, events: recordingEvents });
    expect(reminded.reminders.map((r) => [r.owner, r.items.map((i) => i.identityName)]).sort()).toEqual([
      ['data', ['batch']],
      ['payments', ['prod/db']],
    ]);
    expect(reminded.escalations).toEqual([]);
    expect((await advanceReviewCampaigns(remindAt, { store, events: recordingEvents })).reminders).toEqual(
      [],
    );

    // Before the deadline: the escalation channel hands the unclaimed item to its owner.
    const resolved = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'payments',
        itemId: item('legacy'),
        answer: 'not-mine',
        reassignTo: 'archive',
        by: { kind: 'slack', id: 'U0SECOPS1', teamId: 'T0TEAM001' },
        now: daysFromNow(12),
      },
      deps(),
    );
    expect(resolved).toMatchObject({ outcome: 'reassigned', to: 'archive' });

    // Deadline: every unanswered item is escalated and overdue, once; the campaign closes.
    const deadline = new Date(campaign.deadline);
    const escalated = await advanceReviewCampaigns(deadline, { store, events: recordingEvents });
    expect(escalated.escalations.map((r) => [r.owner, r.items.map((i) => i.identityName)]).sort()).toEqual([
      ['archive', ['legacy']],
      ['data', ['batch']],
      ['payments', ['prod/db']],
    ]);
    expect(escalated.overdue).toBe(3);
    expect(escalated.closed).toEqual([id]);
    const overdueEvents = events.filter((e) => e.type === 'ReviewOverdue').map((e) => e.detail.identityArn);
    expect(overdueEvents.sort()).toEqual([arn('batch'), arn('legacy'), inventory.secrets[0]!.arn].sort());
    expect((await store.getCampaign(id))?.state).toBe('closed');
    expect(await store.listCampaigns('open')).toEqual([]);
    const after = await advanceReviewCampaigns(daysFromNow(20), { store, events: recordingEvents });
    expect(after).toEqual({ reminders: [], escalations: [], overdue: 0, closed: [] });

    // A late answer is still recorded.
    const late = await recordReviewDecision(
      {
        campaignId: id,
        owner: 'payments',
        itemId: reviewItemId(inventory.secrets[0]!.arn),
        answer: 'keep',
        justification: 'the app database',
        by: OPS,
        now: daysFromNow(16),
      },
      deps(),
    );
    expect(late).toMatchObject({ outcome: 'recorded' });

    // Evidence: one row per identity with who answered what, when and why.
    const evidence = await reviewEvidence(id, { store });
    const rows = Object.fromEntries(evidence.rows.map((row) => [row.identityName, row]));
    expect(evidence.rows).toHaveLength(5);
    expect(rows['admin-ci']).toMatchObject({
      answer: 'keep',
      justification: 'deploys every stack',
      decidedBy: 'slack:T0TEAM001/U0OWNER01',
    });
    expect(rows.reporting).toMatchObject({
      answer: 'reduce',
      remediationRequestIds: 'req-f-reporting-unused',
    });
    expect(rows.batch).toMatchObject({
      answer: 'unanswered',
      owner: 'data',
      handoffs: `payments -> data by slack:T0TEAM001/U0OWNER01 at ${answeredAt.toISOString()}`,
    });
    expect(rows.legacy).toMatchObject({
      answer: 'unanswered',
      owner: 'archive',
      escalatedAt: deadline.toISOString(),
    });
    expect(rows['prod/db']).toMatchObject({
      answer: 'keep',
      remindedAt: remindAt.toISOString(),
      escalatedAt: deadline.toISOString(),
    });
    const csv = evidenceCsv(evidence.rows).split('\r\n');
    expect(csv[0]!.startsWith('campaignId,campaignScope,')).toBe(true);
    expect(csv).toHaveLength(7);
  });

  it('answers a double click once', async () => {
    const { campaign } = await start();
    const input = {
      campaignId: campaign.campaignId,
      owner: 'payments',
      itemId: reviewItemId(arn('reporting')),
      answer: 'reduce' as const,
      by: OPS,
      now: NOW,
    };
    const outcomes = await Promise.all([
      recordReviewDecision(input, deps()),
      recordReviewDecision(input, deps()),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['recorded', 'refused']);
    expect(events.filter((e) => e.type === 'ReviewDecided')).toHaveLength(1);
  });
});
