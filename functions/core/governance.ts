import * as z from 'zod';
import { parseArn } from './arn';
import type { Finding } from './finding';
import type { FindingChange, StoredFinding } from './lifecycle';
import type { Inventory } from './model';
import { type CoverageGapRef, DATA_SETS, type DataSet, dataSetOfSource } from './reconcile';
import { type EvaluationContext, type Rule, SEVERITIES, type Severity, severityRank } from './rule';
import { accessKeyNotRotated } from './rules/access-key-not-rotated';
import { accessKeyUnused } from './rules/access-key-unused';
import { roleUnused } from './rules/role-unused';
import { secretRotationDisabled } from './rules/secret-rotation-disabled';
import { secretUnused } from './rules/secret-unused';
import type { Thresholds } from './thresholds';

/**
 * Governance measures: what one scan says about the account's standing privilege and credential
 * hygiene, as numbers that can be compared scan over scan. Each scan record stores them, the scan
 * function publishes them as metrics, and `iam-posture trend` prints them.
 *
 * A number is only as good as what was read. Every measure names the data sets it reads; when the
 * scan did not fully read one of them (a coverage gap, or a data set not read at all), the measure
 * is `partial`: it counts what was read, and says what was not. A partial count is never shown or
 * published as if it were the account's.
 *
 * The "unused" and "rotation" counts run the rules' own checks on the inventory, so a measure
 * means what the rule means (windows, grace for young identities, service-linked roles left out)
 * whether or not the rule is enabled and whatever exemptions suppress its findings: an exemption
 * decides who is told, not how much standing privilege the account holds.
 */

export const MEASURE_IDS = [
  'roles',
  'users',
  'groups',
  'accessKeys',
  'secrets',
  'serverCertificates',
  'standingAdmin',
  'unusedRoles',
  'unusedAccessKeys',
  'unusedSecrets',
  'unusedIdentities',
  'keysPastRotation',
  'secretsWithoutRotation',
  'credentialAgeMeanDays',
  'credentialAgeMaxDays',
  'openCritical',
  'openHigh',
  'openMedium',
  'openLow',
  'openInformational',
  'openTotal',
  'resolvedInScan',
  'remediationMeanDays',
  'remediationMedianDays',
  'closedInWindow',
  'remediationMedianDaysInWindow',
] as const;
export type MeasureId = (typeof MEASURE_IDS)[number];

export interface MeasureDefinition {
  id: MeasureId;
  /** Short name for tables. */
  label: string;
  /** What is counted, for the README and `trend --format json` readers. */
  description: string;
  unit: 'count' | 'days';
  /** The CloudWatch metric it is published as; unpublished measures have none. */
  metric?: string;
}

const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Informational',
};

