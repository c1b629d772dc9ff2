import { ACCOUNT_ID_PATTERN, accountRootArn, REGION_PATTERN } from '../arn';
import type { Finding } from '../finding';
import type { FindingStatus } from '../lifecycle';
import type { ResourceKind } from '../model';
import { COVERAGE_GAP_RULE } from '../reconcile';
import { FRAMEWORKS, type RuleMetadata, type Severity } from '../rule';
import { RULES } from '../rules';
import type { AnalysisReport } from './types';

/**
 * AWS Security Finding Format (ASFF): a finding as AWS Security Hub imports it through
 * `BatchImportFindings` into the account's default product (a custom integration). Pure: the
 * caller says which region the findings go to, when they were observed, and what the findings
 * store knows of each one's lifecycle.
 *
 * The finding's identity in Security Hub is derived from its own id, account and region, so a
 * later import of the same finding updates it. CreatedAt and FirstObservedAt are the time the
 * finding was first seen, never the import time, so a re-import does not make an old finding look
 * new. Every text is cut to the limit the API model sets, with a marker, so long evidence never
 * makes an import fail.
 */

export const ASFF_SCHEMA_VERSION = '2018-10-08';

/** Findings per `BatchImportFindings` call. */
export const ASFF_BATCH_LIMIT = 100;

/** Field limits from the Security Hub API model (AwsSecurityFinding, Resource, Recommendation, Compliance). */
export const ASFF_LIMITS = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  recommendationText: 512,
  resourceType: 256,
  relatedRequirements: 32,
  types: 50,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
} as const;

/** Appended to a text cut to its field's limit. */
export const TRUNCATION_MARKER = ' …[truncated]';

export type AsffSeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type AsffWorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
export type AsffRecordState = 'ACTIVE' | 'ARCHIVED';
export type AsffComplianceStatus = 'PASSED' | 'WARNING' | 'FAILED' | 'NOT_AVAILABLE';
export type AsffPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface AsffResource {
  Type: string;
  Id: string;
  Partition: AsffPartition;
  Region: string;
}

/** The ASFF attributes this project sets; a structural subset of the SDK's `AwsSecurityFinding`. */
export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  ProductName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  FirstObservedAt: string;
  LastObservedAt: string;
  Severity: { Label: AsffSeverityLabel; Original: string };
  Title: string;
  Description: string;
  Remediation?: { Recommendation: { Text: string; Url?: string } };
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Compliance: { Status: AsffComplianceStatus; RelatedRequirements?: string[] };
  Workflow: { Status: AsffWorkflowStatus };
  RecordState: AsffRecordState;
  /** Where Security Hub takes a provider's severity and types from after the first import. */
  FindingProviderFields: { Severity: { Label: AsffSeverityLabel; Original: string }; Types: string[] };
}

/** What the findings store knows of a finding's lifecycle. */
export interface AsffLifecycle {
  status: FindingStatus;
  firstSeenAt: string;
  /** When it was last seen in the state the import describes; default `observedAt`. */
  lastSeenAt?: string;
}

export interface AsffContext {
  /** The Security Hub region the finding is imported into (its product ARN names it). */
  region: string;
  /** When the state being imported was observed (the scan's evaluation time), ISO-8601. */
  observedAt: string;
  /** Without it, the finding is first seen now and its status follows its suppression. */
  lifecycle?: AsffLifecycle;
}

/** A finding that cannot be expressed in ASFF: the account or region is not a valid one. */
export class AsffMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AsffMappingError';
  }
}

const SEVERITY_LABELS: Readonly<Record<Severity, AsffSeverityLabel>> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  informational: 'INFORMATIONAL',
};

const RESOURCE_TYPES: Readonly<Record<ResourceKind, string>> = {
  role: 'AwsIamRole',
  user: 'AwsIamUser',
  group: 'AwsIamGroup',
  'access-key': 'AwsIamAccessKey',
  secret: 'AwsSecretsManagerSecret',
  'server-certificate': 'Other',
  'jit-eligibility': 'Other',
  'break-glass-grant': 'Other',
  'review-standing': 'Other',
  'coverage-gap': 'Other',
};

const BEST_PRACTICES_TYPE = 'Software and Configuration Checks/AWS Security Best Practices';
const CIS_TYPE =
  'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark';

