import { beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORK_CATALOGS } from '../../functions/core/compliance';
import type { RuleResultCounts } from '../../functions/core/engine';
import { FRAMEWORKS, type Framework, severityRank } from '../../functions/core/rule';
import { RULES } from '../../functions/core/rules';
import { DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';

interface ScanFinding {
  id: string;
  ruleId: string;
  severity: string;
  resourceType: string;
  result: 'fail' | 'error';
  suppression: unknown;
}

interface ScanJson {
  findings: ScanFinding[];
  summary: { ruleResults: Record<string, RuleResultCounts> };
  coverage: { source: string }[];
}

interface ControlJson {
  id: string;
  title: string;
  status: string;
  rules: { id: string; status: string; pass: number; fail: number }[];
  pass: number;
  fail: number;
  errors: number;
  suppressed: number;
  failing: { findingId: string; ruleId: string }[];
  incomplete: string[];
}

interface ComplianceJson {
  framework: { id: string; name: string; scope: string };
  accountId: string;
  summary: Record<string, number>;
  controls: ControlJson[];
}

const FRAMEWORK_IDS = Object.keys(FRAMEWORKS) as Framework[];
const demo = ['--export', DEMO_EXPORT, '--config', DEMO_CONFIG];

/** The rules that map to a control, in catalog order: what the view must list under it. */
function rulesOf(framework: Framework, control: string): string[] {
  return RULES.filter((rule) =>
    rule.meta.compliance.some((ref) => ref.framework === framework && ref.control === control),
  ).map((rule) => rule.meta.id);
}

/** Rules whose resources come from the authorization details, where the demo has a coverage gap. */
const READS_AUTHORIZATION_DETAILS = new Set(
  RULES.filter((rule) =>
    rule.meta.resourceKinds.some((kind) => ['role', 'user', 'group'].includes(kind)),
  ).map((rule) => rule.meta.id),
);

describe('iam-posture compliance on the demo account', () => {
  let scan: ScanJson;
  const views = new Map<Framework, ComplianceJson>();

  beforeAll(async () => {
    const [scanned, ...viewed] = await Promise.all([
      runCli(['scan', ...demo, '--format', 'json']),
      ...FRAMEWORK_IDS.map((framework) =>
        runCli(['compliance', '--framework', framework, ...demo, '--format', 'json']),
      ),
    ]);
    expect(scanned.code).toBe(0);
    scan = JSON.parse(scanned.stdout);
    viewed.forEach((result, i) => {
      expect(result.code, result.stderr).toBe(0);
      views.set(FRAMEWORK_IDS[i]!, JSON.parse(result.stdout));
    });
  });

  it.each(FRAMEWORK_IDS)('%s: lists every control in scope with the rules that map to it', (framework) => {
    const view = views.get(framework)!;
    expect(view.framework.id).toBe(framework);
    expect(view.accountId).toBe('111122223333');
    expect(view.controls.map((c) => c.id)).toEqual(FRAMEWORK_CATALOGS[framework].controls.map((c) => c.id));
    for (const control of view.controls) {
      expect(
        control.rules.map((r) => r.id),
        control.id,
      ).toEqual(rulesOf(framework, control.id));
    }
  });

  it.each(FRAMEWORK_IDS)("%s: counts agree with the scan's findings and per-rule results", (framework) => {
    const view = views.get(framework)!;
    const open = scan.findings.filter((f) => !f.suppression);
    for (const control of view.controls) {
      const rules = new Set(rulesOf(framework, control.id));
      const mine = open.filter((f) => rules.has(f.ruleId));
      // Fail count = the control's unsuppressed failing findings; the list holds every one of them.
      expect(control.fail, control.id).toBe(mine.filter((f) => f.result === 'fail').length);
      expect(control.failing.map((f) => f.findingId).sort(), control.id).toEqual(
        mine.map((f) => f.id).sort(),
      );
      const passes = [...rules].reduce((sum, id) => sum + scan.summary.ruleResults[id]!.pass, 0);
      expect(control.pass, control.id).toBe(passes);
      const suppressed = scan.findings.filter((f) => f.suppression && rules.has(f.ruleId)).length;
      expect(control.suppressed, control.id).toBe(suppressed);
      if (rules.size === 0) expect(control.status, control.id).toBe('not-covered');
      else if (mine.some((f) => f.result === 'fail')) expect(control.status, control.id).toBe('fail');
      else expect(control.status, control.id).not.toBe('not-covered');
    }
    const tally: Record<string, number> = {};
    for (const control of view.controls) tally[control.status] = (tally[control.status] ?? 0) + 1;
    expect(view.summary).toEqual({
      controls: view.controls.length,
      fail: tally.fail ?? 0,
      incomplete: tally.incomplete ?? 0,
      pass: tally.pass ?? 0,
      'not-applicable': tally['not-applicable'] ?? 0,
      'not-covered': tally['not-covered'] ?? 0,
    });
  });

  it('never shows a control as passing when its rules read the authorization details, which have a gap', () => {
    expect(scan.coverage.map((gap) => gap.source)).toEqual(['authorization-details.json']);
    let checked = 0;
    for (const [framework, view] of views) {
      for (const control of view.controls) {
        if (!control.rules.some((rule) => READS_AUTHORIZATION_DETAILS.has(rule.id))) continue;
        checked++;
        expect(['fail', 'incomplete'], `${framework} ${control.id}`).toContain(control.status);
        expect(
          control.incomplete.some((reason) => reason.includes('coverage gap in authorization-details')),
        ).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(5);
    // A gap in the authorization details says nothing about the secrets.
    const secrets = views.get('aws-fsbp')!.controls.find((c) => c.id === 'SecretsManager.3')!;
    expect(secrets.rules.map((r) => r.id)).toEqual(['secret-unused']);
    expect(secrets.incomplete).toEqual([]);
  });

  it('prints a table with capped failing resources and the summary line', async () => {
    const result = await runCli(['compliance', '--framework', 'nist-csf-2.0', ...demo]);
    expect(result.code).toBe(0);
    const view = views.get('nist-csf-2.0')!;
    const lines = result.stdout.trimEnd().split('\n');
    const s = view.summary;
    expect(lines.at(-1)).toBe(
      `nist-csf-2.0: ${s.controls} controls in scope: ${s.fail} fail, ${s.incomplete} incomplete, ${s.pass} pass, ${s['not-applicable']} not applicable, ${s['not-covered']} not covered`,
    );
    const prAa01 = view.controls.find((c) => c.id === 'PR.AA-01')!;
    expect(prAa01.failing.length).toBeGreaterThan(5);
    expect(result.stdout).toContain(`and ${prAa01.failing.length - 5} more`);
    expect(result.stdout).toMatch(/^PR\.AA-06 +not covered +- +-/m);
    expect(result.stdout).toContain('Scope: every subcategory of PR.AA');
    expect(result.stderr).toContain('1 coverage gap in authorization-details.json');
  });

  it('writes one CSV row per control, and the summary line on stderr', async () => {
    const result = await runCli(['compliance', '--framework', 'cis-aws-3.0', ...demo, '--format', 'csv']);
    expect(result.code).toBe(0);
    const rows = result.stdout.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'framework,control,title,status,rules,pass,fail,errors,suppressed,notApplicable,failingResources,incomplete',
    );
    expect(rows).toHaveLength(23);
    expect(result.stderr).toMatch(/^cis-aws-3\.0: 22 controls in scope: /m);
  });

  it('exits 1 with --fail-on when a finding of the framework is at or above it, and says how many', async () => {
    const ruleIds = new Set(
      RULES.filter((r) => r.meta.compliance.some((ref) => ref.framework === 'cis-aws-3.0')).map(
        (r) => r.meta.id,
      ),
    );
    const high = scan.findings.filter(
      (f) =>
        !f.suppression && ruleIds.has(f.ruleId) && severityRank(f.severity as never) <= severityRank('high'),
    );
    expect(high.length).toBeGreaterThan(0);
    const result = await runCli(['compliance', '--framework', 'cis-aws-3.0', ...demo, '--fail-on', 'high']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${high.length} unsuppressed finding${high.length === 1 ? '' : 's'} of cis-aws-3.0 rules at or above high`,
    );
  });

  it('refuses a missing or unknown framework with exit 2', async () => {
    const missing = await runCli(['compliance', ...demo]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--framework');
    const unknown = await runCli(['compliance', '--framework', 'pci-dss', ...demo]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('owasp-nhi-2025');
  });
});
