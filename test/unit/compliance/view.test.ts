import { describe, expect, it } from 'vitest';
import {
  type ComplianceInput,
  type ControlStatus,
  complianceView,
  FRAMEWORK_CATALOGS,
  formatComplianceCsv,
  formatComplianceJson,
  formatComplianceTable,
  MAX_FAILING_IN_TABLE,
  type RuleStatus,
} from '../../../functions/core/compliance';
import type { RuleResultCounts } from '../../../functions/core/engine';
import type { Finding } from '../../../functions/core/finding';
import type { ResourceKind } from '../../../functions/core/model';
import type { DataSet } from '../../../functions/core/reconcile';
import type { ComplianceRef, Severity } from '../../../functions/core/rule';

const ACCOUNT = '111122223333';

type Counts = Partial<RuleResultCounts>;

function counts(partial: Counts): RuleResultCounts {
  const c = { pass: 0, fail: 0, error: 0, notApplicable: 0, suppressed: 0, ...partial };
  return { evaluated: c.pass + c.fail + c.error + c.notApplicable + c.suppressed, ...c };
}

interface TestRule {
  id: string;
  resourceKinds: ResourceKind[];
  compliance: ComplianceRef[];
}

const cis = (control: string): ComplianceRef => ({ framework: 'cis-aws-3.0', control });

function aRule(id: string, kinds: ResourceKind[], refs: ComplianceRef[] = [cis('1.14')]): TestRule {
  return { id, resourceKinds: kinds, compliance: refs };
}

function aFinding(ruleId: string, name: string, overrides: Partial<Finding> = {}): Finding {
  return {
    id: `${ruleId}/${name}`,
    ruleId,
    title: 'title',
    severity: 'medium',
    baseSeverity: 'medium',
    resourceType: 'role',
    resourceArn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    accountId: ACCOUNT,
    reason: `Role ${name} fails ${ruleId}.`,
    evidence: {},
    compliance: [],
    remediation: { summary: 'Fix it.' },
    result: 'fail',
    riskScore: 100,
    ...overrides,
  };
}

function view(options: {
  rules: TestRule[];
  results: Record<string, Counts>;
  findings?: Finding[];
  gaps?: string[];
  unread?: DataSet[];
  framework?: ComplianceInput['framework'];
}) {
  return complianceView({
    framework: options.framework ?? 'cis-aws-3.0',
    rules: options.rules,
    report: {
      findings: options.findings ?? [],
      summary: {
        accountId: ACCOUNT,
        evaluatedAt: '2025-06-02T08:00:00.000Z',
        ruleResults: Object.fromEntries(Object.entries(options.results).map(([id, c]) => [id, counts(c)])),
      },
      coverage: (options.gaps ?? []).map((source) => ({ source })),
    },
    unread: options.unread ?? [],
  });
}

const control = (v: ReturnType<typeof view>, id: string) => v.controls.find((c) => c.id === id)!;