/** The measures in display order. */
export const MEASURES: readonly MeasureDefinition[] = [
  {
    id: 'roles',
    label: 'roles',
    description: 'IAM roles, service-linked ones included',
    unit: 'count',
    metric: 'Roles',
  },
  {
    id: 'users',
    label: 'users',
    description: 'IAM users (the root user is not one)',
    unit: 'count',
  },
  { id: 'groups', label: 'groups', description: 'IAM groups', unit: 'count' },
  {
    id: 'accessKeys',
    label: 'active access keys',
    description: "active access keys, the root user's included",
    unit: 'count',
    metric: 'ActiveAccessKeys',
  },
  {
    id: 'secrets',
    label: 'secrets',
    description: 'Secrets Manager secrets, in the regions scanned',
    unit: 'count',
  },
  {
    id: 'serverCertificates',
    label: 'server certificates',
    description: 'IAM server certificates',
    unit: 'count',
  },
  {
    id: 'standingAdmin',
    label: 'standing admin',
    description:
      'roles and users holding administrator-equivalent permissions without a condition (the standing-admin check; suppressed findings count: an exemption does not remove the privilege)',
    unit: 'count',
    metric: 'StandingAdminIdentities',
  },
  {
    id: 'unusedRoles',
    label: 'unused roles',
    description: 'roles unused past roleUnusedDays (the role-unused check)',
    unit: 'count',
  },
  {
    id: 'unusedAccessKeys',
    label: 'unused access keys',
    description: 'active access keys unused past accessKeyUnusedDays (the access-key-unused check)',
    unit: 'count',
  },
  {
    id: 'unusedSecrets',
    label: 'unused secrets',
    description: 'secrets not accessed past secretUnusedDays (the secret-unused check)',
    unit: 'count',
  },
  {
    id: 'unusedIdentities',
    label: 'unused identities',
    description: 'unused roles, access keys and secrets together',
    unit: 'count',
    metric: 'UnusedIdentities',
  },
  {
    id: 'keysPastRotation',
    label: 'keys past rotation',
    description: 'active access keys older than accessKeyRotationDays (the access-key-not-rotated check)',
    unit: 'count',
    metric: 'AccessKeysPastRotation',
  },
  {
    id: 'secretsWithoutRotation',
    label: 'secrets without rotation',
    description: 'secrets with no automatic rotation configured (the secret-rotation-disabled check)',
    unit: 'count',
    metric: 'SecretsWithoutRotation',
  },
  {
    id: 'credentialAgeMeanDays',
    label: 'credential age mean (d)',
    description:
      'mean age in days of the active access keys (since creation) and secrets (since the last rotation, else creation)',
    unit: 'days',
    metric: 'CredentialAgeMeanDays',
  },
  {
    id: 'credentialAgeMaxDays',
    label: 'credential age worst (d)',
    description: 'age in days of the oldest of those credentials',
    unit: 'days',
    metric: 'CredentialAgeMaxDays',
  },
  ...SEVERITIES.map(
    (severity): MeasureDefinition => ({
      id: `open${SEVERITY_LABEL[severity]}` as MeasureId,
      label: `open ${severity}`,
      description: `open findings of ${severity} severity after this scan (suppressed ones are not open)`,
      unit: 'count',
      // Each metric is billed per month it is sent: the severities that call for action only.
      ...(severityRank(severity) <= severityRank('medium')
        ? { metric: `OpenFindings${SEVERITY_LABEL[severity]}` }
        : {}),
    }),
  ),
  {
    id: 'openTotal',
    label: 'open findings',
    description: 'open findings of every severity after this scan',
    unit: 'count',
  },
  {
    id: 'resolvedInScan',
    label: 'resolved in scan',
    description: 'findings this scan resolved',
    unit: 'count',
  },
  {
    id: 'remediationMeanDays',
    label: 'remediation mean (d)',
    description:
      'mean days from a finding being seen (or reopened) to this scan resolving it, over the findings it resolved',
    unit: 'days',
  },
  {
    id: 'remediationMedianDays',
    label: 'remediation median (d)',
    description: 'median of the same',
    unit: 'days',
  },
  {
    id: 'closedInWindow',
    label: 'closed in window',
    description: 'findings resolved or remediated in the remediation window before this scan',
    unit: 'count',
  },
  {
    id: 'remediationMedianDaysInWindow',
    label: 'remediation median, window (d)',
    description: 'median days from seen (or reopened) to resolved or remediated, over those findings',
    unit: 'days',
    metric: 'RemediationMedianDays',
  },
];

/** One measure of one scan. */
export interface Measure {
  /**
   * Absent when there was nothing to measure (the mean age of no credentials) or the scan could
   * not measure it at all; `note` says which.
   */
  value?: number;
  /**
   * What the measure reads that the scan did not fully read: data set names, or a short phrase
   * (`2 credentials without a date`). Present means the value counts only what was read.
   */
  partial?: string[];
  note?: string;
}

/** The measures of one scan, as stored in its scan record. */
export interface GovernanceMeasures {
  version: 1;
  measures: Partial<Record<MeasureId, Measure>>;
  /** How far back `closedInWindow` and `remediationMedianDaysInWindow` look. */
  remediationWindowDays: number;
}

const MeasureSchema = z.object({
  value: z.number().finite().optional(),
  partial: z.array(z.string()).optional(),
  note: z.string().optional(),
});

/**
 * The stored form. Measure ids this version does not know (a newer writer) are kept and ignored;
 * a known id with a malformed value fails the record, which the reader reports.
 */
export const GovernanceMeasuresSchema = z.object({
  version: z.literal(1),
  measures: z.record(z.string(), MeasureSchema),
  remediationWindowDays: z.number().int().min(1),
});

/** Findings resolved or remediated this long before a scan count toward the window figures. */
export const DEFAULT_REMEDIATION_WINDOW_DAYS = 90;

