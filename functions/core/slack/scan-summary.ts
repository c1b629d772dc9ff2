import * as z from 'zod';
import { ARCHIVED_FORMATS } from '../report-archive';
import { SEVERITIES, type Severity } from '../rule';
import {
  type Block,
  describeAccount,
  escapeMrkdwn,
  FALLBACK_MAX,
  FIELD_MAX,
  mrkdwn,
  plain,
  type SlackMessage,
  truncate,
} from './messages';
import { SEVERITY_MARK } from './notice-messages';

/**
 * The message a finished scan posts: what is open by severity, what the scan opened and resolved,
 * what it could not read, and, when its report was archived, where the report is and how to fetch
 * it. The report is only ever named by bucket and key: reading it takes the reader's own S3 and
 * KMS permissions, so the message gives the `aws s3 cp` command and a console link, never a
 * public or presigned URL that anyone holding the message could open.
 */

const count = z.int().min(0);

/** The part of a ScanCompleted event's detail the summary shows; other fields are ignored. */
export const ScanCompletedDetailSchema = z.looseObject({
  scanId: z.string().min(1).max(200),
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  outcome: z.enum(['completed', 'superseded']),
  findings: z.looseObject({
    total: count,
    bySeverity: z.looseObject(Object.fromEntries(SEVERITIES.map((s) => [s, count.default(0)]))),
    suppressed: count.default(0),
  }),
  changes: z.looseObject({
    opened: count.default(0),
    reopened: count.default(0),
    unsuppressed: count.default(0),
    resolved: count.default(0),
  }),
  held: count.default(0),
  coverageGaps: count.default(0),
  report: z
    .looseObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
      key: z.string().min(1).max(1024),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region'),
    })
    .optional(),
});

export type ScanCompletedDetail = z.output<typeof ScanCompletedDetailSchema>;

/** Where an archived report is. */
export interface ReportPlace {
  bucket: string;
  key: string;
  region: string;
}

/** The AWS CLI command that downloads the report: `aws s3 cp s3://<bucket>/<key> ./report.<ext>`. */
export function reportFetchCommand(place: ReportPlace): string {
  const name = place.key.slice(place.key.lastIndexOf('/') + 1);
  // An archived format's own extension, even with two dots (`.ocsf.jsonl`); else the last one.
  const known = Object.values(ARCHIVED_FORMATS).find((format) => name.endsWith(`.${format.extension}`));
  const dot = name.lastIndexOf('.');
  const extension = known ? `.${known.extension}` : dot > 0 ? name.slice(dot) : '';
  return `aws s3 cp s3://${place.bucket}/${place.key} ./report${extension} --region ${place.region}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** New findings: opened for the first time, opened again, or no longer suppressed. */
export function newFindingCount(detail: ScanCompletedDetail): number {
  return detail.changes.opened + detail.changes.reopened + detail.changes.unsuppressed;
}

export interface ScanSummaryOptions {
  accountName?: string;
  /** The S3 console page of the archived report (it opens only for someone signed in with read access). */
  reportConsoleUrl?: string;
}

export function scanSummaryMessage(
  detail: ScanCompletedDetail,
  options: ScanSummaryOptions = {},
): SlackMessage {
  const { accountName } = options;
  const bySeverity = detail.findings.bySeverity as Record<Severity, number>;
  const severities = SEVERITIES.map((s) => `${SEVERITY_MARK[s]} ${s}: *${bySeverity[s] ?? 0}*`).join('   ');
  const opened = newFindingCount(detail);
  const resolved = detail.changes.resolved;
  const fields = [
    mrkdwn(`*Account*\n${describeAccount(detail.accountId, accountName)}`, FIELD_MAX),
    mrkdwn(`*Open findings*\n${detail.findings.total}`, FIELD_MAX),
    mrkdwn(`*New*\n${opened}`, FIELD_MAX),
    mrkdwn(`*Resolved*\n${resolved}`, FIELD_MAX),
  ];
  const coverage =
    detail.coverageGaps > 0 || detail.held > 0
      ? `:warning: ${plural(detail.coverageGaps, 'coverage gap')}: part of the account could not be read, and nothing there is reported healthy.${
          detail.held > 0
            ? ` ${plural(detail.held, 'finding')} on unread input ${detail.held === 1 ? 'was' : 'were'} left as ${detail.held === 1 ? 'it was' : 'they were'}.`
            : ''
        }`
      : 'Everything the rules need was read.';
  const blocks: Block[] = [
    { type: 'header', text: plain(detail.outcome === 'superseded' ? 'Scan superseded' : 'Scan completed') },
    { type: 'section', text: mrkdwn(severities), fields },
    { type: 'section', text: mrkdwn(coverage) },
  ];
  if (detail.outcome === 'superseded') {
    blocks.push({
      type: 'section',
      text: mrkdwn('A scan of newer data was stored first: this scan changed nothing.'),
    });
  }
  if (detail.report) {
    const command = reportFetchCommand(detail.report);
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `*Report*\n\`s3://${escapeMrkdwn(detail.report.bucket)}/${escapeMrkdwn(detail.report.key)}\`\nFetch it with:\n\`\`\`${escapeMrkdwn(command)}\`\`\`${
          options.reportConsoleUrl
            ? `\n<${escapeMrkdwn(options.reportConsoleUrl)}|Open in the S3 console>`
            : ''
        }`,
      ),
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `Scan \`${escapeMrkdwn(detail.scanId)}\`. ${detail.report ? 'Reading the report takes s3:GetObject on the bucket and kms:Decrypt on the stack key. ' : ''}List open findings with \`iam-posture findings --table <table> --status open\`.`,
        FIELD_MAX,
      ),
    ],
  });
  const present = SEVERITIES.filter((s) => (bySeverity[s] ?? 0) > 0).map((s) => `${s} ${bySeverity[s]}`);
  const text = `Scan of account ${detail.accountId} ${detail.outcome}: ${detail.findings.total} open${
    present.length > 0 ? ` (${present.join(', ')})` : ''
  }, ${opened} new, ${resolved} resolved, ${plural(detail.coverageGaps, 'coverage gap')}.${
    detail.report ? ` Report: s3://${detail.report.bucket}/${detail.report.key}` : ''
  }`;
  return { text: truncate(escapeMrkdwn(text), FALLBACK_MAX), blocks };
}
