import type { Approver } from '../core/deploy-config';
import { describeError } from '../core/describe-error';
import type { ReviewCampaign, ReviewItem } from '../core/review/types';
import { isApprover, type SlackUser, slackActor } from '../core/slack/approvers';
import type { SlackEnvelope } from '../core/slack/envelope';
import {
  escalationMessage,
  ITEMS_PER_MESSAGE,
  keepModal,
  notMineModal,
  orderReviewItems,
  ownerHash,
  parseReviewItemValue,
  REVIEW_INPUTS,
  REVIEW_VIEW_IDS,
  type ReviewItemRef,
  reviewAnswerOf,
  reviewItemValue,
  reviewMessage,
} from '../core/slack/review-messages';
import { attestationsOf, postOwnerReview, type ReviewSlackDeps, targetOf } from './announce-review';
import {
  type RecordReviewDeps,
  type RecordReviewOutcome,
  recordReviewDecision,
} from './record-review-decision';
import type { ReviewStore } from './review-ports';
import type { ReviewMessageRecord, SlackMessageRef } from './review-slack-ports';
import type { InteractionAnswer, RouteContext, SlackRoute } from './slack-router';

/**
 * The review buttons and modals as a route of the Slack interaction endpoint. Who may answer for
 * an item: the Slack user its owner maps to (a user id in `ownership.slack`), or a configured
 * reviewer (for an owner mapped to a channel, only they). Everyone else gets an ephemeral refusal
 * and nothing is read beyond what tells who the owner is, nothing is changed.
 *
 * Keep opens a modal (the justification is required; the attestation's expiry is shown) and is
 * recorded on submission; Reduce is recorded at once, opening a remediation request per open
 * remediable finding of the identity; Not mine opens a modal naming the new owner, whose review
 * then gets the identity. The store's conditional writes settle double clicks and Slack's retries:
 * a second answer for an item is refused, and a retry of an answer already recorded is silent.
 * After each answer the message it came from is rebuilt, so the item's buttons give way to it.
 */

export interface ReviewRouteDeps extends ReviewSlackDeps {
  store: Pick<ReviewStore, 'getCampaign' | 'getItem' | 'listItems' | 'listAttestations'>;
  record: RecordReviewDeps;
  /** May answer for any owner. */
  reviewers: readonly Approver[];
  attestationDays: number;
}

/** What a modal carries back: the item's button value and the message it was opened from. */
interface ModalMetadata {
  value: string;
  message?: SlackMessageRef;
}

const DAY_MS = 86_400_000;

export function reviewInteractionRouteOf(deps: ReviewRouteDeps): SlackRoute {
  return {
    name: 'reviews',
    matches: (envelope) =>
      (envelope.kind === 'block_actions' && reviewAnswerOf(envelope.actionId) !== undefined) ||
      (envelope.kind === 'view_submission' &&
        (envelope.callbackId === REVIEW_VIEW_IDS.keep || envelope.callbackId === REVIEW_VIEW_IDS.notMine)),
    handle: (envelope, context) => new ReviewInteraction(envelope, deps, context).handle(),
  };
}

type Resolved =
  | { ok: true; campaign: ReviewCampaign; owner: string; item: ReviewItem }
  | { ok: false; answer: InteractionAnswer };

class ReviewInteraction {
  private readonly warnings: string[] = [];
  private readonly user: SlackUser;

  constructor(
    private readonly envelope: SlackEnvelope,
    private readonly deps: ReviewRouteDeps,
    private readonly context: RouteContext,
  ) {
    this.user = { teamId: envelope.teamId, userId: envelope.userId };
  }

  async handle(): Promise<InteractionAnswer> {
    const { envelope } = this;
    if (envelope.kind === 'block_actions') return this.click(envelope);
    if (envelope.kind === 'view_submission') return this.submit(envelope);
    return malformed('not a review button or modal');
  }

  // --- clicks

