import type { Severity } from '../rule';
import { SEVERITIES } from '../rule';
import {
  type Block,
  describeAccount,
  describeOwner,
  escapeMrkdwn,
  FALLBACK_MAX,
  FIELD_MAX,
  mrkdwn,
  type OwnerSlackTargets,
  plain,
  type SlackMessage,
  truncate,
} from './messages';

/**
 * Messages for findings without an automatic remediation: one notice per finding while the
 * channel's hourly budget lasts, and one digest a day of the findings beyond it. Nothing here can
 * be approved: these messages carry no buttons.
 */

/** Findings a digest lists by name; the rest are counted. */
export const DIGEST_TOP = 10;

/** The mark a severity gets in every message that lists findings by severity. */
export const SEVERITY_MARK: Record<Severity, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  informational: ':white_circle:',
};

const code = (value: string) => `\`${escapeMrkdwn(value)}\``;

export interface NoticeFinding {
  id: string;
  accountId: string;
  ruleId: string;
  title: string;
  severity: Severity;
  resourceArn: string;
  subResource?: string;
  reason: string;
  /** What a person should do, from the rule's metadata. */
  remediationSummary?: string;
  owner?: { id: string; source: string };
}

/** One new finding that iam-posture will not change itself: what it is and what to do. */
export function findingNoticeMessage(
  finding: NoticeFinding,
  accountName?: string,
  ownerSlack?: OwnerSlackTargets,
): SlackMessage {
  const resource = finding.subResource
    ? `${code(finding.resourceArn)}\n${code(finding.subResource)}`
    : code(finding.resourceArn);
  const blocks: Block[] = [
    { type: 'header', text: plain('New finding') },
    {
      type: 'section',
      text: mrkdwn(`${SEVERITY_MARK[finding.severity] ?? ''} *${escapeMrkdwn(finding.title)}*`.trim()),
      fields: [
        mrkdwn(`*Severity*\n${escapeMrkdwn(finding.severity)}`, FIELD_MAX),
        mrkdwn(`*Rule*\n${code(finding.ruleId)}`, FIELD_MAX),
        mrkdwn(`*Resource*\n${resource}`, FIELD_MAX),
        mrkdwn(`*Account*\n${describeAccount(finding.accountId, accountName)}`, FIELD_MAX),
        ...(finding.owner ? [mrkdwn(`*Owner*\n${describeOwner(finding.owner, ownerSlack)}`, FIELD_MAX)] : []),
      ],
    },
    { type: 'section', text: mrkdwn(`*Why*\n${escapeMrkdwn(finding.reason)}`) },
    ...(finding.remediationSummary
      ? [
          {
            type: 'section' as const,
            text: mrkdwn(`*What to do*\n${escapeMrkdwn(finding.remediationSummary)}`),
          },
        ]
      : []),
    {
      type: 'context',
      elements: [
        mrkdwn(
          `This rule has no automatic remediation; nothing will be changed. Finding ${code(finding.id)}`,
          FIELD_MAX,
        ),
      ],
    },
  ];
  const text = `New finding (${finding.severity}): ${finding.title} on ${finding.resourceArn} in account ${finding.accountId}.`;
  return { text: truncate(escapeMrkdwn(text), FALLBACK_MAX), blocks };
}

/** A finding rolled into a digest. */
export interface DigestFinding {
  id: string;
  accountId: string;
  ruleId: string;
  title: string;
  severity: Severity;
  resourceArn: string;
}

export interface Digest {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Findings beyond the hourly budget that day, by severity. */
  counts: Record<Severity, number>;
  /** The most severe first; at most `DIGEST_TOP` are listed. */
  top: DigestFinding[];
}

/** The day's findings that did not get a message of their own: counts by severity, the worst named. */
export function digestMessage(digest: Digest): SlackMessage {
  const total = SEVERITIES.reduce((sum, severity) => sum + (digest.counts[severity] ?? 0), 0);
  const counts = SEVERITIES.filter((severity) => (digest.counts[severity] ?? 0) > 0).map(
    (severity) => `${SEVERITY_MARK[severity]} ${severity}: *${digest.counts[severity]}*`,
  );
  const listed = digest.top.slice(0, DIGEST_TOP);
  const lines = listed.map(
    (f) =>
      `${SEVERITY_MARK[f.severity] ?? ''} *${escapeMrkdwn(f.title)}* on ${code(f.resourceArn)} (account ${code(f.accountId)}, ${code(f.ruleId)})`,
  );
  const more = total - listed.length;
  const blocks: Block[] = [
    { type: 'header', text: plain(`Digest of new findings, ${digest.day}`) },
    {
      type: 'section',
      text: mrkdwn(
        `${total} new finding${total === 1 ? '' : 's'} without an automatic remediation did not get a message of their own (the channel's hourly limit was reached):\n${counts.join('   ')}`,
      ),
    },
    ...(lines.length > 0 ? [{ type: 'section' as const, text: mrkdwn(lines.join('\n')) }] : []),
    {
      type: 'context',
      elements: [
        mrkdwn(
          `${more > 0 ? `${more} more not listed. ` : ''}List them all with \`iam-posture findings --table <table> --status open\` (add \`--severity\` or \`--rule\` to narrow).`,
          FIELD_MAX,
        ),
      ],
    },
  ];
  const text = `Digest of new findings, ${digest.day}: ${total} without a message of their own (${SEVERITIES.filter(
    (s) => (digest.counts[s] ?? 0) > 0,
  )
    .map((s) => `${s} ${digest.counts[s]}`)
    .join(', ')}).`;
  return { text: truncate(text, FALLBACK_MAX), blocks };
}
