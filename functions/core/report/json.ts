import { gapCount, gapPlaces, gapResources } from '../coverage-gaps';
import type { Finding } from '../finding';
import type { AnalysisReport } from './types';

/**
 * A finding as the JSON output carries it: every field always present (absent values are `null`)
 * and in a fixed order, so consumers and diffs see a stable shape.
 */
export interface JsonFinding {
  id: string;
  ruleId: string;
  title: string;
  severity: Finding['severity'];
  baseSeverity: Finding['severity'];
  resourceType: Finding['resourceType'];
  resourceArn: string;
  subResource: string | null;
  accountId: string;
  region: string | null;
  reason: string;
  evidence: Finding['evidence'];
  compliance: Finding['compliance'];
  remediation: { summary: string; action: string | null };
  result: Finding['result'];
  riskScore: number;
  suppression: Finding['suppression'] | null;
  /** `{ id, source }`: who owns the resource and how that was found (`tag:<key>`, `pattern:<glob>`). */
  owner: { id: string; source: string } | null;
}

export function toJsonFinding(f: Finding): JsonFinding {
  return {
    id: f.id,
    ruleId: f.ruleId,
    title: f.title,
    severity: f.severity,
    baseSeverity: f.baseSeverity,
    resourceType: f.resourceType,
    resourceArn: f.resourceArn,
    subResource: f.subResource ?? null,
    accountId: f.accountId,
    region: f.region ?? null,
    reason: f.reason,
    evidence: f.evidence,
    compliance: f.compliance,
    remediation: { summary: f.remediation.summary, action: f.remediation.action ?? null },
    result: f.result,
    riskScore: f.riskScore,
    suppression: f.suppression ?? null,
    owner: f.owner ? { id: f.owner.id, source: f.owner.source } : null,
  };
}

/** `{ "findings": [...], "summary": {...}, "coverage": [...] }`, indented, with a final newline. */
export function formatJson(report: AnalysisReport): string {
  const document = {
    findings: report.findings.map(toJsonFinding),
    summary: report.summary,
    coverage: report.coverage.map((gap) => ({
      source: gap.source,
      category: gap.category,
      reason: gap.reason,
      arn: gap.arn,
      accountId: gap.accountId,
      detail: gap.detail ?? null,
      count: gapCount(gap),
      places: gapPlaces(gap),
      resources: gapResources(gap),
      resourcesOverflow: gap.resourcesOverflow === true,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
