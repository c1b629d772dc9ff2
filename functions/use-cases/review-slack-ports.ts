import type { Actor } from '../core/remediation/request';
import type { ModalView, ReviewMessage } from '../core/slack/review-messages';

/**
 * The small interfaces the Slack side of entitlement reviews works against: Slack's Web API and
 * the record of where each owner's review messages are.
 */

export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface ReviewMessenger {
  /** Posts to a user id (a direct message from the app), a channel id or a `#channel-name`. */
  post(target: string, message: ReviewMessage, options?: { threadTs?: string }): Promise<SlackMessageRef>;
  update(ref: SlackMessageRef, message: ReviewMessage): Promise<void>;
  openModal(triggerId: string, view: ModalView): Promise<void>;
  tellUser(channel: string, userId: string, text: string): Promise<void>;
}

/** One posted message of an owner's review, and the items it shows. */
export interface ReviewMessageRecord {
  campaignId: string;
  owner: string;
  /** 1-based, in the order the owner's messages of the campaign were posted. */
  seq: number;
  /** Its place in the review it belongs to (`2` of `3`), as its header says. */
  index: number;
  count: number;
  /** Set on a message of identities someone handed over to the owner. */
  handedOverBy?: Actor;
  channel: string;
  ts: string;
  itemIds: string[];
  postedAt: string;
}

export interface ReviewMessageLog {
  /** Records a posted message; a second record of the same owner and seq replaces the first. */
  record(message: ReviewMessageRecord, expiresAt: Date): Promise<void>;
  /** The owner's recorded messages of the campaign, by seq. */
  list(campaignId: string, owner: string): Promise<ReviewMessageRecord[]>;
}
