import type { SlackMessage } from '../core/slack/messages';
import type { Digest, DigestFinding } from '../core/slack/notice-messages';

/** What notify-only messages need: the channel's hourly budget, the day's digest, and Slack. */

export type SlotClaim =
  /** A slot of the hour was taken for this finding: post its message. */
  | 'granted'
  /** An earlier delivery took a slot for it and its message was posted: nothing to do. */
  | 'posted'
  /** The hour's budget is spent: the finding goes into the day's digest. */
  | 'exhausted';

export interface NoticeStore {
  /**
   * Takes one of the hour's `limit` messages for `key` (a finding opened by a scan). A repeated
   * delivery gets its own slot back (`granted` again) until `markPosted`, then `posted`.
   */
  claimSlot(channel: string, hour: string, key: string, limit: number): Promise<SlotClaim>;
  /** Records that the message for `key` was posted. */
  markPosted(channel: string, hour: string, key: string): Promise<void>;
  /** Adds a finding to the day's digest (once per finding, however often it is delivered). */
  addToDigest(channel: string, day: string, finding: DigestFinding): Promise<void>;
  /** True when the day's digest was posted, or is being posted by another invocation. */
  digestTaken(channel: string, day: string, now: Date): Promise<boolean>;
  /** The day's digest, or undefined when no finding was rolled into it. */
  readDigest(channel: string, day: string): Promise<Digest | undefined>;
  /**
   * Claims the day's digest for posting; false when another invocation posted it or is posting it.
   * A claim released by `releaseDigest` can be taken again.
   */
  claimDigest(channel: string, day: string, now: Date): Promise<boolean>;
  markDigestPosted(channel: string, day: string, ts: string): Promise<void>;
  releaseDigest(channel: string, day: string): Promise<void>;
}

export interface NoticePoster {
  /** Posts to the configured channel; returns where the message is. */
  postMessage(message: SlackMessage): Promise<{ channel: string; ts: string }>;
}
