import type { Actor } from '../../../functions/core/remediation/request';
import type {
  CampaignState,
  ReviewCampaign,
  ReviewDecision,
  ReviewHandoff,
  ReviewItem,
} from '../../../functions/core/review/types';
import type { ModalView, ReviewMessage } from '../../../functions/core/slack/review-messages';
import type {
  Attestation,
  ReductionRequests,
  ReviewEvents,
  ReviewStore,
} from '../../../functions/use-cases/review-ports';
import type {
  ReviewMessageLog,
  ReviewMessageRecord,
  ReviewMessenger,
  SlackMessageRef,
} from '../../../functions/use-cases/review-slack-ports';

/** In-memory stand-ins for the review store, the message log, Slack and the reduction path. */

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryReviewStore implements ReviewStore {
  readonly campaigns = new Map<string, ReviewCampaign>();
  /** campaignId -> owner -> itemId -> item */
  readonly items = new Map<string, ReviewItem>();
  readonly attestations = new Map<string, Attestation>();

  private key(campaignId: string, owner: string, itemId: string): string {
    return `${campaignId}\n${owner}\n${itemId}`;
  }

  async createCampaign(campaign: ReviewCampaign, items: readonly ReviewItem[]): Promise<boolean> {
    if (this.campaigns.has(campaign.campaignId)) return false;
    this.campaigns.set(campaign.campaignId, clone(campaign));
    for (const item of items) this.items.set(this.key(item.campaignId, item.owner, item.itemId), clone(item));
    return true;
  }
  async getCampaign(campaignId: string) {
    const campaign = this.campaigns.get(campaignId);
    return campaign ? clone(campaign) : undefined;
  }
  async listCampaigns(state?: CampaignState) {
    return [...this.campaigns.values()].filter((c) => !state || c.state === state).map(clone);
  }
  async listItems(campaignId: string, owner?: string) {
    return [...this.items.values()]
      .filter((i) => i.campaignId === campaignId && (owner === undefined || i.owner === owner))
      .sort((a, b) => b.risk - a.risk)
      .map(clone);
  }
  async getItem(campaignId: string, owner: string, itemId: string) {
    const item = this.items.get(this.key(campaignId, owner, itemId));
    return item ? clone(item) : undefined;
  }
  async decide(campaignId: string, owner: string, itemId: string, decision: ReviewDecision) {
    const item = this.items.get(this.key(campaignId, owner, itemId));
    if (!item || item.decision) return undefined;
    item.decision = clone(decision);
    return clone(item);
  }
  async reassign(
    campaignId: string,
    fromOwner: string,
    itemId: string,
    toOwner: string,
    handoff?: ReviewHandoff,
  ) {
    const key = this.key(campaignId, fromOwner, itemId);
    const item = this.items.get(key);
    if (!item || (item.decision && !(item.decision.answer === 'not-mine' && !item.decision.reassignedTo))) {
      return undefined;
    }
    this.items.delete(key);
    const { decision: _decision, remindedAt: _r, escalatedAt: _e, ...rest } = item;
    const moved: ReviewItem = {
      ...rest,
      owner: toOwner,
      handoffs: [...(item.handoffs ?? []), ...(handoff ? [handoff] : [])],
    };
    this.items.set(this.key(campaignId, toOwner, itemId), moved);
    return clone(moved);
  }
  async markReminded(campaignId: string, owner: string, itemId: string, at: Date) {
    const item = this.items.get(this.key(campaignId, owner, itemId));
    if (!item || item.decision || item.remindedAt) return false;
    item.remindedAt = at.toISOString();
    return true;
  }
  async markEscalated(campaignId: string, owner: string, itemId: string, at: Date) {
    const item = this.items.get(this.key(campaignId, owner, itemId));
    if (!item || item.decision || item.escalatedAt) return false;
    item.escalatedAt = at.toISOString();
    return true;
  }
  async close(campaignId: string, at: Date) {
    const campaign = this.campaigns.get(campaignId);
    if (!campaign || campaign.state === 'closed') return false;
    campaign.state = 'closed';
    campaign.closedAt = at.toISOString();
    return true;
  }
  async putAttestation(accountId: string, identityArn: string, attestation: Attestation) {
    this.attestations.set(`${accountId}\n${identityArn}`, clone(attestation));
  }
  async listAttestations(accountId: string) {
    return [...this.attestations.values()].filter((a) => a.accountId === accountId).map(clone);
  }
  async lastStartedByRhythm() {
    return {};
  }
}

export class MemoryMessageLog implements ReviewMessageLog {
  readonly records: ReviewMessageRecord[] = [];
  async record(message: ReviewMessageRecord): Promise<void> {
    const at = this.records.findIndex(
      (r) => r.campaignId === message.campaignId && r.owner === message.owner && r.seq === message.seq,
    );
    if (at >= 0) this.records.splice(at, 1, clone(message));
    else this.records.push(clone(message));
  }
  async list(campaignId: string, owner: string) {
    return this.records
      .filter((r) => r.campaignId === campaignId && r.owner === owner)
      .sort((a, b) => a.seq - b.seq)
      .map(clone);
  }
}

export type MessengerCall =
  | { method: 'post'; target: string; message: ReviewMessage; threadTs?: string; ref: SlackMessageRef }
  | { method: 'update'; ref: SlackMessageRef; message: ReviewMessage }
  | { method: 'openModal'; triggerId: string; view: ModalView }
  | { method: 'tellUser'; channel: string; userId: string; text: string };

/** Records every call; posts to a user id land in a direct-message channel `D<user id>`. */
export class FakeMessenger implements ReviewMessenger {
  readonly calls: MessengerCall[] = [];
  private ts = 1_000;
  failNextPost?: Error;

  of<M extends MessengerCall['method']>(method: M): Extract<MessengerCall, { method: M }>[] {
    return this.calls.filter((c): c is Extract<MessengerCall, { method: M }> => c.method === method);
  }

  async post(target: string, message: ReviewMessage, options: { threadTs?: string } = {}) {
    if (this.failNextPost) {
      const error = this.failNextPost;
      this.failNextPost = undefined;
      throw error;
    }
    this.ts += 1;
    const channel = /^[UW]/.test(target) ? `D${target.slice(1)}` : target;
    const ref = { channel, ts: `1764000000.${String(this.ts).padStart(6, '0')}` };
    this.calls.push({
      method: 'post',
      target,
      message,
      ...(options.threadTs ? { threadTs: options.threadTs } : {}),
      ref,
    });
    return ref;
  }
  async update(ref: SlackMessageRef, message: ReviewMessage) {
    this.calls.push({ method: 'update', ref, message });
  }
  async openModal(triggerId: string, view: ModalView) {
    this.calls.push({ method: 'openModal', triggerId, view });
  }
  async tellUser(channel: string, userId: string, text: string) {
    this.calls.push({ method: 'tellUser', channel, userId, text });
  }
}

export class RecordingEvents implements ReviewEvents {
  readonly published: { type: string; detail: Record<string, unknown> }[] = [];
  async publish(type: string, detail: Record<string, unknown>) {
    this.published.push({ type, detail });
  }
}

export class FakeReductions implements ReductionRequests {
  readonly calls: { itemId: string; by: Actor }[] = [];
  constructor(
    private readonly answer: { requestIds: string[] } | { none: string } = { requestIds: ['req-0001'] },
  ) {}
  async requestReduction(item: ReviewItem, by: Actor) {
    this.calls.push({ itemId: item.itemId, by });
    return this.answer;
  }
}
