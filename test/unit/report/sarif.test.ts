import { describe, expect, it } from 'vitest';
import {
  formatReport,
  formatSarif,
  resourcePath,
  SARIF_FINGERPRINT,
  SARIF_MAX_RESULTS,
  sarifLog,
} from '../../../functions/core/report';
import { RULES } from '../../../functions/core/rules';
import { aFinding, aReport } from './fixtures';
import { sarifValidator } from './sarif-schema';

const validate = sarifValidator();
const TOOL = { version: '1.2.3' };

function expectValidSarif(log: unknown): void {
  const valid = validate(log);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

// biome-ignore lint/suspicious/noExplicitAny: parsed SARIF, read by path in assertions
type Json = any;

type Log = {
  runs: {
    tool: { driver: { name: string; version: string; rules: Record<string, Json>[] } };
    invocations: { executionSuccessful: boolean; toolExecutionNotifications?: Record<string, Json>[] }[];
    results: Record<string, Json>[];
    properties: Record<string, Json>;
    automationDetails: { id: string };
  }[];
};

const admin = aFinding({
  id: 'f0000000000000000000000000000001',
  ruleId: 'role-unused',
  title: 'Roles are used within the unused-role window',
  severity: 'critical',
  baseSeverity: 'medium',
  resourceType: 'role',
  resourceArn: 'arn:aws:iam::111122223333:role/service-role/deployer',
  subResource: undefined,
  reason: 'Role deployer has not been used for 200 days.',
  compliance: [{ framework: 'owasp-nhi-2025', control: 'NHI1' }],
  remediation: { summary: 'Quarantine the role.', action: 'quarantine-role' },
  riskScore: 900,
});
const key = aFinding({ id: 'f0000000000000000000000000000002' });
const secret = aFinding({
  id: 'f0000000000000000000000000000003',
  ruleId: 'secret-rotation-disabled',
  severity: 'high',
  baseSeverity: 'high',
  resourceType: 'secret',
  resourceArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db password-AbCdEf',
  subResource: undefined,
  region: 'eu-west-1',
  reason: 'Secret prod/db password has no rotation.',
  suppression: { reason: 'Rotated by the vendor', owner: 'platform-team', expires: '2026-12-31' },
});
const info = aFinding({
  id: 'f0000000000000000000000000000004',
  ruleId: 'policy-organization-unconfirmed',
  severity: 'informational',
  baseSeverity: 'informational',
  resourceType: 'role',
  resourceArn: 'arn:aws:iam::111122223333:role/partner',
  subResource: undefined,
  reason: 'Role partner names an organization that could not be confirmed.',
});
const gap = {
  arn: 'arn:aws:iam::111122223333:root',
  accountId: '111122223333',
  source: 'iam:GetAccountAuthorizationDetails',
  category: 'AccessDenied',
  reason: 'Access denied.',
};

describe('formatSarif', () => {
  it('writes a log valid against the SARIF 2.1.0 schema, for a report with every kind of result', () => {
    const report = aReport([admin, key, secret, info], { coverage: [gap] });
    const text = formatSarif(report, { version: '9.9.9', informationUri: 'https://example.com/iam-posture' });
    expect(text.endsWith('}\n')).toBe(true);
    const log = JSON.parse(text);
    expect(log.version).toBe('2.1.0');
    expectValidSarif(log);
    expect(log.runs[0].tool.driver).toMatchObject({
      name: 'iam-posture',
      version: '9.9.9',
      informationUri: 'https://example.com/iam-posture',
    });
  });

  it('the schema check rejects what the standard forbids, so a broken log fails the test above', () => {
    const log = sarifLog(aReport([key]), TOOL) as unknown as Log;
    log.runs[0]!.results[0]!.level = 'critical';
    expect(validate(log)).toBe(false);
    const noRegionStart = sarifLog(aReport([key]), TOOL) as unknown as Log;
    noRegionStart.runs[0]!.results[0]!.locations[0].physicalLocation.region = { endLine: 1 };
    expect(validate(noRegionStart)).toBe(false);
  });

  it('names the tool with the version given, and an information URI only when there is one', () => {
    const log = sarifLog(aReport([]), TOOL) as unknown as Log;
    expect(log.runs[0]!.tool.driver.version).toBe('1.2.3');
    expect(log.runs[0]!.tool.driver).not.toHaveProperty('informationUri');
  });

  it('lists every catalog rule with descriptions, help, references and compliance tags', () => {
    const log = sarifLog(aReport([]), TOOL) as unknown as Log;
    const rules = log.runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    const rule = rules.find((r) => r.id === 'access-key-not-rotated')!;
    const meta = RULES.find((r) => r.meta.id === 'access-key-not-rotated')!.meta;
    expect(rule.name).toBe('AccessKeyNotRotated');
    expect(rule.shortDescription.text).toBe(meta.title);
    expect(rule.fullDescription.text).toBe(meta.description);
    expect(rule.help.text).toContain(`Remediation: ${meta.remediation.summary}`);
    expect(rule.help.markdown).toContain(`**Remediation.** ${meta.remediation.summary}`);
    expect(rule.help.markdown).toContain(`- <${meta.references[0]}>`);
    expect(rule.helpUri).toBe(meta.references[0]);
    expect(rule.properties.tags).toEqual([
      'security',
      'iam',
      'access-key',
      'owasp-nhi-2025/NHI7',
      'cis-aws-3.0/1.14',
      'aws-fsbp/IAM.3',
      'nist-csf-2.0/PR.AA-01',
    ]);
    expect(rule.properties['security-severity']).toBe('5.5');
    expect(rule.defaultConfiguration.level).toBe('warning');
  });

  it.each([
    ['critical', '9.5', 'error'],
    ['high', '8.0', 'error'],
    ['medium', '5.5', 'warning'],
    ['low', '2.0', 'note'],
  ] as const)('maps %s to security-severity %s (GitHub band) and level %s', (severity, score, level) => {
    const finding = aFinding({ severity, baseSeverity: severity });
    const log = sarifLog(aReport([finding]), TOOL) as unknown as Log;
    const [result] = log.runs[0]!.results;
    expect(result!.level).toBe(level);
    expect(result!.properties['security-severity']).toBe(score);
    const band = Number(score);
    const expected = { critical: [9, 10], high: [7, 8.9], medium: [4, 6.9], low: [0.1, 3.9] }[severity];
    expect(band).toBeGreaterThanOrEqual(expected[0]!);
    expect(band).toBeLessThanOrEqual(expected[1]!);
  });

  it('makes informational findings notes without a security severity', () => {
    const log = sarifLog(aReport([info]), TOOL) as unknown as Log;
    const [result] = log.runs[0]!.results;
    expect(result!.level).toBe('note');
    expect(result!.properties).not.toHaveProperty('security-severity');
    const rule = log.runs[0]!.tool.driver.rules.find((r) => r.id === 'policy-organization-unconfirmed')!;
    expect(rule.properties).not.toHaveProperty('security-severity');
    expect(rule.defaultConfiguration.level).toBe('note');
  });

  it('shows a rule at its most severe unsuppressed finding, so a raised finding reads critical on GitHub', () => {
    const log = sarifLog(aReport([admin]), TOOL) as unknown as Log;
    const rule = log.runs[0]!.tool.driver.rules.find((r) => r.id === 'role-unused')!;
    expect(RULES.find((r) => r.meta.id === 'role-unused')!.meta.severity).not.toBe('critical');
    expect(rule.properties['security-severity']).toBe('9.5');
    expect(rule.properties.severity).toBe('critical');
    const suppressed = sarifLog(
      aReport([{ ...admin, suppression: { reason: 'r', owner: 'o', expires: '2026-12-31' } }]),
      TOOL,
    ) as unknown as Log;
    const quiet = suppressed.runs[0]!.tool.driver.rules.find((r) => r.id === 'role-unused')!;
    expect(quiet.properties.severity).toBe(RULES.find((r) => r.meta.id === 'role-unused')!.meta.severity);
  });

  it('gives each result its rule index, message, finding-id fingerprint and resource location', () => {
    const log = sarifLog(aReport([key, admin]), TOOL) as unknown as Log;
    const run = log.runs[0]!;
    const byRule = new Map(run.results.map((r) => [r.ruleId, r]));
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex]!.id).toBe(result.ruleId);
    const keyResult = byRule.get('access-key-not-rotated')!;
    expect(keyResult.message.text).toBe(key.reason);
    expect(keyResult.partialFingerprints).toEqual({ [SARIF_FINGERPRINT]: key.id });
    expect(keyResult.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'aws/111122223333/access-key/deploy-bot/AKIAIOSFODNN7EXAMPLE' },
      region: { startLine: 1 },
    });
    expect(keyResult.locations[0].logicalLocations).toEqual([
      { fullyQualifiedName: `${key.resourceArn}#AKIAIOSFODNN7EXAMPLE`, kind: 'resource' },
    ]);
    expect(byRule.get('role-unused')!.locations[0].physicalLocation.artifactLocation.uri).toBe(
      'aws/111122223333/role/service-role/deployer',
    );
  });

  it('orders results most severe first and is byte-identical for the same report', () => {
    const report = aReport([key, info, admin, secret]);
    const log = sarifLog(report, TOOL) as unknown as Log;
    expect(log.runs[0]!.results.map((r) => r.properties.findingId)).toEqual([
      admin.id,
      key.id,
      info.id,
      secret.id,
    ]);
    expect(formatSarif(report, TOOL)).toBe(formatSarif(aReport([key, info, admin, secret]), TOOL));
  });

  it('marks a suppressed finding with an external, accepted suppression and its justification', () => {
    const log = sarifLog(aReport([secret]), TOOL) as unknown as Log;
    expect(log.runs[0]!.results[0]!.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'Rotated by the vendor (owner platform-team, expires 2026-12-31)',
        properties: { owner: 'platform-team', expires: '2026-12-31' },
      },
    ]);
    expect(sarifLog(aReport([key]), TOOL).runs).not.toHaveProperty('0.results.0.suppressions');
  });

  it('reports unread sources as failed-execution notifications, so a partial scan is visible', () => {
    const clean = sarifLog(aReport([key]), TOOL) as unknown as Log;
    expect(clean.runs[0]!.invocations).toEqual([{ executionSuccessful: true }]);
    const partial = sarifLog(
      aReport([key], { coverage: [gap, { ...gap, source: 'secrets.json', detail: '$[3]', count: 4 }] }),
      TOOL,
    ) as unknown as Log;
    const [invocation] = partial.runs[0]!.invocations;
    expect(invocation!.executionSuccessful).toBe(false);
    expect(invocation!.toolExecutionNotifications!.map((n) => n.message.text)).toEqual([
      'Could not read iam:GetAccountAuthorizationDetails in account 111122223333: Access denied. Findings there may be missing.',
      'Could not read secrets.json ($[3]) 4 times in account 111122223333: Access denied. Findings there may be missing.',
    ]);
    expect(invocation!.toolExecutionNotifications![0]).toMatchObject({
      level: 'error',
      descriptor: { id: 'scan-coverage-gap' },
      properties: { category: 'AccessDenied', count: 1 },
    });
  });

  it(`keeps at most ${SARIF_MAX_RESULTS} results, the most severe, and counts what it left out`, () => {
    const severities = ['low', 'medium', 'high', 'critical', 'informational'] as const;
    const findings = Array.from({ length: 6500 }, (_, i) => {
      const severity = severities[i % severities.length]!;
      return aFinding({
        id: `id-${String(i).padStart(5, '0')}`,
        severity,
        baseSeverity: severity,
        resourceArn: `arn:aws:iam::111122223333:user/u${i}`,
        ...(i % 250 === 0 ? { suppression: { reason: 'r', owner: 'o', expires: '2026-12-31' } } : {}),
      });
    });
    const log = sarifLog(aReport(findings), TOOL) as unknown as Log;
    const run = log.runs[0]!;
    expect(run.results).toHaveLength(SARIF_MAX_RESULTS);
    const kept = run.results.map((r) => r.properties.severity);
    const unsuppressed = (s: string) => findings.filter((f) => f.severity === s && !f.suppression).length;
    // Critical, high and medium (3,900 unsuppressed) all fit; low fills most of the rest.
    for (const severity of ['critical', 'high', 'medium']) {
      expect(kept.filter((s) => s === severity)).toHaveLength(unsuppressed(severity));
    }
    expect(unsuppressed('low')).toBeGreaterThan(SARIF_MAX_RESULTS - 3900);
    expect(kept.filter((s) => s === 'low')).toHaveLength(SARIF_MAX_RESULTS - 3900);
    expect(run.results.some((r) => r.suppressions)).toBe(false);
    expect(run.properties).toMatchObject({ resultsTotal: 6500, resultsOmitted: 1500, resultLimit: 5000 });
    const truncated = run.invocations[0]!.toolExecutionNotifications!;
    expect(truncated).toEqual([
      {
        level: 'warning',
        message: {
          text: '1500 of 6500 results were omitted: a SARIF run holds at most 5000; the most severe are kept. The JSON or CSV report lists every finding.',
        },
        descriptor: { id: 'results-truncated' },
      },
    ]);
    // A cut is not an unread source: the scan itself ran fully.
    expect(run.invocations[0]!.executionSuccessful).toBe(true);
    expectValidSarif(log);
  });

  it('puts an organization run in one run with every account and the accounts not scanned', () => {
    const other = aFinding({
      id: 'f0000000000000000000000000000009',
      accountId: '444455556666',
      resourceArn: 'arn:aws:iam::444455556666:user/ci',
    });
    const second = aReport([other]);
    second.summary.accountId = '444455556666';
    const log = sarifLog([aReport([key]), second], TOOL, {
      unscannedAccounts: [{ accountId: '777788889999', reason: 'failed (access-denied): AssumeRole denied' }],
    }) as unknown as Log;
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.results.map((r) => r.properties.accountId)).toEqual(['111122223333', '444455556666']);
    expect(run.results[1]!.locations[0].physicalLocation.artifactLocation.uri).toBe(
      'aws/444455556666/access-key/ci/AKIAIOSFODNN7EXAMPLE',
    );
    expect(run.properties.accounts.map((a: { accountId: string }) => a.accountId)).toEqual([
      '111122223333',
      '444455556666',
    ]);
    expect(run.automationDetails.id).toBe('iam-posture/organization/');
    expect(run.invocations[0]!.executionSuccessful).toBe(false);
    expect(run.invocations[0]!.toolExecutionNotifications).toEqual([
      {
        level: 'error',
        message: { text: 'Account 777788889999 was not scanned: failed (access-denied): AssumeRole denied' },
        descriptor: { id: 'account-not-scanned' },
        properties: { accountId: '777788889999' },
      },
    ]);
    expectValidSarif(log);
  });

  it('is what formatReport prints for --format sarif', () => {
    const report = aReport([key]);
    expect(formatReport(report, 'sarif', { color: false }, TOOL)).toBe(formatSarif(report, TOOL));
    expect((sarifLog(report, TOOL) as unknown as Log).runs[0]!.automationDetails.id).toBe(
      'iam-posture/111122223333/',
    );
  });
});

