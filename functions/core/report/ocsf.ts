import type { Finding } from '../finding';
import type { FindingStatus } from '../lifecycle';
import { FRAMEWORKS, type Rule, type Severity } from '../rule';
import { RULES } from '../rules';
import { complianceLabel } from './catalog';
import type { ToolInfo } from './sarif';
import type { AnalysisReport } from './types';

/**
 * OCSF Detection Finding events (class 2004, category Findings), one per finding, pinned to one
 * schema version. 1.6.0 is the first release that also defines the IAM Analysis Finding class
 * (2008), so the pinned version does not have to move to add it. Output is JSON Lines: one event
 * per line, what log shippers and SIEM HTTP collectors (Splunk HEC, Firehose, Fluent Bit, Vector)
 * read without holding the whole file in memory.
 */

export const OCSF_VERSION = '1.6.0';
export const DETECTION_FINDING = { classUid: 2004, className: 'Detection Finding' } as const;
export const FINDINGS_CATEGORY = { uid: 2, name: 'Findings' } as const;

export const OCSF_ACTIVITIES = { create: 1, update: 2, close: 3 } as const;
const ACTIVITY_NAMES = { 1: 'Create', 2: 'Update', 3: 'Close' } as const;
export type OcsfActivity = keyof typeof OCSF_ACTIVITIES;

export const OCSF_STATUSES = { new: 1, suppressed: 3, resolved: 4 } as const;
const STATUS_NAMES = { 1: 'New', 3: 'Suppressed', 4: 'Resolved' } as const;
export type OcsfStatus = keyof typeof OCSF_STATUSES;