describe('complianceView: one rule, one control', () => {
  const cases: {
    name: string;
    kinds?: ResourceKind[];
    ruleId?: string;
    results: Counts | undefined;
    findings?: number;
    suppressedFindings?: number;
    gaps?: string[];
    unread?: DataSet[];
    rule: RuleStatus;
    control: ControlStatus;
    incomplete?: string[];
  }[] = [
    { name: 'every resource passes', results: { pass: 3 }, rule: 'pass', control: 'pass' },
    { name: 'a resource fails', results: { pass: 2, fail: 1 }, findings: 1, rule: 'fail', control: 'fail' },
    {
      name: 'the rule errored on a resource (not a pass)',
      results: { pass: 1, error: 1 },
      rule: 'incomplete',
      control: 'incomplete',
    },
    {
      name: "a coverage gap in the rule's input",
      results: { pass: 3 },
      gaps: ['authorization-details.json'],
      rule: 'incomplete',
      control: 'incomplete',
      incomplete: ['1 coverage gap in authorization-details'],
    },
    {
      name: "the rule's input was not read at all",
      kinds: ['secret'],
      results: {},
      unread: ['secrets'],
      rule: 'incomplete',
      control: 'incomplete',
      incomplete: ['secrets was not read'],
    },
    {
      name: 'an input whose prerequisite was not read',
      kinds: ['secret'],
      ruleId: 'secret-policy-public',
      results: { pass: 2 },
      unread: ['secrets'],
      rule: 'incomplete',
      control: 'incomplete',
      incomplete: ['secrets was not read', 'secret-policies was not read'],
    },
    {
      name: 'a failure wins over a partial read',
      results: { pass: 1, fail: 1 },
      findings: 1,
      gaps: ['iam:GetAccountAuthorizationDetails'],
      rule: 'fail',
      control: 'fail',
      incomplete: ['1 coverage gap in authorization-details'],
    },
    {
      name: 'a gap in another data set',
      results: { pass: 3 },
      gaps: ['secrets.json', 'server-certificates.json'],
      rule: 'pass',
      control: 'pass',
    },
    {
      name: 'a gap in account metadata',
      results: { pass: 3 },
      gaps: ['account.json'],
      rule: 'pass',
      control: 'pass',
    },
    {
      name: 'a gap from an unknown source',
      results: { pass: 3 },
      gaps: ['somewhere-else'],
      rule: 'incomplete',
      control: 'incomplete',
      incomplete: ['coverage gap in somewhere-else'],
    },
    {
      name: 'the rule applies to no resource',
      results: { notApplicable: 2 },
      rule: 'not-applicable',
      control: 'not-applicable',
    },
    { name: 'there is nothing to evaluate', results: {}, rule: 'not-applicable', control: 'not-applicable' },
    {
      name: 'the only failure is exempted',
      results: { pass: 1, suppressed: 1 },
      suppressedFindings: 1,
      rule: 'pass',
      control: 'pass',
    },
    {
      name: 'the rule is disabled',
      results: undefined,
      rule: 'not-evaluated',
      control: 'not-covered',
    },
    {
      name: 'the coverage rule found no gap',
      kinds: ['coverage-gap'],
      ruleId: 'scan-coverage-gap',
      results: {},
      rule: 'pass',
      control: 'pass',
    },
    {
      name: 'the coverage rule found gaps',
      kinds: ['coverage-gap'],
      ruleId: 'scan-coverage-gap',
      results: { fail: 2 },
      findings: 2,
      gaps: ['authorization-details.json', 'secrets.json'],
      rule: 'fail',
      control: 'fail',
    },
    {
      name: 'the coverage rule found no gap, but a data set was not read',
      kinds: ['coverage-gap'],
      ruleId: 'scan-coverage-gap',
      results: {},
      unread: ['server-certificates'],
      rule: 'incomplete',
      control: 'incomplete',
      incomplete: ['server-certificates was not read'],
    },
  ];

  it.each(cases)('$name: rule $rule, control $control', (c) => {
    const id = c.ruleId ?? 'the-rule';
    const findings = [
      ...Array.from({ length: c.findings ?? 0 }, (_, i) => aFinding(id, `failing-${i}`)),
      ...Array.from({ length: c.suppressedFindings ?? 0 }, (_, i) =>
        aFinding(id, `exempt-${i}`, {
          suppression: { reason: 'accepted', owner: 'team', expires: '2099-01-01' },
        }),
      ),
    ];
    const v = view({
      rules: [aRule(id, c.kinds ?? ['role'])],
      results: c.results === undefined ? {} : { [id]: c.results },
      findings,
      ...(c.gaps ? { gaps: c.gaps } : {}),
      ...(c.unread ? { unread: c.unread } : {}),
    });
    const outcome = control(v, '1.14');
    expect(outcome.rules.map((r) => [r.id, r.status])).toEqual([[id, c.rule]]);
    expect(outcome.status).toBe(c.control);
    expect(outcome.incomplete).toEqual((c.incomplete ?? []).map((reason) => `${id}: ${reason}`));
    const expected = counts(c.results ?? {});
    const evaluated = c.results !== undefined;
    expect([outcome.pass, outcome.fail, outcome.errors, outcome.suppressed, outcome.notApplicable]).toEqual(
      evaluated
        ? [expected.pass, expected.fail, expected.error, expected.suppressed, expected.notApplicable]
        : [0, 0, 0, 0, 0],
    );
    // Only unsuppressed findings are failing resources.
    expect(outcome.failing.map((f) => f.findingId)).toEqual(
      evaluated ? Array.from({ length: c.findings ?? 0 }, (_, i) => `${id}/failing-${i}`) : [],
    );
  });
});