  private async click(
    envelope: Extract<SlackEnvelope, { kind: 'block_actions' }>,
  ): Promise<InteractionAnswer> {
    const answer = reviewAnswerOf(envelope.actionId)!;
    const ref = parseReviewItemValue(envelope.value);
    if (!ref) return malformed('the button value is not a review item');
    const resolved = await this.resolve(ref);
    if (!resolved.ok) return resolved.answer;
    const { campaign, owner, item } = resolved;
    const message =
      envelope.channelId && envelope.messageTs
        ? { channel: envelope.channelId, ts: envelope.messageTs }
        : undefined;
    if (item.decision) {
      // A retry of the click that recorded this answer: the first delivery did the work.
      if (this.context.retry && item.decision.by.id === this.user.userId && item.decision.answer === answer) {
        return this.done('retry-already-handled', item);
      }
      if (message) await this.refreshMessage(campaign, owner, message, item);
      return this.refuse(
        'already-answered',
        `${item.identityName} was already answered (${item.decision.answer}); nothing more was done.`,
        item,
      );
    }
    if (answer === 'reduce') {
      const outcome = await recordReviewDecision(
        {
          campaignId: campaign.campaignId,
          owner,
          itemId: item.itemId,
          answer: 'reduce',
          by: slackActor(this.user),
          now: this.context.now,
        },
        this.deps.record,
      );
      if (outcome.outcome === 'refused')
        return this.refuse(outcome.reason, `${outcome.message}. Nothing more was done.`, item);
      if (message) await this.refreshMessage(campaign, owner, message, outcome.item);
      if (outcome.outcome === 'recorded' && outcome.reductionUnavailable) {
        await this.tell(
          `Recorded: reduce ${item.identityName}. No remediation request was opened: ${outcome.reductionUnavailable}`,
        );
      }
      return this.done('reduce-recorded', outcome.item);
    }
    if (!envelope.triggerId) return malformed('the click carries no trigger id to open the modal with');
    const metadata = JSON.stringify({
      value: envelope.value,
      ...(message ? { message } : {}),
    } satisfies ModalMetadata);
    const view =
      answer === 'keep'
        ? keepModal({
            item,
            attestedUntil: new Date(
              this.context.now.getTime() + this.deps.attestationDays * DAY_MS,
            ).toISOString(),
            attestationDays: this.deps.attestationDays,
            privateMetadata: metadata,
          })
        : notMineModal({ item, knownOwners: Object.keys(this.deps.ownerSlack), privateMetadata: metadata });
    try {
      await this.deps.messenger.openModal(envelope.triggerId, view);
    } catch (error) {
      this.warnings.push(`opening the ${answer} modal failed: ${describeError(error)}`);
      return this.refuse(
        'modal-failed',
        'The form could not be opened (Slack allows 3 seconds); click the button again.',
        item,
      );
    }
    return this.done('modal-opened', item);
  }

  // --- modal submissions

  private async submit(
    envelope: Extract<SlackEnvelope, { kind: 'view_submission' }>,
  ): Promise<InteractionAnswer> {
    const metadata = parseMetadata(envelope.privateMetadata);
    const ref = metadata ? parseReviewItemValue(metadata.value) : undefined;
    if (!metadata || !ref) return malformed('the modal carries no review item');
    const resolved = await this.resolve(ref, { modal: true });
    if (!resolved.ok) return resolved.answer;
    const { campaign, owner, item } = resolved;
    const input = (block: string) => {
      const state = envelope.values[block]?.[block];
      return (state?.selected_option?.value ?? state?.value ?? '').trim();
    };
    const base = {
      campaignId: campaign.campaignId,
      owner,
      itemId: item.itemId,
      by: slackActor(this.user),
      now: this.context.now,
    };
    if (envelope.callbackId === REVIEW_VIEW_IDS.keep) {
      const justification = input(REVIEW_INPUTS.justification);
      if (!justification) {
        return this.modalErrors({
          [REVIEW_INPUTS.justification]:
            'Say why this identity still needs its access: the attestation records it.',
        });
      }
      const outcome = await recordReviewDecision(
        { ...base, answer: 'keep', justification },
        this.deps.record,
      );
      if (outcome.outcome === 'refused')
        return this.modalErrors({ [REVIEW_INPUTS.justification]: outcome.message });
      if (metadata.message) await this.refreshMessage(campaign, owner, metadata.message, outcome.item);
      return this.closeModal('keep-recorded', outcome.item);
    }

    const newOwner = input(REVIEW_INPUTS.newOwner);
    const note = input(REVIEW_INPUTS.note) || undefined;
    if (newOwner && !targetOf(newOwner, this.deps)) {
      return this.modalErrors({
        [REVIEW_INPUTS.newOwner]: `No Slack user or channel is configured for ${newOwner}, so their review cannot be posted. Name an owner from ownership.slack, or leave this empty.`,
      });
    }
    const outcome: RecordReviewOutcome = await recordReviewDecision(
      {
        ...base,
        answer: 'not-mine',
        ...(note ? { justification: note } : {}),
        ...(newOwner ? { reassignTo: newOwner } : {}),
      },
      this.deps.record,
    );
    if (outcome.outcome === 'refused') {
      const block =
        outcome.reason === 'same-owner' || outcome.reason === 'invalid-owner'
          ? REVIEW_INPUTS.newOwner
          : REVIEW_INPUTS.note;
      return this.modalErrors({ [block]: outcome.message });
    }
    if (outcome.outcome === 'reassigned') {
      if (metadata.message) await this.refreshMessage(campaign, owner, metadata.message);
      try {
        await postOwnerReview(campaign, outcome.to, [outcome.item], this.deps, {
          handedOverBy: slackActor(this.user),
        });
      } catch (error) {
        this.warnings.push(`posting the review of ${outcome.to} failed: ${describeError(error)}`);
        await this.tell(
          `${item.identityName} is now ${outcome.to}'s to review, but their review could not be posted. Tell them, or ask an operator to check the iam-posture logs.`,
        );
      }
      return this.closeModal('reassigned', outcome.item);
    }
    if (metadata.message) await this.refreshMessage(campaign, owner, metadata.message, outcome.item);
    if (outcome.escalate) await this.escalateDisowned(campaign, owner, outcome.item);
    return this.closeModal('not-mine-recorded', outcome.item);
  }