export interface GovernanceInput {
  inventory: Inventory;
  /** This scan's findings (failures and errors, suppressed ones included). */
  findings: readonly Finding[];
  thresholds: Thresholds;
  disabledRules: readonly string[];
  /** The time the data describes: the scan's evaluation time. */
  asOf: Date;
  /** What the scan could not read. */
  coverage: { gaps: readonly CoverageGapRef[]; unread: readonly DataSet[] };
  /** The account's findings in the store once this scan's changes are applied. */
  lifecycle: {
    /** Every readable stored finding, after this scan's changes. */
    findings: readonly StoredFinding[];
    /** The changes this scan makes. */
    changes: readonly FindingChange[];
    /** Stored finding items that could not be read. */
    malformed: number;
    /** Findings this scan could not settle because their input was not fully read. */
    held: number;
    /** Default `DEFAULT_REMEDIATION_WINDOW_DAYS`. */
    windowDays?: number;
  };
}

const DAY_MS = 86_400_000;

/** Computes every measure of one scan. Pure. */
export function computeGovernance(input: GovernanceInput): GovernanceMeasures {
  const { inventory } = input;
  const missing = notFullyRead(input.coverage, { policies: true });
  const missingListing = notFullyRead(input.coverage, { policies: false });
  const partialFrom =
    (sets: ReadonlySet<DataSet>) =>
    (inputs: readonly DataSet[], extra: readonly string[] = []): string[] | undefined => {
      const parts = [...inputs.filter((dataSet) => sets.has(dataSet)), ...extra];
      return parts.length > 0 ? parts : undefined;
    };
  // Counts read listings; privilege and findings read policy documents too.
  const from = partialFrom(missingListing);
  const fromPolicies = partialFrom(missing);
  const measure = (value: number | undefined, partial?: string[], note?: string): Measure => ({
    ...(value !== undefined ? { value } : {}),
    ...(partial ? { partial } : {}),
    ...(note !== undefined ? { note } : {}),
  });
  const ctx = ruleContext(input);
  const measures: Partial<Record<MeasureId, Measure>> = {};

  const authorization: DataSet[] = ['authorization-details'];
  const credentialReport: DataSet[] = ['credential-report'];
  const secretsRead: DataSet[] = ['secrets'];
  const activeKeys = inventory.accessKeys.filter((key) => key.active);

  measures.roles = measure(inventory.roles.length, from(authorization));
  measures.users = measure(inventory.users.filter((user) => !user.isRoot).length, from(authorization));
  measures.groups = measure(inventory.groups.length, from(authorization));
  measures.accessKeys = measure(activeKeys.length, from(credentialReport));
  measures.secrets = measure(inventory.secrets.length, from(secretsRead));
  measures.serverCertificates = measure(inventory.serverCertificates.length, from(['server-certificates']));

  measures.standingAdmin = standingAdmin(input, fromPolicies(authorization));

  const unusedRoles = countFailing(roleUnused, inventory.roles, ctx);
  const unusedKeys = countFailing(accessKeyUnused, inventory.accessKeys, ctx);
  const unusedSecrets = countFailing(secretUnused, inventory.secrets, ctx);
  measures.unusedRoles = measure(unusedRoles.count, from(authorization, unusedRoles.errors));
  measures.unusedAccessKeys = measure(unusedKeys.count, from(credentialReport, unusedKeys.errors));
  measures.unusedSecrets = measure(unusedSecrets.count, from(secretsRead, unusedSecrets.errors));
  measures.unusedIdentities = measure(
    unusedRoles.count + unusedKeys.count + unusedSecrets.count,
    from(
      ['authorization-details', 'credential-report', 'secrets'],
      [...unusedRoles.errors, ...unusedKeys.errors, ...unusedSecrets.errors],
    ),
  );

  const notRotated = countFailing(accessKeyNotRotated, inventory.accessKeys, ctx);
  measures.keysPastRotation = measure(notRotated.count, from(credentialReport, notRotated.errors));
  const noRotation = countFailing(secretRotationDisabled, inventory.secrets, ctx);
  measures.secretsWithoutRotation = measure(noRotation.count, from(secretsRead, noRotation.errors));

  const ages: number[] = [];
  let undated = 0;
  const since = [
    ...activeKeys.map((key) => key.createdAt),
    ...inventory.secrets.map((secret) => secret.lastRotatedAt ?? secret.createdAt),
  ];
  for (const date of since) {
    if (date === undefined) undated++;
    else ages.push(Math.max(0, (input.asOf.getTime() - date.getTime()) / DAY_MS));
  }
  const agePartial = from(
    ['credential-report', 'secrets'],
    undated > 0 ? [`${undated} credential${undated === 1 ? '' : 's'} without a date`] : [],
  );
  const noCredentials = ages.length === 0 ? 'no dated credentials' : undefined;
  measures.credentialAgeMeanDays = measure(oneDecimal(mean(ages)), agePartial, noCredentials);
  measures.credentialAgeMaxDays = measure(
    ages.length > 0 ? oneDecimal(Math.max(...ages)) : undefined,
    agePartial,
    noCredentials,
  );

  Object.assign(measures, lifecycleMeasures(input, fromPolicies(DATA_SETS)));
  return {
    version: 1,
    measures,
    remediationWindowDays: input.lifecycle.windowDays ?? DEFAULT_REMEDIATION_WINDOW_DAYS,
  };
}