const SEVERITY_IDS: Record<Severity, { id: number; name: string }> = {
  informational: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

/** CloudFormation resource types, the names AWS tooling already uses for these resources. */
const RESOURCE_TYPES: Record<Finding['resourceType'], string> = {
  role: 'AWS::IAM::Role',
  user: 'AWS::IAM::User',
  group: 'AWS::IAM::Group',
  'access-key': 'AWS::IAM::AccessKey',
  secret: 'AWS::SecretsManager::Secret',
  'server-certificate': 'AWS::IAM::ServerCertificate',
  // iam-posture's own records about a role or user: no CloudFormation type of their own.
  'jit-eligibility': 'Other',
  'break-glass-grant': 'Other',
  'review-standing': 'Other',
  'coverage-gap': 'Other',
};

/** Where a finding is in its lifecycle, as the event reports it. */
export interface OcsfLifecycle {
  activity: OcsfActivity;
  status: OcsfStatus;
  /** The event time: when the state it reports began. */
  time: Date;
  firstSeen?: Date;
  lastSeen?: Date;
  /** When the record last changed. */
  modified?: Date;
  /** The stored status, when it says more than the OCSF status (`remediated`). */
  detail?: string;
  /** Stored lifecycle values carried in `unmapped`. */
  stored?: Record<string, unknown>;
}

export interface OcsfOptions {
  /** Default: the full catalog (for each rule's references). */
  rules?: readonly Rule[];
}

export type OcsfEvent = Record<string, unknown>;

/** A scan without a store: every finding is new (or suppressed), seen at the evaluation time. */
export function ocsfEventsFromReports(
  input: AnalysisReport | readonly AnalysisReport[],
  tool: ToolInfo,
  options: OcsfOptions = {},
): OcsfEvent[] {
  const reports: readonly AnalysisReport[] = Array.isArray(input) ? input : [input as AnalysisReport];
  return reports.flatMap((report) => {
    const time = new Date(report.summary.evaluatedAt);
    return report.findings.map((finding) =>
      detectionFinding(
        finding,
        {
          activity: 'create',
          status: finding.suppression ? 'suppressed' : 'new',
          time,
          firstSeen: time,
          lastSeen: time,
        },
        tool,
        options,
      ),
    );
  });
}

/** A stored finding with its lifecycle, as `findings` lists it. */
export interface StoredFindingView extends Finding {
  status: FindingStatus;
  firstSeenAt: string;
  firstSeenScanId: string;
  lastChangedAt: string;
  resolvedAt?: string;
  suppressedAt?: string;
  remediatedAt?: string;
  reopenCount: number;
  /** The account's latest scan, when it saw the finding fail. */
  lastSeenScanId?: string;
  lastSeenAt?: string;
  unverifiedInLatestScan?: boolean;
}

/**
 * The lifecycle of a stored finding: open or suppressed is Create when the latest scan of its
 * account is the one that first saw it, else Update (also when the latest scan could not check it:
 * it was seen before, so it is not new); resolved and remediated are Close with status Resolved.
 */
export function storedLifecycle(finding: StoredFindingView): OcsfLifecycle {
  const firstSeen = new Date(finding.firstSeenAt);
  const modified = new Date(finding.lastChangedAt);
  const lastSeen = finding.lastSeenAt ? new Date(finding.lastSeenAt) : undefined;
  const stored = {
    status: finding.status,
    firstSeenScanId: finding.firstSeenScanId,
    ...(finding.lastSeenScanId ? { lastSeenScanId: finding.lastSeenScanId } : {}),
    ...(finding.unverifiedInLatestScan ? { unverifiedInLatestScan: true } : {}),
    reopenCount: finding.reopenCount,
  };
  const common = { firstSeen, modified, stored, ...(lastSeen ? { lastSeen } : {}) };
  switch (finding.status) {
    case 'resolved':
    case 'remediated': {
      const at = finding.status === 'resolved' ? finding.resolvedAt : finding.remediatedAt;
      return {
        ...common,
        activity: 'close',
        status: 'resolved',
        time: at ? new Date(at) : modified,
        ...(finding.status === 'remediated' ? { detail: 'remediated' } : {}),
      };
    }
    case 'open':
    case 'suppressed': {
      const created =
        finding.lastSeenScanId !== undefined && finding.lastSeenScanId === finding.firstSeenScanId;
      const suppressed = finding.status === 'suppressed';
      const since = suppressed && finding.suppressedAt ? new Date(finding.suppressedAt) : undefined;
      return {
        ...common,
        activity: created ? 'create' : 'update',
        status: suppressed ? 'suppressed' : 'new',
        time: created ? firstSeen : (since ?? lastSeen ?? modified),
        ...(finding.unverifiedInLatestScan ? { detail: 'not checked in the latest scan' } : {}),
      };
    }
  }
}

export function ocsfEventsFromStored(
  findings: readonly StoredFindingView[],
  tool: ToolInfo,
  options: OcsfOptions = {},
): OcsfEvent[] {
  return findings.map((finding) => detectionFinding(finding, storedLifecycle(finding), tool, options));
}

/** One Detection Finding event. */
export function detectionFinding(
  finding: Finding,
  lifecycle: OcsfLifecycle,
  tool: ToolInfo,
  options: OcsfOptions = {},
): OcsfEvent {
  const activityId = OCSF_ACTIVITIES[lifecycle.activity];
  const statusId = OCSF_STATUSES[lifecycle.status];
  const severity = SEVERITY_IDS[finding.severity];
  const rule = (options.rules ?? RULES).find((r) => r.meta.id === finding.ruleId);
  const arn = /^arn:([^:]*):[^:]*:([^:]*):/.exec(finding.resourceArn);
  const partition = arn?.[1];
  const region = finding.region ?? (arn?.[2] || undefined);
  const open = lifecycle.status === 'new';
  return {
    activity_id: activityId,
    activity_name: ACTIVITY_NAMES[activityId],
    category_uid: FINDINGS_CATEGORY.uid,
    category_name: FINDINGS_CATEGORY.name,
    class_uid: DETECTION_FINDING.classUid,
    class_name: DETECTION_FINDING.className,
    type_uid: DETECTION_FINDING.classUid * 100 + activityId,
    type_name: `${DETECTION_FINDING.className}: ${ACTIVITY_NAMES[activityId]}`,
    time: lifecycle.time.getTime(),
    severity_id: severity.id,
    severity: severity.name,
    status_id: statusId,
    status: STATUS_NAMES[statusId],
    ...(lifecycle.detail ? { status_detail: lifecycle.detail } : {}),
    message: finding.reason,
    is_alert: open,
    metadata: {
      version: OCSF_VERSION,
      product: {
        name: 'iam-posture',
        vendor_name: 'iam-posture',
        version: tool.version,
      },
      profiles: ['cloud'],
      // One event per finding and lifecycle state: a re-sent event keeps its uid.
      uid: `${finding.id}-${activityId}-${statusId}-${lifecycle.time.getTime()}`,
    },
    finding_info: {
      uid: finding.id,
      title: finding.title,
      desc: finding.reason,
      types: [finding.ruleId],
      analytic: { uid: finding.ruleId, name: finding.ruleId, type_id: 1, type: 'Rule' },
      created_time: (lifecycle.firstSeen ?? lifecycle.time).getTime(),
      ...(lifecycle.firstSeen ? { first_seen_time: lifecycle.firstSeen.getTime() } : {}),
      ...(lifecycle.lastSeen ? { last_seen_time: lifecycle.lastSeen.getTime() } : {}),
      ...(lifecycle.modified ? { modified_time: lifecycle.modified.getTime() } : {}),
      // Detection Finding has no `compliance` object (only Compliance Finding does): the controls
      // are tags, searchable in any SIEM, and in full under `unmapped`.
      ...(finding.compliance.length > 0
        ? { tags: finding.compliance.map((ref) => ({ name: ref.framework, value: ref.control })) }
        : {}),
    },
    cloud: {
      provider: 'AWS',
      account: { uid: finding.accountId, type_id: 10, type: 'AWS Account' },
      ...(region ? { region } : {}),
    },
    resources: [
      {
        uid: finding.resourceArn,
        type: RESOURCE_TYPES[finding.resourceType],
        name: resourceName(finding.resourceArn),
        ...(finding.resourceType === 'access-key' && finding.subResource
          ? { uid_alt: finding.subResource }
          : {}),
        ...(region ? { region } : {}),
        ...(partition ? { cloud_partition: partition } : {}),
        ...(finding.subResource ? { data: { subResource: finding.subResource } } : {}),
      },
    ],
    evidences: [{ data: finding.evidence }],
    remediation: {
      desc: finding.remediation.summary,
      ...(rule && rule.meta.references.length > 0 ? { references: [...rule.meta.references] } : {}),
    },
    unmapped: {
      ruleId: finding.ruleId,
      resourceType: finding.resourceType,
      ...(finding.subResource ? { subResource: finding.subResource } : {}),
      baseSeverity: finding.baseSeverity,
      riskScore: finding.riskScore,
      result: finding.result,
      ...(finding.remediation.action ? { remediationAction: finding.remediation.action } : {}),
      ...(finding.suppression ? { suppression: finding.suppression } : {}),
      ...(finding.compliance.length > 0
        ? {
            compliance: {
              standards: [...new Set(finding.compliance.map((ref) => FRAMEWORKS[ref.framework]))],
              controls: complianceLabel(finding.compliance),
            },
          }
        : {}),
      ...(lifecycle.stored ?? {}),
    },
  };
}

/** The last segment of an ARN's resource (`deploy-bot` of `...:user/ci/deploy-bot`). */
function resourceName(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split(/[/:]/).filter((part) => part.length > 0);
  return parts.at(-1) ?? arn;
}

/** JSON Lines: one event per line, each line a complete JSON object. */
export function formatOcsfLines(events: readonly OcsfEvent[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}

/** `scan --format ocsf`: the report's findings as new (or suppressed) Detection Findings. */
export function formatOcsf(
  reports: AnalysisReport | readonly AnalysisReport[],
  tool: ToolInfo,
  options: OcsfOptions = {},
): string {
  return formatOcsfLines(ocsfEventsFromReports(reports, tool, options));
}
