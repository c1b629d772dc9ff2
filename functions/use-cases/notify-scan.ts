import { type ReportPlace, type ScanCompletedDetail, scanSummaryMessage } from '../core/slack/scan-summary';
import type { NoticePoster, NoticeStore } from './notice-ports';
import { DEFAULT_NOTICES_PER_HOUR } from './notify-finding';
import type { AccountNames } from './request-approval';

/**
 * One summary message per finished scan, in the channel's hourly budget of messages that ask
 * nothing of anyone (the one finding notices draw on): an organization run of hundreds of accounts
 * cannot flood the channel. A scan beyond the budget gets no summary; its counts stay in the scan
 * record, and its new findings still reach the channel through their own notices or the digest.
 *
 * ScanCompleted is delivered at least once: the slot is keyed by the scan, so a repeated delivery
 * posts nothing once the summary is recorded as posted.
 */

export interface NotifyScanDeps {
  store: NoticeStore;
  slack: NoticePoster;
  channel: string;
  perHour?: number;
  accountNames?: AccountNames;
  now: () => Date;
}

export type NotifyScanOutcome =
  | { outcome: 'posted'; scanId: string; slack: { channel: string; ts: string } }
  | { outcome: 'already-posted'; scanId: string }
  | { outcome: 'over-budget'; scanId: string; hour: string };

export async function notifyScanCompleted(
  detail: ScanCompletedDetail,
  deps: NotifyScanDeps,
): Promise<NotifyScanOutcome> {
  const hour = deps.now().toISOString().slice(0, 13);
  const key = `scan#${detail.scanId}`;
  const perHour = deps.perHour ?? DEFAULT_NOTICES_PER_HOUR;
  const claim = perHour > 0 ? await deps.store.claimSlot(deps.channel, hour, key, perHour) : 'exhausted';
  if (claim === 'posted') return { outcome: 'already-posted', scanId: detail.scanId };
  if (claim === 'exhausted') return { outcome: 'over-budget', scanId: detail.scanId, hour };
  const accountName = await accountNameOf(detail.accountId, deps);
  const slack = await deps.slack.postMessage(
    scanSummaryMessage(detail, {
      ...(accountName ? { accountName } : {}),
      ...(detail.report ? { reportConsoleUrl: reportConsoleUrl(detail.report) } : {}),
    }),
  );
  await deps.store.markPosted(deps.channel, hour, key);
  return { outcome: 'posted', scanId: detail.scanId, slack };
}

async function accountNameOf(accountId: string, deps: NotifyScanDeps): Promise<string | undefined> {
  try {
    return (await deps.accountNames?.accountName(accountId)) || undefined;
  } catch {
    // A name is a courtesy: the summary names the account by id either way.
    return undefined;
  }
}

/** The S3 console page of an object, in the console of the bucket's partition. */
export function reportConsoleUrl(place: ReportPlace): string {
  const host = place.region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : place.region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : 'console.aws.amazon.com';
  const query = new URLSearchParams({ region: place.region, bucketType: 'general', prefix: place.key });
  return `https://${host}/s3/object/${encodeURIComponent(place.bucket)}?${query.toString()}`;
}
