import * as z from 'zod';
import type { Finding } from './finding';
import { FRAMEWORKS, REMEDIATION_ACTION_IDS, SEVERITIES } from './rule';
import { formatIssues } from './settings';

/**
 * A finding's lifecycle as the store keeps it: its statuses, the kinds of change a scan makes to
 * it, and the stored record with its schema. Reconcile computes the changes; the findings table
 * lays them out; neither depends on the other for these types.
 */

export const FINDING_STATUSES = ['open', 'resolved', 'suppressed', 'remediated'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export const CHANGE_KINDS = [
  'opened',
  'reopened',
  'resolved',
  'severity-changed',
  'suppressed',
  'suppression-changed',
  'unsuppressed',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** A finding as stored, with its lifecycle. */
export interface StoredFinding extends Finding {
  status: FindingStatus;
  firstSeenAt: string;
  firstSeenScanId: string;
  /** When and by which scan the record was last written (a lifecycle change, not every sighting). */
  lastChangedAt: string;
  lastChangedScanId: string;
  resolvedAt?: string;
  resolvedScanId?: string;
  suppressedAt?: string;
  remediatedAt?: string;
  remediationRequestId?: string;
  reopenedAt?: string;
  /** How many times the finding came back after being resolved or remediated. */
  reopenCount: number;
  /** Epoch seconds after which DynamoDB deletes a resolved record. */
  ttl?: number;
  /** Incremented on every write; every write is conditional on the version it read. */
  version: number;
}

const isoTime = z.iso.datetime({ offset: true });
const severity = z.enum(SEVERITIES);

export const StoredFindingSchema = z.looseObject({
  id: z.string().min(1),
  ruleId: z.string().min(1),
  title: z.string(),
  severity,
  baseSeverity: severity,
  resourceType: z.string().min(1),
  resourceArn: z.string().min(1),
  subResource: z.string().optional(),
  accountId: z.string().min(1),
  region: z.string().optional(),
  reason: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  compliance: z.array(
    z.looseObject({
      framework: z.enum(Object.keys(FRAMEWORKS) as [string, ...string[]]),
      control: z.string(),
    }),
  ),
  remediation: z.looseObject({ summary: z.string(), action: z.enum(REMEDIATION_ACTION_IDS).optional() }),
  result: z.enum(['fail', 'error']),
  riskScore: z.number(),
  suppression: z.looseObject({ reason: z.string(), owner: z.string(), expires: z.string() }).optional(),
  /** Records written before owners were resolved have none. */
  owner: z.looseObject({ id: z.string().min(1), source: z.string().min(1) }).optional(),
  attestation: z
    .looseObject({
      campaignId: z.string(),
      by: z.string(),
      at: z.string(),
      until: z.string(),
      justification: z.string().optional(),
    })
    .optional(),
  status: z.enum(FINDING_STATUSES),
  firstSeenAt: isoTime,
  firstSeenScanId: z.string().min(1),
  lastChangedAt: isoTime,
  lastChangedScanId: z.string().min(1),
  resolvedAt: isoTime.optional(),
  resolvedScanId: z.string().optional(),
  suppressedAt: isoTime.optional(),
  remediatedAt: isoTime.optional(),
  remediationRequestId: z.string().optional(),
  reopenedAt: isoTime.optional(),
  reopenCount: z.number().int().min(0),
  ttl: z.number().int().optional(),
  version: z.number().int().min(1),
});

export type ParsedStoredFinding = { ok: true; finding: StoredFinding } | { ok: false; issues: string[] };

/** Validates a stored record; a record that fails is reported by the caller, never rewritten blindly. */
export function parseStoredFinding(value: unknown): ParsedStoredFinding {
  const result = StoredFindingSchema.safeParse(value);
  if (!result.success) return { ok: false, issues: formatIssues(result.error) };
  return { ok: true, finding: result.data as unknown as StoredFinding };
}

/** One record to write: `after` replaces `before` (absent for a new record) if `before` is still current. */
export interface FindingChange {
  kind: ChangeKind;
  before?: StoredFinding;
  after: StoredFinding;
}
