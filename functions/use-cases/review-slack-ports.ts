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
  /** 1-based position among the owner's messages of the campaign. */
  part: number;
  /** How many messages the owner's review took when it was posted. */
  parts: number;
  channel: string;
  ts: string;
  itemIds: string[];
  postedAt: string;
}

export interface ReviewMessageLog {
  /** Records a posted message; a second record of the same owner and part replaces the first. */
  record(message: ReviewMessageRecord, expiresAt: Date): Promise<void>;
  /** The owner's recorded messages of the campaign, by part. */
  list(campaignId: string, owner: string): Promise<ReviewMessageRecord[]>;
}
