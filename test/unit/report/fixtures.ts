import type { Finding } from '../../../functions/core/finding';
import type { AnalysisReport } from '../../../functions/core/report';
import { SEVERITIES, type Severity } from '../../../functions/core/rule';

export function aFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: '0123456789abcdef0123456789abcdef',
    ruleId: 'access-key-not-rotated',
    title: 'Access keys are rotated within the rotation window',
    severity: 'medium',
    baseSeverity: 'medium',
    resourceType: 'access-key',
    resourceArn: 'arn:aws:iam::111122223333:user/deploy-bot',
    subResource: 'AKIAIOSFODNN7EXAMPLE',
    accountId: '111122223333',
    reason: 'Access key AKIAIOSFODNN7EXAMPLE of user deploy-bot is 120 days old.',
    evidence: { createdAt: '2025-02-02T08:00:00.000Z', ageDays: 120, thresholdDays: 90 },
    compliance: [
      { framework: 'cis-aws-3.0', control: '1.14' },
      { framework: 'aws-fsbp', control: 'IAM.3' },
    ],
    remediation: { summary: 'Rotate the key.', action: 'deactivate-access-key' },
    result: 'fail',
    riskScore: 310,
    ...overrides,
  };
}

/** A report whose summary counts match its findings. */
export function aReport(findings: Finding[], overrides: Partial<AnalysisReport> = {}): AnalysisReport {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let suppressed = 0;
  for (const f of findings) {
    if (f.suppression) suppressed++;
    else bySeverity[f.severity]++;
  }
  const coverage = overrides.coverage ?? [];
  return {
    findings,
    summary: {
      accountId: '111122223333',
      evaluatedAt: '2025-06-02T08:00:00.000Z',
      resources: { role: 3, user: 2, 'access-key': 1, secret: 1, 'server-certificate': 0 },
      rulesEvaluated: 19,
      bySeverity,
      total: findings.length - suppressed,
      suppressed,
      errors: findings.filter((f) => f.result === 'error' && !f.suppression).length,
      coverageGaps: coverage.length,
    },
    coverage,
    ...overrides,
  };
}