  // --- who, what

  /**
   * The campaign, the owner and the item a button or modal names, once the user is known to
   * answer for the owner. Only the campaign is read before that: it names the owners.
   */
  private async resolve(ref: ReviewItemRef, options: { modal?: boolean } = {}): Promise<Resolved> {
    const refuse = async (outcome: string, text: string): Promise<Resolved> => ({
      ok: false,
      answer: options.modal ? this.modalRefusal(outcome, text) : await this.refuse(outcome, text),
    });
    const campaign = await this.deps.store.getCampaign(ref.campaignId);
    const owner = campaign ? this.ownerOf(campaign, ref.ownerHash) : undefined;
    if (!campaign || owner === undefined) {
      return refuse('unknown-item', 'This review is unknown to iam-posture; nothing was changed.');
    }
    if (!this.mayAnswerFor(owner)) {
      return refuse(
        'not-a-reviewer',
        `Only the owner of these identities (${owner}) or a configured reviewer may answer; nothing was changed.`,
      );
    }
    if (campaign.state !== 'open') {
      return refuse('campaign-closed', 'This review is closed; nothing was changed.');
    }
    const item = await this.deps.store.getItem(campaign.campaignId, owner, ref.itemId);
    if (!item) {
      return refuse(
        'unknown-item',
        'This identity is no longer in this review (it was handed to another owner); nothing was changed.',
      );
    }
    return { ok: true, campaign, owner, item };
  }

  /** The owner a hash stands for: one of the campaign's owners, or one an item was handed to. */
  private ownerOf(campaign: ReviewCampaign, hash: string): string | undefined {
    return [...campaign.owners, ...Object.keys(this.deps.ownerSlack)].find(
      (owner) => ownerHash(owner) === hash,
    );
  }

  private mayAnswerFor(owner: string): boolean {
    if (isApprover(this.user, this.deps.reviewers)) return true;
    const target = targetOf(owner, this.deps);
    return target !== undefined && /^[UW]/.test(target) && target === this.user.userId;
  }

  // --- messages

  /**
   * Rebuilds the message the answer came from with its current items. The message's record names
   * them; without one (it could not be written), the owner's items are split as when posted.
   */
  private async refreshMessage(
    campaign: ReviewCampaign,
    owner: string,
    at: SlackMessageRef,
    answered?: ReviewItem,
  ): Promise<void> {
    try {
      const records = await this.deps.messages.list(campaign.campaignId, owner);
      const record = records.find((r) => r.channel === at.channel && r.ts === at.ts);
      const ownerItems = (await this.deps.store.listItems(campaign.campaignId, owner)).map((item) =>
        answered && item.itemId === answered.itemId ? answered : item,
      );
      const { items, part, total } = record
        ? await this.itemsOfRecord(campaign, record, ownerItems)
        : chunkHolding(ownerItems, answered?.itemId);
      const message = reviewMessage(
        {
          campaign,
          owner,
          items,
          now: this.context.now,
          attestations: await attestationsOf(items, this.deps.store),
          ownerSlack: this.deps.ownerSlack,
          ...(record?.handedOverBy ? { handedOverBy: record.handedOverBy } : {}),
        },
        part,
        total,
      );
      await this.deps.messenger.update(at, message);
    } catch (error) {
      this.warnings.push(`updating the review message failed: ${describeError(error)}`);
    }
  }

