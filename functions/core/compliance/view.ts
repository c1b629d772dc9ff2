import type { RuleResultCounts, ScanSummary } from '../engine';
import type { Finding } from '../finding';
import { accountDataSets, type DataSet, dataSetOfSource, inputsOf, withPrerequisites } from '../reconcile';
import type { CoverageEntry } from '../report/types';
import { FRAMEWORKS, type Framework, type RuleMetadata, type Severity, severityRank } from '../rule';
import { FRAMEWORK_CATALOGS } from './frameworks';

/**
 * The compliance view: one framework's controls, each with the rules that test it and how those
 * rules came out on the scanned account. Pure: the caller runs the scan and prints the view.
 *
 * A control no rule tests is "not covered", never "pass". A rule whose input was not fully read
 * (a data set not read at all, or read with coverage gaps) is "incomplete" unless it failed
 * somewhere: its passes say nothing about what was not read, the same reasoning that keeps a
 * finding open when its input had a gap.
 */

export const CONTROL_STATUSES = ['fail', 'incomplete', 'pass', 'not-applicable', 'not-covered'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

/** A rule's status; `not-evaluated` when it is disabled in the settings. */
export type RuleStatus = Exclude<ControlStatus, 'not-covered'> | 'not-evaluated';

export class ComplianceInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ComplianceInputError';
  }
}

export interface RuleOutcome extends RuleResultCounts {
  id: string;
  status: RuleStatus;
  /** Why the rule's passes do not cover everything: data sets not read, coverage gaps. */
  incomplete: string[];
}

/** A finding that fails (or errored on) a control, unsuppressed. */
export interface FailingResource {
  findingId: string;
  ruleId: string;
  resourceArn: string;
  subResource: string | null;
  severity: Severity;
  result: Finding['result'];
  reason: string;
}

export interface ControlOutcome {
  id: string;
  title: string;
  status: ControlStatus;
  /** The rules that test the control, in catalog order. */
  rules: RuleOutcome[];
  /** Sums over the control's evaluated rules, counted per rule and resource. */
  pass: number;
  fail: number;
  errors: number;
  suppressed: number;
  notApplicable: number;
  /** Every unsuppressed failing or errored finding of the control's rules, most severe first. */
  failing: FailingResource[];
  /** Why the control is incomplete, each reason prefixed with its rule. */
  incomplete: string[];
  /** Set when a rule maps to this id but the framework's catalog does not list it. */
  outsideCatalog?: true;
}

export type StatusCounts = Record<ControlStatus, number>;

export interface ComplianceView {
  framework: { id: Framework; name: string; scope: string };
  accountId: string;
  evaluatedAt: string;
  controls: ControlOutcome[];
  counts: StatusCounts;
}

export interface ComplianceInput {
  framework: Framework;
  /** The rule catalog: every rule, enabled or not. */
  rules: readonly Pick<RuleMetadata, 'id' | 'compliance' | 'resourceKinds'>[];
  report: {
    findings: readonly Finding[];
    summary: Pick<ScanSummary, 'accountId' | 'evaluatedAt' | 'ruleResults'>;
    coverage: readonly Pick<CoverageEntry, 'source'>[];
  };
  /** Data sets the scan did not read at all (an export without an optional file). */
  unread: readonly DataSet[];
}

