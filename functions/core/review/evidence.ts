import { csvRow } from '../csv';
import type { Actor } from '../remediation/request';
import type { ReviewCampaign, ReviewItem } from './types';

/**
 * A campaign as evidence: one row per identity with who answered what, when and why. The CSV is
 * RFC 4180 and opens safely in a spreadsheet: justifications and owner ids are free text typed in
 * Slack, so a cell that would start a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`.
 */

export interface EvidenceRow {
  campaignId: string;
  campaignScope: string;
  campaignStartedAt: string;
  campaignDeadline: string;
  campaignState: string;
  accountId: string;
  owner: string;
  identityKind: string;
  identityName: string;
  identityArn: string;
  adminEquivalent: boolean;
  canEscalate: boolean;
  openFindings: string;
  /** keep, reduce, not-mine, or unanswered. */
  answer: string;
  decidedBy: string;
  decidedAt: string;
  justification: string;
  attestedUntil: string;
  remediationRequestIds: string;
  reductionUnavailable: string;
  handoffs: string;
  remindedAt: string;
  escalatedAt: string;
}

export const EVIDENCE_COLUMNS: readonly (keyof EvidenceRow)[] = [
  'campaignId',
  'campaignScope',
  'campaignStartedAt',
  'campaignDeadline',
  'campaignState',
  'accountId',
  'owner',
  'identityKind',
  'identityName',
  'identityArn',
  'adminEquivalent',
  'canEscalate',
  'openFindings',
  'answer',
  'decidedBy',
  'decidedAt',
  'justification',
  'attestedUntil',
  'remediationRequestIds',
  'reductionUnavailable',
  'handoffs',
  'remindedAt',
  'escalatedAt',
];

export function evidenceRows(campaign: ReviewCampaign, items: readonly ReviewItem[]): EvidenceRow[] {
  return items.map((item) => {
    const d = item.decision;
    return {
      campaignId: campaign.campaignId,
      campaignScope: campaign.scope,
      campaignStartedAt: campaign.startedAt,
      campaignDeadline: campaign.deadline,
      campaignState: campaign.state,
      accountId: item.accountId,
      owner: item.owner,
      identityKind: item.identityKind,
      identityName: item.identityName,
      identityArn: item.identityArn,
      adminEquivalent: item.adminEquivalent,
      canEscalate: item.canEscalate,
      openFindings: item.openFindings.map((f) => `${f.ruleId}:${f.severity}`).join(' '),
      answer: d?.answer ?? 'unanswered',
      decidedBy: d ? actorText(d.by) : '',
      decidedAt: d?.at ?? '',
      justification: d?.justification ?? '',
      attestedUntil: d?.attestedUntil ?? '',
      remediationRequestIds: (
        d?.remediationRequestIds ?? (d?.remediationRequestId ? [d.remediationRequestId] : [])
      ).join(' '),
      reductionUnavailable: d?.reductionUnavailable ?? '',
      handoffs: (item.handoffs ?? [])
        .map((h) => `${h.from} -> ${h.to} by ${actorText(h.by)} at ${h.at}`)
        .join('; '),
      remindedAt: item.remindedAt ?? '',
      escalatedAt: item.escalatedAt ?? '',
    };
  });
}

function actorText(actor: Actor): string {
  return `${actor.kind}:${actor.teamId ? `${actor.teamId}/` : ''}${actor.id}${actor.name ? ` (${actor.name})` : ''}`;
}

export function evidenceCsv(rows: readonly EvidenceRow[]): string {
  const lines = [EVIDENCE_COLUMNS.join(',')];
  for (const row of rows) lines.push(csvRow(EVIDENCE_COLUMNS.map((column) => row[column])));
  return `${lines.join('\r\n')}\r\n`;
}
