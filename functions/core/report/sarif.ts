import { gapCount } from '../coverage-gaps';
import type { Finding } from '../finding';
import { type Rule, type Severity, severityRank } from '../rule';
import { RULES } from '../rules';
import { type CatalogEntry, catalogEntries } from './catalog';
import type { AnalysisReport, CoverageEntry } from './types';

/**
 * SARIF 2.1.0, shaped for GitHub code scanning: rules from the catalog with `security-severity`,
 * one result per finding with a stable fingerprint and a repository-relative pseudo-path (GitHub
 * hides results without a location and does not accept an ARN as a URI), at most 5,000 results
 * per run (GitHub's limit, the most severe kept), and everything the scan could not read as tool
 * execution notifications, so a partial scan never looks like a clean one.
 */

export const SARIF_VERSION = '2.1.0';
export const SARIF_SCHEMA_URI =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** GitHub code scanning rejects runs with more results than this. */
export const SARIF_MAX_RESULTS = 5000;
/** The fingerprint GitHub matches results across uploads by: the finding id, already deterministic. */
export const SARIF_FINGERPRINT = 'iamPostureFindingId/v1';

/**
 * GitHub's bands: critical >= 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. Informational
 * findings carry none: they are notes, not vulnerabilities.
 */
const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  informational: undefined,
};

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  informational: 'note',
};

/** The tool that wrote a report, as SARIF and OCSF name it. The core cannot read package.json. */
export interface ToolInfo {
  version: string;
  /** Where to read about the tool; omitted when unset. */
  informationUri?: string;
}

export interface SarifOptions {
  /** Default: the full catalog. */
  rules?: readonly Rule[];
  /** Default 5,000 (GitHub's limit). */
  maxResults?: number;
  /**
   * Accounts of an organization run that produced no report (failed, not collected): each is a
   * notification, and the run is not successful.
   */
  unscannedAccounts?: readonly { accountId: string; reason: string }[];
}

/** The SARIF log of one account's report, or of an organization run's (a list) in one run. */
export function formatSarif(
  reports: AnalysisReport | readonly AnalysisReport[],
  tool: ToolInfo,
  options: SarifOptions = {},
): string {
  return `${JSON.stringify(sarifLog(reports, tool, options), null, 2)}\n`;
}

export function sarifLog(
  input: AnalysisReport | readonly AnalysisReport[],
  tool: ToolInfo,
  options: SarifOptions = {},
): Record<string, unknown> {
  const reports: readonly AnalysisReport[] = Array.isArray(input) ? input : [input as AnalysisReport];
  const entries = catalogEntries(options.rules ?? RULES);
  const findings = reports.flatMap((report) => report.findings);
  const limit = options.maxResults ?? SARIF_MAX_RESULTS;
  const kept = mostSevereFirst(findings).slice(0, limit);
  const omitted = findings.length - kept.length;

  const rules = entries.map((entry) => ruleDescriptor(entry, findings));
  const ruleIndex = new Map(entries.map((entry, index) => [entry.id, index]));
  const results = kept.map((finding) => sarifResult(finding, ruleIndex.get(finding.ruleId)));

  const notifications: Record<string, unknown>[] = [];
  for (const report of reports) {
    for (const gap of report.coverage) notifications.push(gapNotification(gap));
  }
  for (const account of options.unscannedAccounts ?? []) {
    notifications.push({
      level: 'error',
      message: { text: `Account ${account.accountId} was not scanned: ${account.reason}` },
      descriptor: { id: 'account-not-scanned' },
      properties: { accountId: account.accountId },
    });
  }
  const unread = notifications.length;
  if (omitted > 0) {
    notifications.push({
      level: 'warning',
      message: {
        text: `${omitted} of ${findings.length} results were omitted: a SARIF run holds at most ${limit}; the most severe are kept. The JSON or CSV report lists every finding.`,
      },
      descriptor: { id: 'results-truncated' },
    });
  }

  const driver: Record<string, unknown> = {
    name: 'iam-posture',
    version: tool.version,
    ...(tool.informationUri ? { informationUri: tool.informationUri } : {}),
    rules,
  };
  const run = {
    tool: { driver },
    automationDetails: {
      // A category per account, or one for an organization run whatever it managed to scan, so
      // an upload replaces the previous upload of the same scope only.
      id: Array.isArray(input)
        ? 'iam-posture/organization/'
        : `iam-posture/${reports[0]!.summary.accountId}/`,
    },
    invocations: [
      {
        // Something unread means the scan did not fully run, whatever it found elsewhere.
        executionSuccessful: unread === 0,
        ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
      },
    ],
    results,
    properties: {
      accounts: reports.map((r) => ({
        accountId: r.summary.accountId,
        evaluatedAt: r.summary.evaluatedAt,
        findings: r.summary.total,
        suppressed: r.summary.suppressed,
        coverageGaps: r.summary.coverageGaps,
      })),
      resultsTotal: findings.length,
      resultsOmitted: omitted,
      resultLimit: limit,
    },
  };
  return { version: SARIF_VERSION, $schema: SARIF_SCHEMA_URI, runs: [run] };
}

