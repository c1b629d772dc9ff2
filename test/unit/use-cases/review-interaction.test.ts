import { beforeEach, describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../../functions/core/review/types';
import type { SlackEnvelope } from '../../../functions/core/slack/envelope';
import {
  REVIEW_ACTION_IDS,
  REVIEW_VIEW_IDS,
  reviewItemValue,
} from '../../../functions/core/slack/review-messages';
import {
  type ReviewRouteDeps,
  reviewInteractionRouteOf,
} from '../../../functions/use-cases/review-interaction';
import type { SlackRoute } from '../../../functions/use-cases/slack-router';
import { aCampaign, anItem, NOW } from '../slack/review-fixtures';
import {
  FakeMessenger,
  FakeReductions,
  MemoryMessageLog,
  MemoryReviewStore,
  RecordingEvents,
} from './review-fakes';

const TEAM = 'T0TEAM0001';
const ALICE = 'U0ALICE001';
const BOB = 'U0BOB00001';
const REVIEWER = 'U0REVIEW01';
const STRANGER = 'U0STRANGE1';
const OPS = 'C0OPSCHAN1';
const ESCALATION = 'C0ESCALATE';
const DM = `D${ALICE.slice(1)}`;

let store: MemoryReviewStore;
let messages: MemoryMessageLog;
let messenger: FakeMessenger;
let events: RecordingEvents;
let reductions: FakeReductions;
let route: SlackRoute;
let item: ReviewItem;
let opsItem: ReviewItem;

function deps(overrides: Partial<ReviewRouteDeps> = {}): ReviewRouteDeps {
  return {
    store,
    messages,
    messenger,
    ownerSlack: { 'team-payments': ALICE, 'team-data': BOB, 'team-ops': OPS },
    escalationChannel: ESCALATION,
    reviewers: [{ teamId: TEAM, userId: REVIEWER }],
    attestationDays: 90,
    record: { store, events, reductions, timing: { attestationDays: 90 } },
    now: () => NOW,
    ...overrides,
  };
}

function click(
  answer: keyof typeof REVIEW_ACTION_IDS,
  target: ReviewItem,
  user = ALICE,
  where = { channelId: DM, messageTs: '1764000000.000001' },
): SlackEnvelope {
  return {
    kind: 'block_actions',
    teamId: TEAM,
    userId: user,
    actionId: REVIEW_ACTION_IDS[answer],
    value: reviewItemValue(target),
    ...where,
    triggerId: '123.456.abc',
    payload: {},
  };
}

function submit(
  callbackId: string,
  target: ReviewItem,
  values: Record<
    string,
    Record<string, { type: string; value?: string | null; selected_option?: { value: string } | null }>
  >,
  user = ALICE,
): SlackEnvelope {
  return {
    kind: 'view_submission',
    teamId: TEAM,
    userId: user,
    callbackId,
    privateMetadata: JSON.stringify({
      value: reviewItemValue(target),
      message: { channel: DM, ts: '1764000000.000001' },
    }),
    values,
    payload: {},
  };
}

const context = { now: NOW, retry: false };

beforeEach(async () => {
  store = new MemoryReviewStore();
  messages = new MemoryMessageLog();
  messenger = new FakeMessenger();
  events = new RecordingEvents();
  reductions = new FakeReductions();
  item = anItem({ itemId: 'pay1', identityName: 'payments-deploy', risk: 10 });
  const other = anItem({ itemId: 'pay2', identityName: 'payments-batch', risk: 5 });
  opsItem = anItem({ itemId: 'ops1', owner: 'team-ops', identityName: 'ops-runner' });
  await store.createCampaign(aCampaign({ owners: ['team-payments', 'team-ops'], itemCount: 3 }), [
    item,
    other,
    opsItem,
  ]);
  await messages.record({
    campaignId: item.campaignId,
    owner: 'team-payments',
    seq: 1,
    index: 1,
    count: 1,
    channel: DM,
    ts: '1764000000.000001',
    itemIds: ['pay1', 'pay2'],
    postedAt: NOW.toISOString(),
  });
  route = reviewInteractionRouteOf(deps());
});

describe('the review route', () => {
  it('claims review buttons and modals, and nothing else', () => {
    expect(route.matches(click('keep', item))).toBe(true);
    expect(route.matches({ ...click('keep', item), actionId: 'iam_posture_approve' } as SlackEnvelope)).toBe(
      false,
    );
    expect(route.matches(submit(REVIEW_VIEW_IDS.notMine, item, {}))).toBe(true);
    expect(route.matches(submit('iam_posture_jit_request', item, {}))).toBe(false);
  });

  it('opens the keep modal for the owner, and records nothing yet', async () => {
    const answer = await route.handle(click('keep', item), context);
    expect(answer).toMatchObject({ statusCode: 200, outcome: 'modal-opened', userId: ALICE });
    const [opened] = messenger.of('openModal');
    expect(opened?.triggerId).toBe('123.456.abc');
    expect(opened?.view.callback_id).toBe(REVIEW_VIEW_IDS.keep);
    expect(JSON.parse(opened!.view.private_metadata)).toEqual({
      value: reviewItemValue(item),
      message: { channel: DM, ts: '1764000000.000001' },
    });
    expect(JSON.stringify(opened?.view.blocks)).toContain('2027-03-03T09:00:00.000Z');
    expect((await store.getItem(item.campaignId, 'team-payments', 'pay1'))?.decision).toBeUndefined();
    expect(events.published).toEqual([]);
  });

  it('refuses a stranger with an ephemeral text, and changes nothing', async () => {
    for (const answer of ['keep', 'reduce', 'not-mine'] as const) {
      const result = await route.handle(click(answer, item, STRANGER), context);
      expect(result).toMatchObject({ statusCode: 200, outcome: 'not-a-reviewer' });
    }
    expect(messenger.of('tellUser').map((c) => [c.userId, c.text])).toEqual(
      Array(3).fill([
        STRANGER,
        'Only the owner of these identities (team-payments) or a configured reviewer may answer; nothing was changed.',
      ]),
    );
    expect(messenger.of('openModal')).toEqual([]);
    expect(messenger.of('update')).toEqual([]);
    expect(reductions.calls).toEqual([]);
    expect((await store.getItem(item.campaignId, 'team-payments', 'pay1'))?.decision).toBeUndefined();
  });

  it('refuses a stranger’s modal submission too', async () => {
    const answer = await route.handle(
      submit(
        REVIEW_VIEW_IDS.keep,
        item,
        { justification: { justification: { type: 'plain_text_input', value: 'mine now' } } },
        STRANGER,
      ),
      context,
    );
    expect(answer.outcome).toBe('not-a-reviewer');
    expect(answer.body).toMatchObject({ response_action: 'update' });
    expect((await store.getItem(item.campaignId, 'team-payments', 'pay1'))?.decision).toBeUndefined();
  });

  it('lets a configured reviewer answer for an owner reached through a channel, but not the channel’s members', async () => {
    const member = await route.handle(
      click('reduce', opsItem, BOB, { channelId: OPS, messageTs: '1764000000.000009' }),
      context,
    );
    expect(member.outcome).toBe('not-a-reviewer');
    const reviewer = await route.handle(
      click('reduce', opsItem, REVIEWER, { channelId: OPS, messageTs: '1764000000.000009' }),
      context,
    );
    expect(reviewer).toMatchObject({ statusCode: 200, outcome: 'reduce-recorded' });
    const decided = await store.getItem(opsItem.campaignId, 'team-ops', 'ops1');
    expect(decided?.decision).toMatchObject({
      answer: 'reduce',
      by: { kind: 'slack', id: REVIEWER, teamId: TEAM },
      remediationRequestIds: ['req-0001'],
    });
  });

  it('refuses a keep without a justification with a modal error', async () => {
    for (const value of [null, '', '   ']) {
      const answer = await route.handle(
        submit(REVIEW_VIEW_IDS.keep, item, {
          justification: { justification: { type: 'plain_text_input', value } },
        }),
        context,
      );
      expect(answer).toMatchObject({
        statusCode: 200,
        outcome: 'modal-errors',
        body: {
          response_action: 'errors',
          errors: {
            justification: 'Say why this identity still needs its access: the attestation records it.',
          },
        },
      });
    }
    expect((await store.getItem(item.campaignId, 'team-payments', 'pay1'))?.decision).toBeUndefined();
    expect(store.attestations.size).toBe(0);
  });

  it('records a keep with its justification, the attestation, and updates the message', async () => {
    const answer = await route.handle(
      submit(REVIEW_VIEW_IDS.keep, item, {
        justification: { justification: { type: 'plain_text_input', value: ' Deploys payments ' } },
      }),
      context,
    );
    expect(answer).toMatchObject({
      statusCode: 200,
      outcome: 'keep-recorded',
      body: { response_action: 'clear' },
    });
    const decided = await store.getItem(item.campaignId, 'team-payments', 'pay1');
    expect(decided?.decision).toEqual({
      answer: 'keep',
      by: { kind: 'slack', id: ALICE, teamId: TEAM },
      at: NOW.toISOString(),
      justification: 'Deploys payments',
      attestedUntil: '2027-03-03T09:00:00.000Z',
    });
    expect([...store.attestations.values()].map((a) => a.identityArn)).toEqual([item.identityArn]);
    const [update] = messenger.of('update');
    expect(update?.ref).toEqual({ channel: DM, ts: '1764000000.000001' });
    const blocks = JSON.stringify(update?.message.blocks);
    expect(blocks).not.toContain('actions_pay1');
    expect(blocks).toContain('answer_pay1');
    expect(blocks).toContain('actions_pay2');
    expect(events.published.map((e) => e.type)).toEqual(['ReviewDecided']);
  });

  it('acts once on a double click, and answers a retry of the recorded click silently', async () => {
    const first = await route.handle(click('reduce', item), context);
    expect(first.outcome).toBe('reduce-recorded');
    const second = await route.handle(click('reduce', item), context);
    expect(second.outcome).toBe('already-answered');
    expect(messenger.of('tellUser').at(-1)?.text).toBe(
      'payments-deploy was already answered (reduce); nothing more was done.',
    );
    const retry = await route.handle(click('reduce', item), { now: NOW, retry: true });
    expect(retry.outcome).toBe('retry-already-handled');
    expect(messenger.of('tellUser')).toHaveLength(1);
    expect(reductions.calls).toHaveLength(1);
    expect(events.published).toHaveLength(1);
    // A keep after the reduce opens no modal.
    expect((await route.handle(click('keep', item), context)).outcome).toBe('already-answered');
    expect(messenger.of('openModal')).toEqual([]);
  });

  it('tells the owner when a reduce could open no remediation request', async () => {
    route = reviewInteractionRouteOf(
      deps({
        record: {
          store,
          events,
          reductions: new FakeReductions({ none: 'no open finding can be remediated' }),
          timing: { attestationDays: 90 },
        },
      }),
    );
    const answer = await route.handle(click('reduce', item), context);
    expect(answer.outcome).toBe('reduce-recorded');
    expect(messenger.of('tellUser').map((c) => c.text)).toEqual([
      'Recorded: reduce payments-deploy. No remediation request was opened: no open finding can be remediated',
    ]);
  });

  it('hands an item to the new owner and posts it to their review', async () => {
    expect((await route.handle(click('not-mine', item), context)).outcome).toBe('modal-opened');
    const view = messenger.of('openModal')[0]!.view;
    expect(JSON.stringify(view.blocks)).toContain('"value":"team-data"');
    const answer = await route.handle(
      submit(REVIEW_VIEW_IDS.notMine, item, {
        new_owner: { new_owner: { type: 'static_select', selected_option: { value: 'team-data' } } },
        note: { note: { type: 'plain_text_input', value: 'the data team runs it' } },
      }),
      context,
    );
    expect(answer).toMatchObject({
      statusCode: 200,
      outcome: 'reassigned',
      body: { response_action: 'clear' },
    });
    expect(await store.getItem(item.campaignId, 'team-payments', 'pay1')).toBeUndefined();
    const moved = await store.getItem(item.campaignId, 'team-data', 'pay1');
    expect(moved?.handoffs).toEqual([
      {
        from: 'team-payments',
        to: 'team-data',
        by: { kind: 'slack', id: ALICE, teamId: TEAM },
        at: NOW.toISOString(),
        justification: 'the data team runs it',
      },
    ]);
    // The old message shows the handoff in place of the buttons.
    const update = messenger.of('update')[0]!;
    expect(JSON.stringify(update.message.blocks)).toContain('handed to team-data');
    // The new owner's review holds the item, with its buttons, and is recorded.
    const [posted] = messenger.of('post');
    expect(posted?.target).toBe(BOB);
    expect(JSON.stringify(posted?.message.blocks)).toContain(`<@${ALICE}> handed this identity to team-data`);
    expect(JSON.stringify(posted?.message.blocks)).toContain(reviewItemValue(moved!));
    expect(await messages.list(item.campaignId, 'team-data')).toMatchObject([
      { seq: 1, itemIds: ['pay1'], handedOverBy: { id: ALICE } },
    ]);
    // Bob may answer it now; Alice no longer can.
    expect((await route.handle(click('reduce', moved!, BOB), context)).outcome).toBe('reduce-recorded');
  });

  it('refuses to hand an item to an owner Slack cannot reach', async () => {
    const answer = await route.handle(
      submit(REVIEW_VIEW_IDS.notMine, item, {
        new_owner: { new_owner: { type: 'plain_text_input', value: 'team-nobody' } },
      }),
      context,
    );
    expect(answer.body).toEqual({
      response_action: 'errors',
      errors: {
        new_owner:
          'No Slack user or channel is configured for team-nobody, so their review cannot be posted. Name an owner from ownership.slack, or leave this empty.',
      },
    });
    expect((await store.getItem(item.campaignId, 'team-payments', 'pay1'))?.decision).toBeUndefined();
  });

  it('records a not mine without a new owner and tells the escalation channel', async () => {
    const answer = await route.handle(submit(REVIEW_VIEW_IDS.notMine, item, {}), context);
    expect(answer.outcome).toBe('not-mine-recorded');
    expect((await store.getItem(item.campaignId, 'team-payments', 'pay1'))?.decision?.answer).toBe(
      'not-mine',
    );
    const [posted] = messenger.of('post');
    expect(posted?.target).toBe(ESCALATION);
    expect(JSON.stringify(posted?.message.blocks)).toContain('not theirs, and named no new owner');
  });

  it('refuses what is not a review item, and a closed campaign', async () => {
    expect(
      await route.handle({ ...click('keep', item), value: 'not-an-item' } as SlackEnvelope, context),
    ).toMatchObject({
      statusCode: 400,
      outcome: 'malformed',
    });
    expect(
      (await route.handle(click('keep', anItem({ campaignId: 'unknown-campaign' })), context)).outcome,
    ).toBe('unknown-item');
    await store.close(item.campaignId, NOW);
    expect((await route.handle(click('keep', item), context)).outcome).toBe('campaign-closed');
    expect(messenger.of('openModal')).toEqual([]);
  });
});
