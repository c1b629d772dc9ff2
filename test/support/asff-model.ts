/**
 * What the Security Hub API model demands of a finding sent to BatchImportFindings, as a checker
 * for tests.
 *
 * Source: the AWS SDK for JavaScript v3, @aws-sdk/client-securityhub 3.1108.0 (generated from the
 * service's Smithy model):
 * - required members: `AwsSecurityFinding` and `Resource` in dist-types/models/models_2.d.ts (the
 *   members typed without `?`); the static schemas `AwsSecurityFinding$` and `Resource$` in
 *   dist-es/schemas/schemas_0.js list the required members first and end with their count;
 * - length and count limits: the "Length Constraints" / "Array Members" / key-value notes of the
 *   same members' documentation (AwsSecurityFinding, Resource, Recommendation, Compliance);
 * - enum values: SeverityLabel, WorkflowStatus, RecordState, ComplianceStatus, Partition in
 *   dist-types/models/enums.d.ts.
 */
import {
  ComplianceStatus,
  Partition,
  RecordState,
  SeverityLabel,
  WorkflowStatus,
} from '@aws-sdk/client-securityhub';

type Kind = 'string' | 'timestamp' | 'resources';

/** Required members of AwsSecurityFinding, in the model's order, with their shape. */
export const REQUIRED_FINDING_MEMBERS: ReadonlyArray<readonly [string, Kind]> = [
  ['SchemaVersion', 'string'],
  ['Id', 'string'],
  ['ProductArn', 'string'],
  ['GeneratorId', 'string'],
  ['AwsAccountId', 'string'],
  ['CreatedAt', 'timestamp'],
  ['UpdatedAt', 'timestamp'],
  ['Title', 'string'],
  ['Description', 'string'],
  ['Resources', 'resources'],
];

/** Required members of Resource. */
export const REQUIRED_RESOURCE_MEMBERS = ['Type', 'Id'] as const;

/** [min, max] lengths of string members. */
const LENGTHS: Readonly<Record<string, readonly [number, number]>> = {
  Id: [1, 512],
  ProductArn: [12, 2048],
  GeneratorId: [1, 512],
  AwsAccountId: [12, 12],
  Title: [1, 256],
  Description: [1, 1024],
  ProductName: [1, 128],
};

/** ASFF timestamps: RFC 3339 date-times (the model's `Iso8601Timestamp` strings). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const TYPE_NAMESPACES = [
  'Software and Configuration Checks',
  'TTPs',
  'Effects',
  'Unusual Behaviors',
  'Sensitive Data Identifications',
];

/** Every way `finding` breaks the model; empty when BatchImportFindings would take it. */
export function asffProblems(finding: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const problem = (text: string) => problems.push(text);
  for (const [name, kind] of REQUIRED_FINDING_MEMBERS) {
    const value = finding[name];
    if (value === undefined || value === null) {
      problem(`${name} is required`);
      continue;
    }
    if (kind === 'resources') continue;
    if (typeof value !== 'string') problem(`${name} must be a string`);
    else if (kind === 'timestamp' && !TIMESTAMP.test(value)) problem(`${name} is not an ISO-8601 timestamp`);
  }
  for (const [name, [min, max]] of Object.entries(LENGTHS)) {
    const value = finding[name];
    if (typeof value === 'string' && (value.length < min || value.length > max)) {
      problem(`${name} length ${value.length} is outside ${min}..${max}`);
    }
  }
  if (typeof finding.AwsAccountId === 'string' && !/^\d{12}$/.test(finding.AwsAccountId)) {
    problem('AwsAccountId must be 12 digits');
  }
  for (const name of ['FirstObservedAt', 'LastObservedAt']) {
    const value = finding[name];
    if (value !== undefined && (typeof value !== 'string' || !TIMESTAMP.test(value))) {
      problem(`${name} is not an ISO-8601 timestamp`);
    }
  }
  checkResources(finding.Resources, problem);
  checkTypes(finding.Types, 'Types', problem);
  checkSeverity(finding.Severity, 'Severity', problem);
  const provider = finding.FindingProviderFields as Record<string, unknown> | undefined;
  if (provider !== undefined) {
    checkTypes(provider.Types, 'FindingProviderFields.Types', problem);
    checkSeverity(provider.Severity, 'FindingProviderFields.Severity', problem);
  }
  checkRemediation(finding.Remediation, problem);
  checkProductFields(finding.ProductFields, problem);
  checkCompliance(finding.Compliance, problem);
  const workflow = finding.Workflow as { Status?: unknown } | undefined;
  if (workflow !== undefined) checkEnum(workflow.Status, WorkflowStatus, 'Workflow.Status', problem);
  if (finding.RecordState !== undefined) checkEnum(finding.RecordState, RecordState, 'RecordState', problem);
  if (Buffer.byteLength(JSON.stringify(finding)) > 240 * 1024) problem('the finding is larger than 240 KB');
  return problems;
}

