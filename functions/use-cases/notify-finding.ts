import type { Finding } from '../core/finding';
import type { StoredFinding } from '../core/lifecycle';
import { type DigestFinding, digestMessage, findingNoticeMessage } from '../core/slack/notice-messages';
import type { NoticePoster, NoticeStore } from './notice-ports';
import type { AccountNames } from './request-approval';

/**
 * Findings whose rule has no automatic remediation still reach the channel, so a team sees
 * everything new, without flooding it: each gets a message of its own while the channel's hourly
 * budget lasts (`perHour`, counted per UTC hour in the findings table), and the findings beyond it
 * are rolled into one digest per UTC day. The digest of a day is posted by the first notify
 * invocation after that day ends (or by `postDueDigests` from a schedule).
 *
 * Deliveries are at least once: a slot is keyed by the finding and the scan that opened it, so a
 * repeated delivery reuses its slot (and posts nothing once the message is recorded as posted),
 * and a finding enters a digest once.
 */

export const DEFAULT_NOTICES_PER_HOUR = 20;
/** Days before today whose digest is still posted when no invocation came since. */
export const DIGEST_LOOKBACK_DAYS = 2;

export interface NotifyFindingDeps {
  store: NoticeStore;
  slack: NoticePoster;
  channel: string;
  /** Individual messages per channel and hour; beyond them, the digest. Default 20. */
  perHour?: number;
  accountNames?: AccountNames;
  /** Owner id -> Slack user or channel, mentioned in the notice of the owner's finding. */
  ownerSlack?: Readonly<Record<string, string>>;
  now: () => Date;
}

export type NotifyFindingOutcome =
  | { outcome: 'noticed'; findingId: string; slack: { channel: string; ts: string } }
  | { outcome: 'already-noticed'; findingId: string }
  | { outcome: 'digested'; findingId: string; day: string }
  | { outcome: 'skipped'; findingId: string; reason: string };

/** A finding opened by a scan, as stored. */
export interface NoticedFinding {
  finding: Finding & { status?: StoredFinding['status'] };
  scanId: string;
}

export async function notifyFinding(
  opened: NoticedFinding,
  deps: NotifyFindingDeps,
): Promise<NotifyFindingOutcome> {
  const { finding, scanId } = opened;
  const skip = (reason: string): NotifyFindingOutcome => ({
    outcome: 'skipped',
    findingId: finding.id,
    reason,
  });
  if (finding.status !== undefined && finding.status !== 'open')
    return skip(`The finding is ${finding.status}, not open.`);
  if (finding.suppression) return skip('The finding is suppressed.');
  if (finding.remediation.action)
    return skip('The finding has an automatic remediation: it is asked for approval.');

  const now = deps.now();
  const hour = now.toISOString().slice(0, 13);
  const key = `${finding.id}#${scanId}`;
  const perHour = deps.perHour ?? DEFAULT_NOTICES_PER_HOUR;
  // A budget of 0 sends every such finding to the digest.
  const claim = perHour > 0 ? await deps.store.claimSlot(deps.channel, hour, key, perHour) : 'exhausted';
  if (claim === 'posted') return { outcome: 'already-noticed', findingId: finding.id };
  if (claim === 'exhausted') {
    const day = now.toISOString().slice(0, 10);
    await deps.store.addToDigest(deps.channel, day, digestFinding(finding));
    return { outcome: 'digested', findingId: finding.id, day };
  }
  const accountName = await accountNameOf(finding.accountId, deps);
  const slack = await deps.slack.postMessage(
    findingNoticeMessage(
      {
        id: finding.id,
        accountId: finding.accountId,
        ruleId: finding.ruleId,
        title: finding.title,
        severity: finding.severity,
        resourceArn: finding.resourceArn,
        ...(finding.subResource !== undefined ? { subResource: finding.subResource } : {}),
        reason: finding.reason,
        remediationSummary: finding.remediation.summary,
        ...(finding.owner ? { owner: finding.owner } : {}),
      },
      accountName,
      deps.ownerSlack,
    ),
  );
  await deps.store.markPosted(deps.channel, hour, key);
  return { outcome: 'noticed', findingId: finding.id, slack };
}

export interface PostedDigest {
  day: string;
  total: number;
  slack: { channel: string; ts: string };
}

/**
 * Posts the digest of each finished day (up to `DIGEST_LOOKBACK_DAYS` back) that has findings and
 * was not posted yet. A failed post releases the day, for the next invocation to try again.
 */
export async function postDueDigests(
  deps: Pick<NotifyFindingDeps, 'store' | 'slack' | 'channel' | 'now'>,
): Promise<PostedDigest[]> {
  const posted: PostedDigest[] = [];
  const today = Date.parse(deps.now().toISOString().slice(0, 10));
  for (let back = DIGEST_LOOKBACK_DAYS; back >= 1; back--) {
    const day = new Date(today - back * 86_400_000).toISOString().slice(0, 10);
    if (await deps.store.digestTaken(deps.channel, day, deps.now())) continue;
    const digest = await deps.store.readDigest(deps.channel, day);
    if (!digest) continue;
    if (!(await deps.store.claimDigest(deps.channel, day, deps.now()))) continue;
    let slack: { channel: string; ts: string };
    try {
      slack = await deps.slack.postMessage(digestMessage(digest));
    } catch (error) {
      await deps.store.releaseDigest(deps.channel, day);
      throw error;
    }
    await deps.store.markDigestPosted(deps.channel, day, slack.ts);
    const total = Object.values(digest.counts).reduce((sum, n) => sum + n, 0);
    posted.push({ day, total, slack });
  }
  return posted;
}

function digestFinding(finding: Finding): DigestFinding {
  return {
    id: finding.id,
    accountId: finding.accountId,
    ruleId: finding.ruleId,
    title: finding.title,
    severity: finding.severity,
    resourceArn: finding.resourceArn,
  };
}

async function accountNameOf(accountId: string, deps: NotifyFindingDeps): Promise<string | undefined> {
  try {
    return (await deps.accountNames?.accountName(accountId)) || undefined;
  } catch {
    return undefined;
  }
}