export function complianceView(input: ComplianceInput): ComplianceView {
  const { framework, report } = input;
  const ruleResults = report.summary.ruleResults;
  if (ruleResults === undefined) {
    throw new ComplianceInputError(
      'the scan summary has no per-rule results (ruleResults); it was made by an older version: scan again',
    );
  }
  const catalog = FRAMEWORK_CATALOGS[framework];
  const coverage = coverageByDataSet(input.report.coverage, input.unread);
  const failing = failingByRule(report.findings);

  const rulesByControl = new Map<string, RuleOutcome[]>();
  for (const rule of input.rules) {
    const controls = new Set(
      rule.compliance.filter((ref) => ref.framework === framework).map((ref) => ref.control),
    );
    if (controls.size === 0) continue;
    const outcome = ruleOutcome(rule, ruleResults[rule.id], coverage);
    for (const control of controls) {
      const list = rulesByControl.get(control) ?? [];
      list.push(outcome);
      rulesByControl.set(control, list);
    }
  }

  const listed = new Set(catalog.controls.map((control) => control.id));
  const controls: ControlOutcome[] = catalog.controls.map((control) =>
    controlOutcome(control.id, control.title, rulesByControl.get(control.id) ?? [], failing),
  );
  // A rule mapping to an id the catalog lacks is still shown, marked, rather than dropped.
  for (const [id, rules] of rulesByControl) {
    if (listed.has(id)) continue;
    controls.push({ ...controlOutcome(id, '', rules, failing), outsideCatalog: true });
  }
  const counts = Object.fromEntries(CONTROL_STATUSES.map((status) => [status, 0])) as StatusCounts;
  for (const control of controls) counts[control.status]++;
  return {
    framework: { id: framework, name: FRAMEWORKS[framework], scope: catalog.scope },
    accountId: report.summary.accountId,
    evaluatedAt: report.summary.evaluatedAt,
    controls,
    counts,
  };
}

// --------------------------------------------------------------------------------------- rules

/** What was not fully read: data sets not read at all, coverage gaps by data set. */
interface CoverageByDataSet {
  unread: ReadonlySet<DataSet>;
  gaps: ReadonlyMap<DataSet, number>;
  /** Gaps from a source the scanner does not know: they may touch any rule. */
  unknownSources: readonly string[];
}

function coverageByDataSet(
  entries: readonly Pick<CoverageEntry, 'source'>[],
  unread: readonly DataSet[],
): CoverageByDataSet {
  const gaps = new Map<DataSet, number>();
  const unknownSources = new Set<string>();
  for (const entry of entries) {
    const dataSet = dataSetOfSource(entry.source);
    if (dataSet === undefined) unknownSources.add(entry.source);
    // Account metadata (its id, the collection time) decides no rule's outcome.
    else if (dataSet !== 'account') gaps.set(dataSet, (gaps.get(dataSet) ?? 0) + 1);
  }
  return { unread: new Set(withPrerequisites(unread)), gaps, unknownSources: [...unknownSources] };
}

/** The data sets a rule reads: those of its resource kinds and any it reads beyond them. */
function ruleInputs(rule: Pick<RuleMetadata, 'id' | 'resourceKinds'>): DataSet[] {
  const inputs = new Set<DataSet>();
  for (const kind of rule.resourceKinds) {
    for (const input of inputsOf({ ruleId: rule.id, resourceType: kind })) inputs.add(input);
  }
  return [...inputs];
}

/** True for a rule whose resources are the coverage gaps themselves. */
function isCoverageRule(rule: Pick<RuleMetadata, 'resourceKinds'>): boolean {
  return rule.resourceKinds.length > 0 && rule.resourceKinds.every((kind) => kind === 'coverage-gap');
}

function incompleteReasons(
  rule: Pick<RuleMetadata, 'id' | 'resourceKinds'>,
  coverage: CoverageByDataSet,
): string[] {
  // The coverage rule fails on every gap; only what was not read at all leaves it incomplete.
  // iam-posture's own state (just-in-time, reviews) exists only where its feature is deployed: not
  // reading it elsewhere leaves no gap unseen (the rules on it still say it was not read).
  if (isCoverageRule(rule))
    return accountDataSets([...coverage.unread]).map((dataSet) => `${dataSet} was not read`);
  const reasons: string[] = [];
  for (const input of ruleInputs(rule)) {
    if (coverage.unread.has(input)) reasons.push(`${input} was not read`);
    const gaps = coverage.gaps.get(input);
    if (gaps) reasons.push(`${gaps} coverage gap${gaps === 1 ? '' : 's'} in ${input}`);
  }
  for (const source of coverage.unknownSources) reasons.push(`coverage gap in ${source}`);
  return reasons;
}

