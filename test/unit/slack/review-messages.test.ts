import { describe, expect, it } from 'vitest';
import type { ReviewDecision } from '../../../functions/core/review/types';
import {
  escalationMessage,
  ITEMS_PER_MESSAGE,
  keepModal,
  MESSAGE_MAX_BLOCKS,
  notMineModal,
  ownerHash,
  parseReviewItemValue,
  REVIEW_ACTION_IDS,
  REVIEW_VIEW_IDS,
  type ReviewBlock,
  reminderMessage,
  reviewAnswerOf,
  reviewItemValue,
  reviewMessage,
  reviewMessages,
} from '../../../functions/core/slack/review-messages';
import { ACCOUNT, aCampaign, anItem, CAMPAIGN_ID, NOW } from './review-fixtures';

const ALICE = 'U0ALICE001';
const DEADLINE_LONG = '<!date^1797314400^{date_long} {time}|2026-12-15T06:00:00.000Z>';

/** Every text of a message or view (only the mrkdwn ones with `mrkdwnOnly`: Slack parses no markup in plain text). */
function allTexts(value: unknown, mrkdwnOnly = false): string[] {
  const texts: string[] = [];
  const walk = (inner: unknown): void => {
    if (Array.isArray(inner)) inner.forEach(walk);
    else if (inner && typeof inner === 'object') {
      if (mrkdwnOnly && (inner as { type?: unknown }).type === 'plain_text') return;
      for (const [key, v] of Object.entries(inner)) {
        if (key === 'text' && typeof v === 'string') texts.push(v);
        else walk(v);
      }
    }
  };
  walk(value);
  return texts;
}

const actionsOf = (blocks: ReviewBlock[]) =>
  blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []));

const keep = (overrides: Partial<ReviewDecision> = {}): ReviewDecision => ({
  answer: 'keep',
  by: { kind: 'slack', id: ALICE, teamId: 'T0TEAM0001' },
  at: '2026-12-02T10:00:00.000Z',
  justification: 'Deploys the payments service',
  attestedUntil: '2027-03-02T10:00:00.000Z',
  ...overrides,
});

describe('review button values', () => {
  it('carry campaign, owner hash and item id, and parse back', () => {
    const item = anItem({ itemId: 'a1b2c3d4e5f6a7b8' });
    const value = reviewItemValue(item);
    expect(value).toBe(`${CAMPAIGN_ID}.${ownerHash('team-payments')}.a1b2c3d4e5f6a7b8`);
    expect(value).toMatch(/^[A-Za-z0-9._-]{1,150}$/);
    expect(parseReviewItemValue(value)).toEqual({
      campaignId: CAMPAIGN_ID,
      ownerHash: ownerHash('team-payments'),
      itemId: 'a1b2c3d4e5f6a7b8',
    });
  });

  it('keep dots of the campaign id in the campaign id', () => {
    const value = reviewItemValue(anItem({ campaignId: 'manual.2026.12', itemId: 'abc' }));
    expect(parseReviewItemValue(value)?.campaignId).toBe('manual.2026.12');
  });

  it('hash owners so that any owner id fits, and different owners differ', () => {
    expect(ownerHash('team <payments> & co')).toMatch(/^[0-9a-f]{12}$/);
    expect(ownerHash('a')).not.toBe(ownerHash('b'));
  });

  it('refuse ids Slack could not carry, and values that are not ours', () => {
    expect(() => reviewItemValue(anItem({ campaignId: 'has space' }))).toThrow(/cannot be a button value/);
    expect(() => reviewItemValue(anItem({ itemId: 'x'.repeat(17) }))).toThrow(/cannot be a button value/);
    expect(parseReviewItemValue('5d0c3f1e9a8b7c6d5e4f3a2b1c0d9e8f')).toBeUndefined();
    expect(parseReviewItemValue(`${CAMPAIGN_ID}.${ownerHash('x')}.item-1`)).toBeUndefined();
    expect(parseReviewItemValue(`${CAMPAIGN_ID}.ABCDEF012345.item1`)).toBeUndefined();
  });

  it('map action ids to answers and nothing else', () => {
    expect(reviewAnswerOf(REVIEW_ACTION_IDS.keep)).toBe('keep');
    expect(reviewAnswerOf('iam_posture_review_reduce')).toBe('reduce');
    expect(reviewAnswerOf('iam_posture_review_not_mine')).toBe('not-mine');
    expect(reviewAnswerOf('iam_posture_approve')).toBeUndefined();
    for (const id of Object.values(REVIEW_ACTION_IDS))
      expect(id.startsWith('iam_posture_review_')).toBe(true);
    for (const id of Object.values(REVIEW_VIEW_IDS)) expect(id.startsWith('iam_posture_review_')).toBe(true);
  });
});