describe('complianceView: controls', () => {
  const twoRules = [
    aRule('key-unused', ['access-key'], [cis('1.12'), { framework: 'owasp-nhi-2025', control: 'NHI1' }]),
    aRule('password-unused', ['user'], [cis('1.12')]),
    aRule('key-old', ['access-key'], [cis('1.14')]),
  ];

  it('lists every control of the catalog in order; controls no rule tests are not covered', () => {
    const v = view({
      rules: twoRules,
      results: { 'key-unused': { pass: 1 }, 'password-unused': { pass: 1 } },
    });
    expect(v.controls.map((c) => c.id)).toEqual(FRAMEWORK_CATALOGS['cis-aws-3.0'].controls.map((c) => c.id));
    expect(control(v, '1.4')).toMatchObject({ status: 'not-covered', rules: [], pass: 0, fail: 0 });
    expect(v.counts).toEqual({ fail: 0, incomplete: 0, pass: 1, 'not-applicable': 0, 'not-covered': 21 });
  });

  it('takes the worst status of its rules and sums their counts', () => {
    const findings = [
      aFinding('password-unused', 'bob', { resourceType: 'user', severity: 'low' }),
      aFinding('key-unused', 'ci', { resourceType: 'access-key', severity: 'high', subResource: 'AKIA1' }),
      aFinding('key-unused', 'ops', { resourceType: 'access-key', subResource: 'AKIA2' }),
    ];
    const v = view({
      rules: twoRules,
      results: {
        'key-unused': { pass: 4, fail: 2 },
        'password-unused': { pass: 6, fail: 1 },
        'key-old': { pass: 2 },
      },
      findings,
    });
    const c = control(v, '1.12');
    expect(c.status).toBe('fail');
    expect(c.rules.map((r) => r.id)).toEqual(['key-unused', 'password-unused']);
    expect([c.pass, c.fail]).toEqual([10, 3]);
    // Most severe first, across rules.
    expect(c.failing.map((f) => [f.ruleId, f.severity, f.subResource])).toEqual([
      ['key-unused', 'high', 'AKIA1'],
      ['key-unused', 'medium', 'AKIA2'],
      ['password-unused', 'low', null],
    ]);
    expect(control(v, '1.14').status).toBe('pass');
  });

  it('shows only the rules mapped to the framework asked for', () => {
    const v = view({ rules: twoRules, results: { 'key-unused': { pass: 1 } }, framework: 'owasp-nhi-2025' });
    expect(control(v, 'NHI1').rules.map((r) => r.id)).toEqual(['key-unused']);
    expect(v.controls).toHaveLength(10);
    expect(v.framework).toMatchObject({
      id: 'owasp-nhi-2025',
      name: 'OWASP Non-Human Identities Top 10 (2025)',
    });
  });

  it('keeps a control a rule maps to but the catalog lacks, marked as outside it', () => {
    const v = view({ rules: [aRule('odd', ['role'], [cis('9.99')])], results: { odd: { pass: 1 } } });
    expect(v.controls.at(-1)).toMatchObject({ id: '9.99', status: 'pass', outsideCatalog: true });
    expect(v.controls).toHaveLength(23);
  });

  it('refuses a summary without per-rule results rather than showing everything as not covered', () => {
    expect(() =>
      complianceView({
        framework: 'cis-aws-3.0',
        rules: twoRules,
        report: { findings: [], summary: { accountId: ACCOUNT, evaluatedAt: 'x' }, coverage: [] },
        unread: [],
      }),
    ).toThrow(/no per-rule results/);
  });
});

describe('compliance output', () => {
  const many = Array.from({ length: MAX_FAILING_IN_TABLE + 3 }, (_, i) =>
    aFinding('key-old', `role-${i}`, { severity: (i === 0 ? 'high' : 'medium') as Severity }),
  );
  const v = view({
    rules: [aRule('key-old', ['role'], [cis('1.14')])],
    results: { 'key-old': { pass: 1, fail: many.length } },
    findings: many,
  });

  it('caps failing resources in the table with "and N more"', () => {
    const text = formatComplianceTable(v);
    expect(text).toContain(`and 3 more`);
    expect(text).toContain('role/role-0 (key-old)');
    expect(text).not.toContain('role/role-7');
    expect(text).toMatch(/^1\.14 +fail +1 +8 +key-old +Access keys are rotated/m);
    expect(text).toMatch(/^1\.1 +not covered +- +- +Account contact details/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'cis-aws-3.0: 22 controls in scope: 1 fail, 0 incomplete, 0 pass, 0 not applicable, 21 not covered',
    );
  });

  it('shows rule errors apart from failures, and groups rules by why they were not fully read', () => {
    const rules = ['a-rule', 'b-rule', 'c-rule'].map((id) => aRule(id, ['role'], [cis('1.16')]));
    const errored = aFinding('a-rule', 'unreadable', { result: 'error' });
    const text = formatComplianceTable(
      view({
        rules,
        results: { 'a-rule': { pass: 2, error: 1 }, 'b-rule': { pass: 3 }, 'c-rule': { pass: 1 } },
        findings: [errored],
        gaps: ['authorization-details.json'],
      }),
    );
    expect(text).toMatch(/^1\.16 +incomplete +6 +0 +a-rule, b-rule, c-rule +No policy granting/m);
    expect(text).toContain('  failing: role/unreadable (a-rule, rule error)\n');
    expect(text).toContain('  rule errors: 1 (resources not known to be healthy, not counted as passing)\n');
    expect(text).toContain(
      '  not fully read: 1 coverage gap in authorization-details (a-rule, b-rule, c-rule)\n',
    );
  });

  it('lists every failing resource in JSON and CSV', () => {
    const json = JSON.parse(formatComplianceJson(v));
    expect(json.summary).toEqual({
      controls: 22,
      fail: 1,
      incomplete: 0,
      pass: 0,
      'not-applicable': 0,
      'not-covered': 21,
    });
    const c = json.controls.find((x: { id: string }) => x.id === '1.14');
    expect(c.failing).toHaveLength(8);
    expect(c.status).toBe('fail');

    const rows = formatComplianceCsv(v).trimEnd().split('\r\n');
    expect(rows).toHaveLength(23);
    const row = rows.find((line) => line.startsWith('cis-aws-3.0,1.14,'))!;
    expect(row.split(',').slice(3, 10)).toEqual(['fail', 'key-old', '1', '8', '0', '0', '0']);
    expect(row.match(/arn:aws:iam::/g)).toHaveLength(8);
  });
});