/**
 * Data sets with a coverage gap or not read at all; a gap from an unknown source weighs on every
 * one. A gap about one managed policy's document hides permissions, not identities: it is left out
 * unless `policies`, so a missing policy document does not make the count of roles partial.
 */
function notFullyRead(
  coverage: GovernanceInput['coverage'],
  { policies }: { policies: boolean },
): Set<DataSet> {
  const missing = new Set<DataSet>(coverage.unread);
  for (const gap of coverage.gaps) {
    if (!policies && isPolicyDocumentGap(gap)) continue;
    const dataSet = dataSetOfSource(gap.source);
    if (dataSet === undefined) for (const each of DATA_SETS) missing.add(each);
    else missing.add(dataSet);
  }
  return missing;
}

function isPolicyDocumentGap(gap: CoverageGapRef): boolean {
  const arn = parseArn(gap.arn);
  return arn?.service === 'iam' && arn.resource.startsWith('policy/');
}

/**
 * The rules these measures run read only the snapshot, the time and the thresholds; the
 * organization, privilege, ownership and environment parts of the context are there for the type,
 * and say "unknown".
 */
function ruleContext(input: GovernanceInput): EvaluationContext {
  return {
    now: input.asOf,
    thresholds: input.thresholds,
    accountId: input.inventory.accountId,
    organization: { accountIds: new Set(), unknown: true },
    privilegeOf: () => undefined,
    ownerOf: () => undefined,
    ownership: { tagKeys: [], patternCount: 0 },
    environmentOf: () => undefined,
  };
}

/** How many snapshots the rule fails; a snapshot it throws on is neither counted nor taken as passing. */
function countFailing(rule: Rule, snapshots: readonly object[], ctx: EvaluationContext) {
  let count = 0;
  let thrown = 0;
  for (const snapshot of snapshots) {
    try {
      if (rule.evaluate(snapshot as never, ctx).status === 'fail') count++;
    } catch {
      thrown++;
    }
  }
  const errors = thrown > 0 ? [`${thrown} resource${thrown === 1 ? '' : 's'} could not be evaluated`] : [];
  return { count, errors };
}

/** Roles and users the standing-admin check failed, by ARN: one identity is one, whatever holds it. */
function standingAdmin(input: GovernanceInput, partial: string[] | undefined): Measure {
  if (input.disabledRules.includes('standing-admin')) return { note: 'the standing-admin rule is disabled' };
  const admins = new Set<string>();
  const unknown = new Set<string>();
  for (const finding of input.findings) {
    if (finding.ruleId !== 'standing-admin') continue;
    if (finding.resourceType !== 'role' && finding.resourceType !== 'user') continue;
    (finding.result === 'fail' ? admins : unknown).add(finding.resourceArn);
  }
  const parts = [
    ...(partial ?? []),
    ...(unknown.size > 0
      ? [`${unknown.size} identit${unknown.size === 1 ? 'y' : 'ies'} could not be evaluated`]
      : []),
  ];
  return { value: admins.size, ...(parts.length > 0 ? { partial: parts } : {}) };
}