describe('an owner review message', () => {
  it('shows the campaign, deadline and each identity with Keep / Reduce / Not mine', () => {
    const item = anItem({
      itemId: 'abc123',
      identityName: 'payments-deploy',
      identityArn: `arn:aws:iam::${ACCOUNT}:role/payments-deploy`,
      adminEquivalent: true,
      canEscalate: true,
      unusedServices: ['ec2', 'rds', 's3', 'sqs', 'sns', 'kms', 'lambda'],
      lastUsedAt: '2026-11-30T12:00:00.000Z',
      credentialAgesDays: [120, 3],
      openFindings: [
        { ruleId: 'standing-admin', severity: 'critical', findingId: 'f1' },
        { ruleId: 'unused-service-permissions', severity: 'medium', findingId: 'f2' },
        { ruleId: 'role-unused', severity: 'medium', findingId: 'f3' },
      ],
      risk: 100,
    });
    const message = reviewMessage({
      campaign: aCampaign(),
      owner: 'team-payments',
      items: [item],
      now: NOW,
      ownerSlack: { 'team-payments': ALICE },
      accountNames: new Map([[ACCOUNT, 'payments-prod']]),
    });
    const value = `${CAMPAIGN_ID}.${ownerHash('team-payments')}.abc123`;
    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Access review: quarterly', emoji: true } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `team-payments (<@${ALICE}>) owns one identity in this review. For each, answer by *${DEADLINE_LONG}*: *Keep* (with a justification; recorded as an attestation), *Reduce* (its unused privilege goes to remediation, approved as usual) or *Not mine*.`,
        },
      },
      {
        type: 'section',
        block_id: 'item_abc123',
        text: {
          type: 'mrkdwn',
          text: ':bust_in_silhouette: Role `payments-deploy`\n:rotating_light: *admin-equivalent* · :warning: *can escalate its own privilege* · :zzz: unused services: ec2, rds, s3, sqs, sns, kms and 1 more',
        },
        fields: [
          { type: 'mrkdwn', text: '*Account*\n`123456789012` (payments-prod)' },
          {
            type: 'mrkdwn',
            text: '*Last used*\n<!date^1796040000^{date_short_pretty}|2026-11-30T12:00:00.000Z>',
          },
          { type: 'mrkdwn', text: '*Credential ages*\n120 d, 3 d' },
          {
            type: 'mrkdwn',
            text: '*Open findings*\n3: 1 critical, 2 medium\n`role-unused`, `standing-admin`, `unused-service-permissions`',
          },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `No attestation on record. · \`arn:aws:iam::${ACCOUNT}:role/payments-deploy\``,
          },
        ],
      },
      {
        type: 'actions',
        block_id: 'actions_abc123',
        elements: [
          {
            type: 'button',
            action_id: 'iam_posture_review_keep',
            text: { type: 'plain_text', text: 'Keep', emoji: true },
            value,
            style: 'primary',
          },
          {
            type: 'button',
            action_id: 'iam_posture_review_reduce',
            text: { type: 'plain_text', text: 'Reduce', emoji: true },
            value,
            style: 'danger',
            confirm: {
              title: { type: 'plain_text', text: 'Reduce this access?', emoji: true },
              text: {
                type: 'mrkdwn',
                text: 'Each open finding of `payments-deploy` that iam-posture can remediate becomes a remediation request, approved in Slack as usual. Nothing changes before that.',
              },
              confirm: { type: 'plain_text', text: 'Reduce', emoji: true },
              deny: { type: 'plain_text', text: 'Cancel', emoji: true },
            },
          },
          {
            type: 'button',
            action_id: 'iam_posture_review_not_mine',
            text: { type: 'plain_text', text: 'Not mine', emoji: true },
            value,
          },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Campaign \`${CAMPAIGN_ID}\` · started <!date^1796104800^{date_short_pretty}|2026-12-01T06:00:00.000Z> · answered here: 0 of 1`,
          },
        ],
      },
    ]);
    expect(message.text).toBe(
      `Access review ${CAMPAIGN_ID} for team-payments: 1 identities to answer by 2026-12-15 (keep, reduce or not mine).`,
    );
  });

  it('lists the riskiest identities first', () => {
    const low = anItem({ identityName: 'low', risk: 1 });
    const high = anItem({ identityName: 'high', risk: 50 });
    const mid = anItem({ identityName: 'mid', risk: 10 });
    const message = reviewMessage({
      campaign: aCampaign(),
      owner: 'team-payments',
      items: [low, high, mid],
      now: NOW,
    });
    const names = message.blocks
      .filter((b) => b.type === 'section' && b.block_id?.startsWith('item_'))
      .map((b) => (b.type === 'section' ? /`([^`]+)`/.exec(b.text.text)?.[1] : undefined));
    expect(names).toEqual(['high', 'mid', 'low']);
  });

  it('escapes names, owners and justifications from tags and people', () => {
    const item = anItem({
      identityName: '<!channel> & *bold*',
      identityArn: `arn:aws:iam::${ACCOUNT}:role/<!here>`,
      unusedServices: ['<@U0EVIL0001>'],
      decision: keep({ justification: 'see <https://evil.example|here> & <!everyone>' }),
    });
    const message = reviewMessage({
      campaign: aCampaign({ scope: '<!channel>' }),
      owner: '<@U0EVIL0001> & co',
      items: [item],
      now: NOW,
      attestations: new Map([[item.identityArn, keep({ justification: '<!subteam^S1>' })]]),
    });
    const texts = [...allTexts(message.blocks, true), message.text];
    for (const text of texts) {
      for (const match of text.matchAll(/<([^>]*)>/g)) {
        expect(match[1], text).toMatch(/^(!date\^\d+\^[^|]+\|[0-9TZ:.-]+|@U0ALICE001)$/);
      }
    }
    expect(texts.join('\n')).toContain('&lt;!channel&gt; &amp; *bold*');
    expect(texts.join('\n')).toContain('&lt;@U0EVIL0001&gt; &amp; co');
  });

  it('replaces an answered identity`s buttons with its answer, for every answer', () => {
    const answers: [ReviewDecision, string][] = [
      [
        keep(),
        `:white_check_mark: *Kept* by <@${ALICE}> <!date^1796205600^{date_short_pretty}|2026-12-02T10:00:00.000Z>, attested until <!date^1803981600^{date_short_pretty}|2027-03-02T10:00:00.000Z>. “Deploys the payments service”`,
      ],
      [
        {
          answer: 'reduce',
          by: { kind: 'slack', id: ALICE },
          at: '2026-12-02T10:00:00.000Z',
          remediationRequestId: 'req0001',
        },
        `:scissors: *Reduce* requested by <@${ALICE}> <!date^1796205600^{date_short_pretty}|2026-12-02T10:00:00.000Z>. Remediation request \`req0001\` waits for approval.`,
      ],
      [
        {
          answer: 'not-mine',
          by: { kind: 'slack', id: ALICE },
          at: '2026-12-02T10:00:00.000Z',
          reassignedTo: 'team-data',
        },
        `:arrow_right: *Not mine*: handed to team-data by <@${ALICE}> <!date^1796205600^{date_short_pretty}|2026-12-02T10:00:00.000Z>.`,
      ],
      [
        {
          answer: 'not-mine',
          by: { kind: 'slack', id: ALICE },
          at: '2026-12-02T10:00:00.000Z',
          justification: 'never seen it',
        },
        `:grey_question: *Not mine*, said <@${ALICE}> <!date^1796205600^{date_short_pretty}|2026-12-02T10:00:00.000Z>; left for the review's escalation channel to find its owner. “never seen it”`,
      ],
    ];
    for (const [decision, line] of answers) {
      const answered = anItem({ itemId: 'done1', decision });
      const open = anItem({ itemId: 'open1', risk: 0 });
      const message = reviewMessage({
        campaign: aCampaign(),
        owner: 'team-payments',
        items: [answered, open],
        now: NOW,
      });
      expect(message.blocks).toContainEqual({
        type: 'section',
        block_id: 'answer_done1',
        text: { type: 'mrkdwn', text: line },
      });
      expect(message.blocks.some((b) => b.type === 'actions' && b.block_id === 'actions_done1')).toBe(false);
      expect(actionsOf(message.blocks).map((b) => b.value)).toEqual([
        reviewItemValue(open),
        reviewItemValue(open),
        reviewItemValue(open),
      ]);
      expect(JSON.stringify(message.blocks.at(-1))).toContain('answered here: 1 of 2');
    }
  });

  it('names every remediation request a reduce opened, or why none was', () => {
    const line = (decision: ReviewDecision) => {
      const message = reviewMessage({
        campaign: aCampaign(),
        owner: 'o',
        items: [anItem({ itemId: 'r1', decision })],
        now: NOW,
      });
      const block = message.blocks.find((b) => b.type === 'section' && b.block_id === 'answer_r1');
      return block?.type === 'section' ? block.text.text : undefined;
    };
    const by = { kind: 'slack' as const, id: ALICE };
    const at = '2026-12-02T10:00:00.000Z';
    expect(line({ answer: 'reduce', by, at, remediationRequestIds: ['a1', 'b2', 'c3'] })).toContain(
      '3 remediation requests wait for approval: `a1`, `b2`, `c3`.',
    );
    expect(
      line({
        answer: 'reduce',
        by,
        at,
        remediationRequestIds: [],
        reductionUnavailable: 'role-unused: <protected>',
      }),
    ).toMatch(/\. No remediation request was opened: role-unused: &lt;protected&gt;$/);
  });

  it('shows the current attestation, and says when it expired', () => {
    const item = anItem();
    const context = (attestation: ReviewDecision) => {
      const message = reviewMessage({
        campaign: aCampaign(),
        owner: 'team-payments',
        items: [item],
        now: NOW,
        attestations: new Map([[item.identityArn, attestation]]),
      });
      const block = message.blocks[3];
      return block?.type === 'context' ? block.elements[0]?.text : undefined;
    };
    expect(context(keep())).toMatch(
      /^Kept by <@U0ALICE001> <!date\^1796205600\^\{date_short_pretty\}\|2026-12-02T10:00:00.000Z>, attested until <!date\^1803981600\^\{date_short_pretty\}\|2027-03-02T10:00:00.000Z>: “Deploys the payments service” · `/,
    );
    // Exactly at its end the attestation no longer holds.
    expect(context(keep({ attestedUntil: NOW.toISOString() }))).toMatch(
      /^Attestation by <@U0ALICE001> expired <!date\^1796288400\^/,
    );
  });
});

describe('a review with many identities', () => {
  it('splits across messages of at most 50 blocks, each identity once, riskiest first', () => {
    const items = Array.from({ length: 40 }, (_, i) => anItem({ itemId: `many${i}`, risk: 100 - i }));
    const messages = reviewMessages({ campaign: aCampaign(), owner: 'team-payments', items, now: NOW });
    expect(ITEMS_PER_MESSAGE).toBe(15);
    expect(messages.map((m) => m.blocks.length)).toEqual([48, 48, 33]);
    for (const message of messages) expect(message.blocks.length).toBeLessThanOrEqual(MESSAGE_MAX_BLOCKS);
    const ids = messages.flatMap((m) =>
      actionsOf(m.blocks).filter((b) => b.action_id === REVIEW_ACTION_IDS.keep),
    );
    expect(ids.map((b) => parseReviewItemValue(b.value)?.itemId)).toEqual(items.map((item) => item.itemId));
    expect(messages.map((m) => (m.blocks[0]?.type === 'header' ? m.blocks[0].text.text : ''))).toEqual([
      'Access review: quarterly (1/3)',
      'Access review: quarterly (2/3)',
      'Access review: quarterly (3/3)',
    ]);
    expect(allTexts(messages[0]!.blocks)[1]).toContain('owns 40 identities');
    expect(allTexts(messages[2]!.blocks)[1]).toMatch(/^Continued: identities 31 onwards of 40/);
  });

  it('refuses to build one message of more identities than fit', () => {
    const items = Array.from({ length: ITEMS_PER_MESSAGE + 1 }, () => anItem());
    expect(() => reviewMessage({ campaign: aCampaign(), owner: 'o', items, now: NOW })).toThrow(/at most 15/);
  });

  it('keeps each message under the limit with the longest values', () => {
    const items = Array.from({ length: ITEMS_PER_MESSAGE }, (_, i) =>
      anItem({
        itemId: `long${i}`,
        identityName: 'n'.repeat(5000),
        unusedServices: Array.from({ length: 300 }, (_, j) => `service-${j}`),
        openFindings: Array.from({ length: 400 }, (_, j) => ({
          ruleId: `rule-${j}`,
          severity: 'high' as const,
          findingId: `f${j}`,
        })),
        decision: i % 2 === 0 ? keep({ justification: 'j'.repeat(5000) }) : undefined,
      }),
    );
    const [message, ...rest] = reviewMessages({
      campaign: aCampaign(),
      owner: 'o'.repeat(3000),
      items,
      now: NOW,
    });
    expect(rest).toEqual([]);
    expect(message!.blocks.length).toBeLessThanOrEqual(MESSAGE_MAX_BLOCKS);
    for (const block of message!.blocks) {
      if (block.type === 'section') {
        expect(block.text.text.length).toBeLessThanOrEqual(3000);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
      }
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
    }
    expect(message!.text.length).toBeLessThanOrEqual(3000);
  });
});

describe('reminder and escalation', () => {
  it('reminds the owner of what still waits, before the deadline', () => {
    const items = [
      anItem({ identityName: 'a', adminEquivalent: true, risk: 9 }),
      anItem({ identityName: 'b' }),
    ];
    const message = reminderMessage({
      campaign: aCampaign(),
      owner: 'team-payments',
      items,
      ownerSlack: { 'team-payments': ALICE },
    });
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Reminder: access review quarterly', emoji: true },
    });
    expect(allTexts(message.blocks)[1]).toBe(
      `2 identities still wait for team-payments (<@${ALICE}>)'s answer. The review closes *${DEADLINE_LONG}*; unanswered identities are then escalated and reported as overdue. Answer on the review message.\n• role \`a\` in \`${ACCOUNT}\` (admin-equivalent)\n• role \`b\` in \`${ACCOUNT}\``,
    );
    expect(message.text).toBe(
      `Reminder: 2 identities of access review ${CAMPAIGN_ID} wait for team-payments's answer by 2026-12-15.`,
    );
  });

  it('escalates unanswered and disowned identities to the channel', () => {
    const open = anItem({ identityName: 'open-one' });
    const disowned = anItem({
      identityName: 'orphan',
      decision: { answer: 'not-mine', by: { kind: 'slack', id: ALICE }, at: '2026-12-02T10:00:00.000Z' },
    });
    const message = escalationMessage({
      campaign: aCampaign(),
      owner: 'team-payments',
      items: [open, disowned],
    });
    const texts = allTexts(message.blocks);
    expect(texts[0]).toBe('Access review overdue: quarterly');
    expect(texts[1]).toBe(
      `team-payments did not answer for one identity by ${DEADLINE_LONG}; each is now a \`review-overdue\` finding.\n• role \`open-one\` in \`${ACCOUNT}\``,
    );
    expect(texts[2]).toBe(
      `team-payments says this identity is not theirs, and named no new owner:\n• role \`orphan\` in \`${ACCOUNT}\``,
    );
    expect(message.text).toBe(
      `Access review ${CAMPAIGN_ID} overdue: team-payments left 1 identities unanswered and 1 without an owner.`,
    );
  });

  it('lists at most ten identities and counts the rest', () => {
    const items = Array.from({ length: 13 }, () => anItem());
    const text = allTexts(reminderMessage({ campaign: aCampaign(), owner: 'o', items }).blocks)[1]!;
    expect(text.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(10);
    expect(text).toContain('… and 3 more');
  });
});

