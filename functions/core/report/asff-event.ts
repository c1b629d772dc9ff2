import * as z from 'zod';
import type { Finding } from '../finding';
import { FINDING_STATUSES, StoredFindingSchema } from '../lifecycle';
import { formatIssues } from '../settings';
import { type AsffFinding, toAsffFinding } from './asff';

/**
 * A `FindingOpened` or `FindingResolved` event, as the findings bus delivers it (the EventBridge
 * envelope with the scan's detail), turned into the ASFF finding that records it in Security Hub.
 * Pure: parsing names what is wrong and where; deciding never depends on the time it runs.
 */

const isoTime = z.iso.datetime({ offset: true });

/** The finding as the event carries it: the stored record without the store's bookkeeping. */
const EventFindingSchema = StoredFindingSchema.pick({
  id: true,
  ruleId: true,
  title: true,
  severity: true,
  baseSeverity: true,
  resourceType: true,
  resourceArn: true,
  subResource: true,
  region: true,
  reason: true,
  evidence: true,
  compliance: true,
  remediation: true,
  result: true,
  riskScore: true,
  suppression: true,
  firstSeenAt: true,
  resolvedAt: true,
}).extend({ status: z.enum(FINDING_STATUSES) });

const DetailSchema = z.looseObject({
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  scanId: z.string().min(1),
  change: z.string().min(1),
  observedAt: isoTime.optional(),
  coverage: z.looseObject({ fullyRead: z.boolean() }).optional(),
  finding: EventFindingSchema,
});

export const FindingEventSchema = z.looseObject({
  'detail-type': z.enum(['FindingOpened', 'FindingResolved']),
  time: isoTime,
  detail: DetailSchema,
});

export type FindingEvent = z.infer<typeof FindingEventSchema>;

export type ParsedFindingEvent = { ok: true; event: FindingEvent } | { ok: false; issues: string[] };

export function parseFindingEvent(value: unknown): ParsedFindingEvent {
  const result = FindingEventSchema.safeParse(value);
  return result.success
    ? { ok: true, event: result.data }
    : { ok: false, issues: formatIssues(result.error) };
}

/** What to send to Security Hub for one event. */
export type EventImport =
  | { action: 'import'; accountId: string; finding: AsffFinding }
  /** Nothing to send: the reason is logged, the event is done. */
  | { action: 'skip'; reason: string };

/**
 * The ASFF finding for an event. A resolved finding is archived only when the event says its rule
 * ran on fully read input; an event that cannot say so (an older producer) changes nothing, so a
 * finding is never closed in Security Hub on input that was not read.
 */
export function eventImport(event: FindingEvent, region: string): EventImport {
  const { detail } = event;
  const resolved = event['detail-type'] === 'FindingResolved';
  if (resolved && detail.coverage?.fullyRead !== true) {
    return {
      action: 'skip',
      reason: `FindingResolved of finding ${detail.finding.id} does not say its input was fully read; it is not archived`,
    };
  }
  if (resolved !== (detail.finding.status === 'resolved')) {
    return {
      action: 'skip',
      reason: `${event['detail-type']} of finding ${detail.finding.id} carries status ${detail.finding.status}`,
    };
  }
  // When the scan's data was observed; an event from before `observedAt` existed is dated by its send.
  const observedAt = detail.observedAt ?? (resolved ? detail.finding.resolvedAt : undefined) ?? event.time;
  const { status, firstSeenAt, resolvedAt: _resolvedAt, ...fields } = detail.finding;
  const finding = { ...fields, accountId: detail.accountId } as Finding;
  return {
    action: 'import',
    accountId: detail.accountId,
    finding: toAsffFinding(finding, { region, observedAt, lifecycle: { status, firstSeenAt } }),
  };
}