function ruleOutcome(
  rule: Pick<RuleMetadata, 'id' | 'resourceKinds'>,
  counts: RuleResultCounts | undefined,
  coverage: CoverageByDataSet,
): RuleOutcome {
  if (counts === undefined) {
    return {
      id: rule.id,
      status: 'not-evaluated',
      incomplete: [],
      evaluated: 0,
      pass: 0,
      fail: 0,
      error: 0,
      notApplicable: 0,
      suppressed: 0,
    };
  }
  const incomplete = incompleteReasons(rule, coverage);
  return { id: rule.id, status: ruleStatus(rule, counts, incomplete), incomplete, ...counts };
}

/**
 * fail > incomplete > pass > not applicable. An error is not a pass: the resource is not known to
 * be healthy. Findings an exemption covers do not fail the rule (an accepted risk, as Security Hub
 * treats suppressed findings), but they do make it evaluated.
 */
export function ruleStatus(
  rule: Pick<RuleMetadata, 'resourceKinds'>,
  counts: RuleResultCounts,
  incomplete: readonly string[],
): Exclude<RuleStatus, 'not-evaluated'> {
  if (counts.fail > 0) return 'fail';
  if (counts.error > 0 || incomplete.length > 0) return 'incomplete';
  if (counts.pass + counts.suppressed > 0) return 'pass';
  // No coverage gap is what the coverage rule checks for: nothing to evaluate is its pass.
  if (isCoverageRule(rule)) return 'pass';
  return 'not-applicable';
}

// ------------------------------------------------------------------------------------ controls

function failingByRule(findings: readonly Finding[]): Map<string, FailingResource[]> {
  const byRule = new Map<string, FailingResource[]>();
  for (const f of findings) {
    if (f.suppression) continue;
    const list = byRule.get(f.ruleId) ?? [];
    list.push({
      findingId: f.id,
      ruleId: f.ruleId,
      resourceArn: f.resourceArn,
      subResource: f.subResource ?? null,
      severity: f.severity,
      result: f.result,
      reason: f.reason,
    });
    byRule.set(f.ruleId, list);
  }
  return byRule;
}

function controlOutcome(
  id: string,
  title: string,
  rules: RuleOutcome[],
  failing: ReadonlyMap<string, FailingResource[]>,
): ControlOutcome {
  const evaluated = rules.filter((rule) => rule.status !== 'not-evaluated');
  const sum = (pick: (rule: RuleOutcome) => number) => evaluated.reduce((total, r) => total + pick(r), 0);
  // Findings are ordered most severe first; merging keeps that order across rules.
  const failingResources = evaluated
    .flatMap((rule) => failing.get(rule.id) ?? [])
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  return {
    id,
    title,
    status: controlStatus(evaluated.map((rule) => rule.status)),
    rules,
    pass: sum((r) => r.pass),
    fail: sum((r) => r.fail),
    errors: sum((r) => r.error),
    suppressed: sum((r) => r.suppressed),
    notApplicable: sum((r) => r.notApplicable),
    failing: failingResources,
    incomplete: evaluated.flatMap((rule) => rule.incomplete.map((reason) => `${rule.id}: ${reason}`)),
  };
}

/** A control with no evaluated rule is not covered; else its worst rule decides. */
export function controlStatus(statuses: readonly RuleStatus[]): ControlStatus {
  const evaluated = statuses.filter((status) => status !== 'not-evaluated');
  if (evaluated.length === 0) return 'not-covered';
  for (const status of ['fail', 'incomplete', 'pass'] as const) {
    if (evaluated.includes(status)) return status;
  }
  return 'not-applicable';
}