describe('review modals', () => {
  it('keep asks for a justification and shows when the attestation ends', () => {
    const item = anItem({ identityName: 'payments-deploy', adminEquivalent: true });
    const view = keepModal({
      item,
      attestedUntil: '2027-03-03T09:00:00.000Z',
      attestationDays: 90,
      privateMetadata: 'meta',
    });
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'iam_posture_review_keep_modal',
      title: { type: 'plain_text', text: 'Keep access' },
      submit: { type: 'plain_text', text: 'Keep' },
      private_metadata: 'meta',
    });
    expect(allTexts(view.blocks)[1]).toBe(
      'Your answer is recorded as an attestation that holds until *<!date^1804064400^{date_long}|2027-03-03T09:00:00.000Z>* (90 days). It suppresses no finding; it is shown with the identity.',
    );
    expect(view.blocks[2]).toEqual({
      type: 'input',
      block_id: 'justification',
      label: { type: 'plain_text', text: 'Why does it need this access?', emoji: true },
      element: {
        type: 'plain_text_input',
        action_id: 'justification',
        multiline: true,
        max_length: 1000,
        placeholder: {
          type: 'plain_text',
          text: 'What uses it, and why the privilege is needed',
          emoji: true,
        },
      },
    });
    expect(() =>
      keepModal({ item, attestedUntil: '', attestationDays: 1, privateMetadata: 'x'.repeat(3001) }),
    ).toThrow(/private_metadata/);
  });

  it('not mine offers the known owners but the current one, and an optional note', () => {
    const view = notMineModal({
      item: anItem({ owner: 'team-payments' }),
      knownOwners: ['team-web', 'team-payments', 'team-data', 'team-web'],
      privateMetadata: 'meta',
    });
    expect(view.callback_id).toBe('iam_posture_review_not_mine_modal');
    expect(view.blocks[1]).toMatchObject({
      type: 'input',
      block_id: 'new_owner',
      optional: true,
      element: {
        type: 'static_select',
        action_id: 'new_owner',
        options: [
          { text: { type: 'plain_text', text: 'team-data' }, value: 'team-data' },
          { text: { type: 'plain_text', text: 'team-web' }, value: 'team-web' },
        ],
      },
    });
    expect(view.blocks[2]).toMatchObject({ type: 'input', block_id: 'note', optional: true });
  });

  it('not mine asks for the owner id as text when no owner is known', () => {
    const view = notMineModal({ item: anItem(), knownOwners: [], privateMetadata: '' });
    expect(view.blocks[1]).toMatchObject({
      block_id: 'new_owner',
      element: { type: 'plain_text_input', action_id: 'new_owner' },
    });
  });
});