describe('resourcePath', () => {
  const base = { accountId: '111122223333', subResource: undefined };

  it.each([
    ['role', 'arn:aws:iam::111122223333:role/app/deployer', undefined, 'aws/111122223333/role/app/deployer'],
    ['user', 'arn:aws:iam::111122223333:user/deploy-bot', undefined, 'aws/111122223333/user/deploy-bot'],
    ['access-key', 'arn:aws:iam::111122223333:root', 'AKIAROOT', 'aws/111122223333/access-key/root/AKIAROOT'],
    [
      'secret',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf',
      undefined,
      'aws/111122223333/secret/us-east-1/prod/db-AbCdEf',
    ],
    [
      'server-certificate',
      'arn:aws:iam::111122223333:server-certificate/cloudfront/site',
      undefined,
      'aws/111122223333/server-certificate/cloudfront/site',
    ],
    [
      'coverage-gap',
      'arn:aws:iam::aws:policy/SecurityAudit',
      undefined,
      'aws/111122223333/coverage-gap/policy/SecurityAudit',
    ],
    [
      'coverage-gap',
      'arn:aws:iam::111122223333:root',
      '$.RoleDetailList[*].RoleName',
      'aws/111122223333/coverage-gap/root/%24.RoleDetailList%5B%2A%5D.RoleName',
    ],
  ] as const)('%s %s -> %s', (resourceType, resourceArn, subResource, expected) => {
    expect(resourcePath({ ...base, resourceType, resourceArn, subResource })).toBe(expected);
  });

  it('percent-encodes every segment, so any name is a valid relative URI that decodes back', () => {
    const name = 'a b#c?d%e&f(ü)*!';
    const path = resourcePath({
      ...base,
      resourceType: 'role',
      resourceArn: `arn:aws:iam::111122223333:role/${name}`,
    });
    expect(path).toBe('aws/111122223333/role/a%20b%23c%3Fd%25e%26f%28%C3%BC%29%2A%21');
    expect(path).toMatch(/^[A-Za-z0-9\-._~%/]+$/);
    expect(decodeURIComponent(path.split('/').at(-1)!)).toBe(name);
    expect(new URL(path, 'https://example.com/repo/').pathname).toBe(`/repo/${path}`);
  });

  it('is not an ARN: a value that does not parse as one is kept as a single encoded segment', () => {
    expect(resourcePath({ ...base, resourceType: 'coverage-gap', resourceArn: 'secrets.json' })).toBe(
      'aws/111122223333/coverage-gap/secrets.json',
    );
  });
});