/**
 * Unsuppressed before suppressed, then by severity; within a severity the report's risk order
 * (privilege and staleness together) stays, so a cut keeps the riskiest.
 */
function mostSevereFirst(findings: readonly Finding[]): Finding[] {
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        Number(Boolean(a.finding.suppression)) - Number(Boolean(b.finding.suppression)) ||
        severityRank(a.finding.severity) - severityRank(b.finding.severity) ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
}

/**
 * GitHub reads the severity of an alert from its rule only. A finding can be raised above its
 * rule's default (an unused administrator role is critical), so a rule is shown at the severity
 * of its most severe unsuppressed finding in the run: raised findings are never understated.
 */
function effectiveSeverity(entry: CatalogEntry, findings: readonly Finding[]): Severity {
  let severity = entry.severity;
  for (const finding of findings) {
    if (finding.ruleId !== entry.id || finding.suppression) continue;
    if (severityRank(finding.severity) < severityRank(severity)) severity = finding.severity;
  }
  return severity;
}

function ruleDescriptor(entry: CatalogEntry, findings: readonly Finding[]): Record<string, unknown> {
  const severity = effectiveSeverity(entry, findings);
  const securitySeverity = SECURITY_SEVERITY[severity];
  const references = entry.references.map((url) => `- <${url}>`).join('\n');
  return {
    id: entry.id,
    name: pascalCase(entry.id),
    shortDescription: { text: entry.title },
    fullDescription: { text: entry.description },
    help: {
      text: `${entry.risk}\n\nRemediation: ${entry.remediation.summary}${
        entry.references.length > 0 ? `\n\nReferences:\n${entry.references.join('\n')}` : ''
      }`,
      markdown: `**Risk.** ${entry.risk}\n\n**Remediation.** ${entry.remediation.summary}${
        entry.remediation.action ? ` Automated remediation: \`${entry.remediation.action}\`.` : ''
      }${references ? `\n\n**References**\n\n${references}` : ''}`,
    },
    ...(entry.references[0] ? { helpUri: entry.references[0] } : {}),
    defaultConfiguration: { level: LEVEL[severity] },
    properties: {
      tags: [
        'security',
        'iam',
        ...entry.resourceKinds,
        ...entry.compliance.map((ref) => `${ref.framework}/${ref.control}`),
      ],
      severity,
      ...(securitySeverity ? { 'security-severity': securitySeverity } : {}),
      precision: 'very-high',
    },
  };
}

function sarifResult(finding: Finding, ruleIndex: number | undefined): Record<string, unknown> {
  const securitySeverity = SECURITY_SEVERITY[finding.severity];
  return {
    ruleId: finding.ruleId,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: LEVEL[finding.severity],
    message: { text: finding.reason },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: resourcePath(finding) },
          region: { startLine: 1 },
        },
        logicalLocations: [
          {
            fullyQualifiedName: finding.subResource
              ? `${finding.resourceArn}#${finding.subResource}`
              : finding.resourceArn,
            kind: 'resource',
          },
        ],
      },
    ],
    partialFingerprints: { [SARIF_FINGERPRINT]: finding.id },
    ...(finding.suppression
      ? {
          suppressions: [
            {
              kind: 'external',
              status: 'accepted',
              justification: `${finding.suppression.reason} (owner ${finding.suppression.owner}, expires ${finding.suppression.expires})`,
              properties: { owner: finding.suppression.owner, expires: finding.suppression.expires },
            },
          ],
        }
      : {}),
    properties: {
      findingId: finding.id,
      severity: finding.severity,
      baseSeverity: finding.baseSeverity,
      ...(securitySeverity ? { 'security-severity': securitySeverity } : {}),
      accountId: finding.accountId,
      resourceType: finding.resourceType,
      resourceArn: finding.resourceArn,
      ...(finding.subResource ? { subResource: finding.subResource } : {}),
      ...(finding.region ? { region: finding.region } : {}),
      riskScore: finding.riskScore,
      result: finding.result,
      evidence: finding.evidence,
    },
  };
}