function lifecycleMeasures(
  input: GovernanceInput,
  scanPartial: string[] | undefined,
): Partial<Record<MeasureId, Measure>> {
  const { lifecycle, asOf } = input;
  const unreadable =
    lifecycle.malformed > 0
      ? [`${lifecycle.malformed} stored finding${lifecycle.malformed === 1 ? '' : 's'} unreadable`]
      : [];
  const withPartial = (value: number | undefined, parts: readonly string[], note?: string): Measure => ({
    ...(value !== undefined ? { value } : {}),
    ...(parts.length > 0 ? { partial: [...parts] } : {}),
    ...(note !== undefined && value === undefined ? { note } : {}),
  });
  const result: Partial<Record<MeasureId, Measure>> = {};

  // New failures hidden by a gap are not counted, and open ones on unread input are held open.
  const openParts = [...(scanPartial ?? []), ...unreadable];
  const open = lifecycle.findings.filter((finding) => finding.status === 'open');
  for (const severity of SEVERITIES) {
    const id = `open${SEVERITY_LABEL[severity]}` as MeasureId;
    result[id] = withPartial(open.filter((finding) => finding.severity === severity).length, openParts);
  }
  result.openTotal = withPartial(open.length, openParts);

  // A finding on input that was not fully read is held, not resolved: fewer resolutions than real.
  const resolvedParts = [
    ...(lifecycle.held > 0 ? [`${lifecycle.held} finding${lifecycle.held === 1 ? '' : 's'} held`] : []),
    ...unreadable,
  ];
  const resolvedDays = lifecycle.changes
    .filter((change) => change.kind === 'resolved')
    .flatMap((change) => daysOpen(change.after, change.after.resolvedAt));
  const resolvedCount = lifecycle.changes.filter((change) => change.kind === 'resolved').length;
  result.resolvedInScan = withPartial(resolvedCount, resolvedParts);
  result.remediationMeanDays = withPartial(oneDecimal(mean(resolvedDays)), resolvedParts, 'nothing resolved');
  result.remediationMedianDays = withPartial(
    oneDecimal(median(resolvedDays)),
    resolvedParts,
    'nothing resolved',
  );

  const windowDays = lifecycle.windowDays ?? DEFAULT_REMEDIATION_WINDOW_DAYS;
  const windowStart = asOf.getTime() - windowDays * DAY_MS;
  const closedDays: number[] = [];
  let closed = 0;
  for (const finding of lifecycle.findings) {
    const closedAt =
      finding.status === 'resolved'
        ? finding.resolvedAt
        : finding.status === 'remediated'
          ? finding.remediatedAt
          : undefined;
    const at = closedAt === undefined ? Number.NaN : Date.parse(closedAt);
    if (Number.isNaN(at) || at < windowStart || at > asOf.getTime()) continue;
    closed++;
    closedDays.push(...daysOpen(finding, closedAt));
  }
  result.closedInWindow = withPartial(closed, unreadable);
  result.remediationMedianDaysInWindow = withPartial(
    oneDecimal(median(closedDays)),
    unreadable,
    'nothing closed in the window',
  );
  return result;
}

/** Days from the start of the finding's latest episode (seen, or reopened) to `closedAt`. */
function daysOpen(finding: StoredFinding, closedAt: string | undefined): number[] {
  const start = Date.parse(finding.reopenedAt ?? finding.firstSeenAt);
  const end = closedAt === undefined ? Number.NaN : Date.parse(closedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return [];
  return [Math.max(0, (end - start) / DAY_MS)];
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function oneDecimal(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 10) / 10;
}

/**
 * The stored findings of an account once a scan's changes are applied: each change's record
 * replaces the stored one of the same id.
 */
export function findingsAfter(
  stored: readonly StoredFinding[],
  changes: readonly FindingChange[],
): StoredFinding[] {
  const byId = new Map(stored.map((finding) => [finding.id, finding]));
  for (const change of changes) byId.set(change.after.id, change.after);
  return [...byId.values()];
}

// ------------------------------------------------------------------------------------- metrics

/** The one dimension of the governance metrics besides the service: the scanned account. */
export const GOVERNANCE_METRIC_DIMENSION = 'account';
/** Published with every scan's measures: how many of the published measures were partial (so not sent). */
export const PARTIAL_MEASURES_METRIC = 'GovernancePartialMeasures';

export interface GovernanceMetric {
  name: string;
  unit: 'Count' | 'None';
  value: number;
}

/** Where the scan function sends an account's governance metrics (CloudWatch, through Powertools). */
export interface GovernanceMetricsSink {
  publish(accountId: string, metrics: readonly GovernanceMetric[]): void;
}

/**
 * The metrics of a scan's measures. A partial measure is not published: CloudWatch shows a gap
 * for that scan rather than a count of only what was read (which would look like an
 * improvement), and `GovernancePartialMeasures` says how many were left out.
 */
export function governanceMetrics(governance: GovernanceMeasures): GovernanceMetric[] {
  const metrics: GovernanceMetric[] = [];
  let partial = 0;
  for (const definition of MEASURES) {
    if (definition.metric === undefined) continue;
    const measure = governance.measures[definition.id];
    if (measure?.partial) {
      partial++;
      continue;
    }
    if (measure?.value === undefined) continue;
    metrics.push({
      name: definition.metric,
      unit: definition.unit === 'count' ? 'Count' : 'None',
      value: measure.value,
    });
  }
  metrics.push({ name: PARTIAL_MEASURES_METRIC, unit: 'Count', value: partial });
  return metrics;
}