function checkResources(value: unknown, problem: (text: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length < 1 || value.length > 32) {
    problem('Resources must be a list of 1..32 resources');
    return;
  }
  value.forEach((resource: Record<string, unknown>, index) => {
    for (const name of REQUIRED_RESOURCE_MEMBERS) {
      const member = resource[name];
      if (typeof member !== 'string' || member.length === 0) {
        problem(`Resources[${index}].${name} is required (a non-empty string)`);
      }
    }
    if (typeof resource.Type === 'string' && resource.Type.length > 256) {
      problem(`Resources[${index}].Type is longer than 256`);
    }
    if (resource.Partition !== undefined)
      checkEnum(resource.Partition, Partition, `Resources[${index}].Partition`, problem);
    if (
      resource.Region !== undefined &&
      (typeof resource.Region !== 'string' || resource.Region.length < 1 || resource.Region.length > 16)
    ) {
      problem(`Resources[${index}].Region length is outside 1..16`);
    }
  });
}

function checkTypes(value: unknown, name: string, problem: (text: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length > 50) {
    problem(`${name} must be a list of at most 50 types`);
    return;
  }
  for (const type of value) {
    const namespace = typeof type === 'string' ? type.split('/')[0] : undefined;
    if (!namespace || !TYPE_NAMESPACES.includes(namespace)) {
      problem(`${name}: "${String(type)}" is not in namespace/category/classifier form`);
    }
  }
}

function checkSeverity(value: unknown, name: string, problem: (text: string) => void): void {
  if (value === undefined) return;
  const severity = value as { Label?: unknown; Original?: unknown };
  checkEnum(severity.Label, SeverityLabel, `${name}.Label`, problem);
  if (severity.Original !== undefined && typeof severity.Original !== 'string') {
    problem(`${name}.Original must be a string`);
  }
}

function checkRemediation(value: unknown, problem: (text: string) => void): void {
  if (value === undefined) return;
  const recommendation = (value as { Recommendation?: { Text?: unknown; Url?: unknown } }).Recommendation;
  if (recommendation === undefined) return;
  const { Text, Url } = recommendation;
  if (Text !== undefined && (typeof Text !== 'string' || Text.length < 1 || Text.length > 512)) {
    problem('Remediation.Recommendation.Text length is outside 1..512');
  }
  if (Url !== undefined && (typeof Url !== 'string' || !/^https?:\/\//.test(Url))) {
    problem('Remediation.Recommendation.Url must be a URL');
  }
}

function checkProductFields(value: unknown, problem: (text: string) => void): void {
  if (value === undefined) return;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 50) problem('ProductFields has more than 50 pairs');
  for (const [key, field] of entries) {
    if (key.length > 128) problem(`ProductFields key ${key.slice(0, 20)}... is longer than 128`);
    if (typeof field !== 'string') problem(`ProductFields.${key} must be a string`);
    else if (field.length > 2048) problem(`ProductFields.${key} is longer than 2048`);
  }
}

function checkCompliance(value: unknown, problem: (text: string) => void): void {
  if (value === undefined) return;
  const compliance = value as { Status?: unknown; RelatedRequirements?: unknown };
  if (compliance.Status !== undefined)
    checkEnum(compliance.Status, ComplianceStatus, 'Compliance.Status', problem);
  const requirements = compliance.RelatedRequirements;
  if (requirements !== undefined && (!Array.isArray(requirements) || requirements.length > 32)) {
    problem('Compliance.RelatedRequirements must be a list of at most 32');
  }
}

function checkEnum(
  value: unknown,
  values: Record<string, string>,
  name: string,
  problem: (text: string) => void,
): void {
  if (typeof value !== 'string' || !Object.values(values).includes(value)) {
    problem(`${name} "${String(value)}" is not one of ${Object.values(values).join(', ')}`);
  }
}