function gapNotification(gap: CoverageEntry): Record<string, unknown> {
  const count = gapCount(gap);
  return {
    level: 'error',
    message: {
      text: `Could not read ${gap.source}${gap.detail ? ` (${gap.detail})` : ''}${
        count > 1 ? ` ${count} times` : ''
      } in account ${gap.accountId}: ${gap.reason} Findings there may be missing.`,
    },
    descriptor: { id: 'scan-coverage-gap' },
    associatedRule: { id: 'scan-coverage-gap' },
    properties: {
      accountId: gap.accountId,
      source: gap.source,
      category: gap.category,
      arn: gap.arn,
      ...(gap.detail ? { detail: gap.detail } : {}),
      count,
    },
  };
}

/** The ARN resource type each kind's ARNs start with, left out of the path (the kind says it). */
const ARN_RESOURCE_TYPE: Partial<Record<Finding['resourceType'], string>> = {
  role: 'role',
  user: 'user',
  group: 'group',
  'access-key': 'user',
  secret: 'secret',
  'server-certificate': 'server-certificate',
};

/**
 * The repository-relative pseudo-path of a finding's resource:
 * `aws/<account>/<resource type>[/<region>]/<name path>[/<sub-resource>]`, e.g.
 * `aws/111122223333/role/service-role/deployer` or
 * `aws/111122223333/access-key/ci/deploy-bot/AKIAIOSFODNN7EXAMPLE`. It depends only on the
 * finding's identity (account, resource, sub-resource), so it is the same on every scan, and every
 * segment is percent-encoded, so it is a valid relative URI whatever the names hold.
 */
export function resourcePath(
  finding: Pick<Finding, 'accountId' | 'resourceType' | 'resourceArn' | 'subResource'>,
): string {
  const arn = /^arn:[^:]*:[^:]*:([^:]*):[^:]*:(.+)$/.exec(finding.resourceArn);
  let segments: string[];
  if (arn) {
    const [, region, resource] = arn as unknown as [string, string, string];
    const parts = resource.split(/[/:]/).filter((part) => part.length > 0);
    if (parts.length > 1 && parts[0] === ARN_RESOURCE_TYPE[finding.resourceType]) parts.shift();
    segments = region ? [region, ...parts] : parts;
  } else {
    segments = [finding.resourceArn];
  }
  if (finding.subResource) segments.push(finding.subResource);
  return ['aws', finding.accountId, finding.resourceType, ...segments].map(uriSegment).join('/');
}

/** encodeURIComponent, plus the characters it leaves that some URI consumers treat specially. */
function uriSegment(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function pascalCase(id: string): string {
  return id
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