  /** The items a recorded message shows; one handed on since is shown with its handoff. */
  private async itemsOfRecord(
    campaign: ReviewCampaign,
    record: ReviewMessageRecord,
    ownerItems: ReviewItem[],
  ) {
    const byId = new Map(ownerItems.map((item) => [item.itemId, item]));
    const missing = record.itemIds.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      for (const item of await this.deps.store.listItems(campaign.campaignId)) {
        if (!missing.includes(item.itemId)) continue;
        const handoff = item.handoffs?.find((h) => h.from === record.owner);
        if (!handoff) continue;
        byId.set(item.itemId, {
          ...item,
          owner: record.owner,
          decision: {
            answer: 'not-mine',
            by: handoff.by,
            at: handoff.at,
            reassignedTo: handoff.to,
            ...(handoff.justification ? { justification: handoff.justification } : {}),
          },
        });
      }
    }
    const items = record.itemIds
      .map((id) => byId.get(id))
      .filter((item): item is ReviewItem => item !== undefined);
    const total = record.handedOverBy ? items.length : Math.max(ownerItems.length, items.length);
    return { items, part: { index: record.index, count: record.count }, total };
  }

  /** A "not mine" without a new owner: the escalation channel is to find one. */
  private async escalateDisowned(campaign: ReviewCampaign, owner: string, item: ReviewItem): Promise<void> {
    const channel = this.deps.escalationChannel;
    if (!channel) {
      this.warnings.push('a not-mine answer names no new owner, and no escalation channel is configured');
      return;
    }
    try {
      await this.deps.messenger.post(
        channel,
        escalationMessage({ campaign, owner, items: [item], ownerSlack: this.deps.ownerSlack }),
      );
    } catch (error) {
      this.warnings.push(`telling the escalation channel failed: ${describeError(error)}`);
    }
  }

  // --- answers

  private async refuse(outcome: string, text: string, item?: ReviewItem): Promise<InteractionAnswer> {
    await this.tell(text);
    return { statusCode: 200, outcome, text, ...this.ids(item), warnings: this.warnings };
  }

  /** A refusal inside a modal: the modal shows it in place of its form. */
  private modalRefusal(outcome: string, text: string): InteractionAnswer {
    return {
      statusCode: 200,
      outcome,
      text,
      body: {
        response_action: 'update',
        view: {
          type: 'modal',
          title: { type: 'plain_text', text: 'Access review' },
          close: { type: 'plain_text', text: 'Close' },
          blocks: [{ type: 'section', text: { type: 'plain_text', text } }],
        },
      },
      userId: this.user.userId,
      warnings: this.warnings,
    };
  }

  private modalErrors(errors: Record<string, string>): InteractionAnswer {
    return {
      statusCode: 200,
      outcome: 'modal-errors',
      body: { response_action: 'errors', errors },
      userId: this.user.userId,
      warnings: this.warnings,
    };
  }

  private closeModal(outcome: string, item: ReviewItem): InteractionAnswer {
    return {
      statusCode: 200,
      outcome,
      body: { response_action: 'clear' },
      ...this.ids(item),
      warnings: this.warnings,
    };
  }

  private done(outcome: string, item: ReviewItem): InteractionAnswer {
    return { statusCode: 200, outcome, ...this.ids(item), warnings: this.warnings };
  }

  private ids(item?: ReviewItem): Pick<InteractionAnswer, 'requestId' | 'userId'> {
    return { ...(item ? { requestId: reviewItemValue(item) } : {}), userId: this.user.userId };
  }

  private async tell(text: string): Promise<void> {
    const channel = this.envelope.kind === 'block_actions' ? this.envelope.channelId : undefined;
    if (!channel) return;
    try {
      await this.deps.messenger.tellUser(channel, this.user.userId, text);
    } catch (error) {
      this.warnings.push(`the ephemeral message could not be sent: ${describeError(error)}`);
    }
  }
}

function malformed(detail: string): InteractionAnswer {
  return { statusCode: 400, outcome: 'malformed', detail, warnings: [] };
}

function parseMetadata(text: string): ModalMetadata | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<ModalMetadata> | null;
    if (typeof parsed?.value !== 'string') return undefined;
    const message = parsed.message;
    const validMessage =
      message && typeof message.channel === 'string' && typeof message.ts === 'string'
        ? { channel: message.channel, ts: message.ts }
        : undefined;
    return { value: parsed.value, ...(validMessage ? { message: validMessage } : {}) };
  } catch {
    return undefined;
  }
}

/** The owner's items split as `reviewMessages` splits them, and the part holding `itemId`. */
function chunkHolding(items: readonly ReviewItem[], itemId: string | undefined) {
  const ordered = orderReviewItems(items);
  const count = Math.max(1, Math.ceil(ordered.length / ITEMS_PER_MESSAGE));
  const position = Math.max(
    0,
    ordered.findIndex((item) => item.itemId === itemId),
  );
  const index = Math.floor(position / ITEMS_PER_MESSAGE);
  return {
    items: ordered.slice(index * ITEMS_PER_MESSAGE, (index + 1) * ITEMS_PER_MESSAGE),
    part: { index: index + 1, count },
    total: ordered.length,
  };
}