const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{12,124}$/;
const PRODUCT_FIELD_PREFIX = 'iam-posture/';

const RULES_BY_ID: ReadonlyMap<string, RuleMetadata> = new Map(
  RULES.map((rule) => [rule.meta.id, rule.meta]),
);

/** The partition a region belongs to. */
export function partitionOfRegion(region: string): AsffPartition {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

/** The account's default product: where a custom integration imports its findings. */
export function defaultProductArn(region: string, accountId: string): string {
  return `arn:${partitionOfRegion(region)}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

/** The Security Hub finding id: the same for the same finding, account and region on every import. */
export function asffFindingId(finding: Pick<Finding, 'id' | 'accountId'>, region: string): string {
  return `iam-posture/${finding.accountId}/${region}/${finding.id}`;
}

export function toAsffFinding(finding: Finding, context: AsffContext): AsffFinding {
  const { region, observedAt } = context;
  if (!REGION_PATTERN.test(region)) {
    throw new AsffMappingError(`finding ${finding.id}: "${region}" is not an AWS region to import into`);
  }
  if (!ACCOUNT_ID_PATTERN.test(finding.accountId)) {
    throw new AsffMappingError(
      `finding ${finding.id}: account id "${finding.accountId}" is not a 12-digit AWS account id`,
    );
  }
  const status = context.lifecycle?.status ?? (finding.suppression ? 'suppressed' : 'open');
  const firstSeenAt = context.lifecycle?.firstSeenAt ?? observedAt;
  // Security Hub rejects an update older than the finding's creation.
  const updatedAt = latest(observedAt, firstSeenAt);
  const lastSeenAt = latest(context.lifecycle?.lastSeenAt ?? observedAt, firstSeenAt);
  const rule = RULES_BY_ID.get(finding.ruleId);
  const severity = { Label: SEVERITY_LABELS[finding.severity], Original: finding.severity };
  const types = findingTypes(finding);
  const closed = status === 'resolved' || status === 'remediated';
  const recommendation = remediationOf(finding, rule);
  const requirements = finding.compliance
    .map((ref) => `${FRAMEWORKS[ref.framework] ?? ref.framework}/${ref.control}`)
    .slice(0, ASFF_LIMITS.relatedRequirements);
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: truncate(asffFindingId(finding, region), ASFF_LIMITS.id),
    ProductArn: defaultProductArn(region, finding.accountId),
    ProductName: 'iam-posture',
    GeneratorId: truncate(finding.ruleId, ASFF_LIMITS.generatorId),
    AwsAccountId: finding.accountId,
    Types: types,
    CreatedAt: firstSeenAt,
    UpdatedAt: updatedAt,
    FirstObservedAt: firstSeenAt,
    LastObservedAt: lastSeenAt,
    Severity: severity,
    Title: truncate(nonEmpty(finding.title, finding.ruleId), ASFF_LIMITS.title),
    Description: truncate(descriptionOf(finding, rule), ASFF_LIMITS.description),
    ...(recommendation ? { Remediation: { Recommendation: recommendation } } : {}),
    ProductFields: productFields(finding, status),
    Resources: resourcesOf(finding, region),
    Compliance: {
      Status: closed ? 'PASSED' : undetermined(finding) ? 'WARNING' : 'FAILED',
      ...(requirements.length > 0 ? { RelatedRequirements: requirements } : {}),
    },
    Workflow: { Status: closed ? 'RESOLVED' : status === 'suppressed' ? 'SUPPRESSED' : 'NEW' },
    RecordState: closed ? 'ARCHIVED' : 'ACTIVE',
    FindingProviderFields: { Severity: severity, Types: types },
  };
}

export interface AsffReportOptions {
  region: string;
  /** Stored lifecycle by finding id; a finding without one is first seen at the report's evaluation time. */
  lifecycle?: ReadonlyMap<string, AsffLifecycle>;
}

/** The report's findings as ASFF. */
export function asffFindings(report: AnalysisReport, options: AsffReportOptions): AsffFinding[] {
  const observedAt = report.summary.evaluatedAt;
  return report.findings.map((finding) => {
    const lifecycle = options.lifecycle?.get(finding.id);
    return toAsffFinding(finding, {
      region: options.region,
      observedAt,
      ...(lifecycle ? { lifecycle } : {}),
    });
  });
}

/**
 * `--format asff`: a JSON array of findings, for `aws securityhub batch-import-findings` in
 * batches of at most 100.
 */
export function formatAsff(report: AnalysisReport, options: AsffReportOptions): string {
  return `${JSON.stringify(asffFindings(report, options), null, 2)}\n`;
}

/** `items` in consecutive batches of at most `size`. */
export function inBatches<T>(items: readonly T[], size: number = ASFF_BATCH_LIMIT): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

/**
 * `text` cut to `max` characters, ending in the truncation marker when it was cut. A surrogate
 * pair is never split, so the result stays valid UTF-16.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - TRUNCATION_MARKER.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}${TRUNCATION_MARKER}`;
}

function latest(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function nonEmpty(text: string, fallback: string): string {
  return text.trim() === '' ? fallback : text;
}

/** A rule that threw, or a coverage gap: the resource's state is unknown, not known to be failing. */
function undetermined(finding: Finding): boolean {
  return finding.result === 'error' || finding.ruleId === COVERAGE_GAP_RULE;
}

function findingTypes(finding: Finding): string[] {
  const types = [BEST_PRACTICES_TYPE];
  if (finding.compliance.some((ref) => ref.framework === 'cis-aws-3.0')) types.push(CIS_TYPE);
  return types.slice(0, ASFF_LIMITS.types);
}

function descriptionOf(finding: Finding, rule: RuleMetadata | undefined): string {
  const reason = nonEmpty(finding.reason, finding.title || finding.ruleId);
  return rule?.description ? `${reason} ${rule.description}` : reason;
}

function remediationOf(
  finding: Finding,
  rule: RuleMetadata | undefined,
): { Text: string; Url?: string } | undefined {
  const text = finding.remediation.summary.trim();
  if (text === '') return undefined;
  const url = rule?.references.find((reference) => reference.startsWith('https://'));
  return { Text: truncate(text, ASFF_LIMITS.recommendationText), ...(url ? { Url: url } : {}) };
}

function resourcesOf(finding: Finding, region: string): AsffResource[] {
  const partition = partitionOfRegion(region);
  const resourceRegion = finding.region && REGION_PATTERN.test(finding.region) ? finding.region : region;
  const arn = finding.resourceArn || accountRootArn(partition, finding.accountId);
  const resource = (type: string, id: string): AsffResource => ({
    Type: type,
    Id: id,
    Partition: partition,
    Region: resourceRegion,
  });
  if (finding.resourceType === 'access-key') {
    // The key is named by its id when the key listing was read, else by its credential report slot.
    const key = finding.subResource ?? '';
    const keyId = ACCESS_KEY_ID.test(key) ? key : `${arn}/access-key/${key || 'unknown'}`;
    return [resource('AwsIamAccessKey', keyId), resource(isUserArn(arn) ? 'AwsIamUser' : 'Other', arn)];
  }
  return [resource(RESOURCE_TYPES[finding.resourceType] ?? 'Other', arn)];
}

function isUserArn(arn: string): boolean {
  return /^arn:[^:]+:iam::\d{12}:user\//.test(arn);
}

function productFields(finding: Finding, status: FindingStatus): Record<string, string> {
  const fields: [string, string | undefined][] = [
    ['RuleId', finding.ruleId],
    ['FindingId', finding.id],
    ['Status', status],
    ['Result', finding.result],
    ['ResourceArn', finding.resourceArn],
    ['SubResource', finding.subResource],
    ['BaseSeverity', finding.baseSeverity],
    ['RiskScore', String(finding.riskScore)],
    ['RemediationAction', finding.remediation.action],
    ['SuppressionReason', finding.suppression?.reason],
    ['SuppressionOwner', finding.suppression?.owner],
    ['SuppressionExpires', finding.suppression?.expires],
    ['Evidence', evidenceText(finding.evidence)],
  ];
  const out: Record<string, string> = {};
  for (const [key, value] of fields) {
    if (value === undefined || value === '') continue;
    out[`${PRODUCT_FIELD_PREFIX}${key}`] = truncate(value, ASFF_LIMITS.productFieldValue);
  }
  return out;
}

function evidenceText(evidence: Finding['evidence']): string | undefined {
  if (Object.keys(evidence).length === 0) return undefined;
  return JSON.stringify(evidence);
}
