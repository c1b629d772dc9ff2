import picomatch from 'picomatch';
import { type AccountOuPaths, environmentLookup } from './environments';
import { type Finding, type FindingAttestation, findingId, type Suppression } from './finding';
import type { Inventory, OrganizationMembership, Snapshot } from './model';
import { allSnapshots } from './model';
import { type OwnerLookup, ownerLookup } from './ownership';
import { ORGANIZATION_SOURCES } from './raw';
import {
  type EvaluationContext,
  type Principal,
  type PrivilegeAnalyzer,
  type PrivilegeSummary,
  type Rule,
  raiseSeverity,
  SEVERITIES,
  type Severity,
  severityRank,
} from './rule';
import { actorText } from './rules/support/jit';
import type { Exemption, ScanSettings } from './settings';

export type { Principal, PrivilegeAnalyzer } from './rule';

export interface EvaluateOptions {
  rules: readonly Rule[];
  settings: ScanSettings;
  now: Date;
  privilege?: PrivilegeAnalyzer;
  /** Known OU paths of accounts (organization mode), for the environments mapped by OU. */
  accountOuPaths?: AccountOuPaths;
}

export interface ScanSummary {
  accountId: string;
  evaluatedAt: string;
  resources: Record<string, number>;
  rulesEvaluated: number;
  /** Unsuppressed findings by severity. */
  bySeverity: Record<Severity, number>;
  total: number;
  suppressed: number;
  errors: number;
  coverageGaps: number;
  /**
   * Per enabled rule (catalog order): how many resources it evaluated and how each came out. Set by
   * every evaluation; absent only in summaries written before it existed.
   */
  ruleResults?: Record<string, RuleResultCounts>;
}

/**
 * How one rule came out over the resources it evaluated. `fail` and `error` count unsuppressed
 * findings; a finding an exemption covers counts in `suppressed` instead, so the five outcomes add
 * up to `evaluated`. Whether the rule's input was fully read is not known here: a pass only means
 * the rule passed on what the scan could read (see the coverage gaps).
 */
export interface RuleResultCounts {
  evaluated: number;
  pass: number;
  fail: number;
  error: number;
  notApplicable: number;
  suppressed: number;
}

export interface ScanResult {
  findings: Finding[];
  summary: ScanSummary;
}

/**
 * Rules whose severity does not follow the principal's privilege: the privilege rules are about it
 * already, and a break-glass elevation is reviewed the same whatever the principal holds now.
 */
const RULES_WITHOUT_RISK_RAISE = new Set([
  'standing-admin',
  'privilege-escalation',
  'scan-coverage-gap',
  'jit-break-glass-used',
]);

/**
 * Runs every enabled rule on every snapshot of its kinds. A throwing rule becomes an `error`
 * finding, never a pass. Exemptions, finding ids and risk adjustments happen here, not in rules.
 */
export function evaluateInventory(inventory: Inventory, options: EvaluateOptions): ScanResult {
  const { settings, now } = options;
  const disabled = new Set(settings.disabledRules);
  const rules = options.rules.filter((rule) => !disabled.has(rule.meta.id));
  const ctx = evaluationContext(
    inventory.accountId,
    settings,
    now,
    privilegeLookup(inventory, options.privilege),
    inventory.organization,
    inventory.organization === undefined &&
      inventory.coverageGaps.some((gap) => ORGANIZATION_SOURCES.includes(gap.source)),
    {
      ownerOf: ownerLookup(settings.ownership, inventory),
      ...(options.accountOuPaths ? { accountOuPaths: options.accountOuPaths } : {}),
    },
  );
  const exemptions = compileExemptions(settings.exemptions, now);
  const attestationOf = attestationLookup(inventory);
  const rulesByKind = new Map<string, Rule[]>();
  for (const rule of rules) {
    for (const kind of rule.meta.resourceKinds) {
      const list = rulesByKind.get(kind) ?? [];
      list.push(rule);
      rulesByKind.set(kind, list);
    }
  }

  const findings: Finding[] = [];
  const resources: Record<string, number> = {};
  const ruleResults: Record<string, RuleResultCounts> = {};
  for (const rule of rules) ruleResults[rule.meta.id] = emptyCounts();
  for (const snapshot of allSnapshots(inventory)) {
    resources[snapshot.kind] = (resources[snapshot.kind] ?? 0) + 1;
    for (const rule of rulesByKind.get(snapshot.kind) ?? []) {
      const counts = ruleResults[rule.meta.id]!;
      counts.evaluated++;
      const outcome = evaluateOne(rule, snapshot, ctx);
      if (outcome.status !== 'finding') {
        if (outcome.status === 'pass') counts.pass++;
        else counts.notApplicable++;
        continue;
      }
      const { finding } = outcome;
      const suppression = exemptions(finding);
      if (suppression) {
        finding.suppression = suppression;
        counts.suppressed++;
      } else if (finding.result === 'error') counts.error++;
      else counts.fail++;
      const attestation = attestationOf(finding.resourceArn);
      if (attestation) finding.attestation = attestation;
      findings.push(finding);
    }
  }
  findings.sort(compareFindings);
  return {
    findings,
    summary: { ...summarize(findings, inventory, rules.length, resources, now), ruleResults },
  };
}

function emptyCounts(): RuleResultCounts {
  return { evaluated: 0, pass: 0, fail: 0, error: 0, notApplicable: 0, suppressed: 0 };
}

/**
 * The context rules see: time, thresholds, and which accounts belong to the organization. The
 * configured organization id wins over the one read from the account; configured account ids add
 * to the scanned account and the organization's management account.
 */
export function evaluationContext(
  accountId: string,
  settings: ScanSettings,
  now: Date,
  privilegeOf: EvaluationContext['privilegeOf'],
  membership?: OrganizationMembership,
  /** The organization was to be read, and could not be (a coverage gap says why). */
  organizationUnreadable = false,
  /** Owners from the whole inventory (an access key takes its user's); else from each snapshot alone. */
  lookups: { ownerOf?: OwnerLookup; accountOuPaths?: AccountOuPaths } = {},
): EvaluationContext {
  const configured = settings.organization.id;
  const read = membership?.status === 'member' ? membership : undefined;
  const id = configured ?? read?.id;
  const management = read?.managementAccountId && read.id === id ? [read.managementAccountId] : [];
  return {
    now,
    thresholds: settings.thresholds,
    accountId,
    organization: {
      ...(id ? { id } : {}),
      accountIds: new Set([accountId, ...management, ...settings.organization.accountIds]),
      ...(configured === undefined && membership === undefined
        ? { unknown: true, ...(organizationUnreadable ? { unreadable: true } : {}) }
        : {}),
    },
    privilegeOf,
    ownerOf: lookups.ownerOf ?? ownerLookup(settings.ownership),
    ownership: { tagKeys: settings.ownership.tagKeys, patternCount: settings.ownership.patterns.length },
    environmentOf: environmentLookup(settings.environments, lookups.accountOuPaths),
  };
}

/**
 * The attestation in force for each identity the review state names (a key's findings take its
 * user's). An attestation suppresses nothing: the finding is reported as it is, with it.
 */
function attestationLookup(inventory: Inventory): (arn: string) => FindingAttestation | undefined {
  const byArn = new Map<string, FindingAttestation>();
  if (inventory.reviews?.read) {
    for (const attestation of inventory.reviews.attestations) {
      byArn.set(attestation.arn, {
        campaignId: attestation.campaignId,
        by: actorText(attestation.by),
        at: attestation.at.toISOString(),
        until: attestation.until.toISOString(),
        ...(attestation.justification !== undefined ? { justification: attestation.justification } : {}),
      });
    }
  }
  return (arn) => byArn.get(arn);
}

/** A rule's outcome on one resource: passed, not applicable, or a finding (failed or errored). */
type Outcome = { status: 'pass' | 'not-applicable' } | { status: 'finding'; finding: Finding };

function evaluateOne(rule: Rule, snapshot: Snapshot, ctx: EvaluationContext): Outcome {
  const subResource = subResourceOf(snapshot);
  let result: ReturnType<Rule['evaluate']>;
  try {
    result = rule.evaluate(snapshot, ctx);
  } catch (error) {
    const finding = buildFinding(rule, snapshot, ctx, subResource, {
      result: 'error',
      severity: rule.meta.severity,
      reason: `Rule ${rule.meta.id} could not evaluate ${snapshot.arn}: ${(error as Error).message}`,
      evidence: { error: String((error as Error).message) },
    });
    return { status: 'finding', finding };
  }
  if (result.status !== 'fail') return { status: result.status };
  const finding = buildFinding(rule, snapshot, ctx, subResource, {
    result: 'fail',
    severity: result.severity ?? rule.meta.severity,
    reason: result.reason,
    evidence: result.evidence,
  });
  return { status: 'finding', finding };
}

function buildFinding(
  rule: Rule,
  snapshot: Snapshot,
  ctx: EvaluationContext,
  subResource: string | undefined,
  outcome: Pick<Finding, 'result' | 'severity' | 'reason' | 'evidence'>,
): Finding {
  let privilege: PrivilegeSummary | undefined;
  let privilegeError: string | undefined;
  if (!RULES_WITHOUT_RISK_RAISE.has(rule.meta.id)) {
    try {
      privilege = ctx.privilegeOf(snapshot.arn);
    } catch (error) {
      // The finding stands; only its risk adjustment is unknown, and the evidence says so.
      privilegeError = (error as Error).message;
    }
  }
  const privileged =
    privilege !== undefined && (privilege.adminEquivalent || privilege.escalationPaths.length > 0);
  const severity = adjustSeverity(outcome.severity, privilege, rule.meta.staleness === true);
  const finding: Finding = {
    id: findingId(snapshot.accountId, rule.meta.id, snapshot.arn, subResource),
    ruleId: rule.meta.id,
    title: rule.meta.title,
    severity,
    baseSeverity: outcome.severity,
    resourceType: snapshot.kind,
    resourceArn: snapshot.arn,
    accountId: snapshot.accountId,
    reason: outcome.reason,
    evidence: privileged
      ? {
          ...outcome.evidence,
          adminEquivalent: privilege!.adminEquivalent,
          escalationPaths: privilege!.escalationPaths,
        }
      : privilegeError !== undefined
        ? { ...outcome.evidence, privilegeError }
        : outcome.evidence,
    compliance: rule.meta.compliance,
    remediation: rule.meta.remediation,
    result: outcome.result,
    riskScore: riskScore(severity, privilege, rule.meta.staleness === true),
  };
  if (subResource !== undefined) finding.subResource = subResource;
  if (snapshot.kind === 'secret') finding.region = snapshot.region;
  // The owner is not part of the finding's id: a change of owner never reopens or duplicates it.
  const owner = ctx.ownerOf(snapshot);
  if (owner) finding.owner = { id: owner.id, source: owner.source };
  return finding;
}

/**
 * The part of a resource a finding is about: an access key id, a just-in-time profile or grant id,
 * a review rhythm, or where a coverage gap was seen.
 */
export function subResourceOf(snapshot: Snapshot): string | undefined {
  if (snapshot.kind === 'access-key') return snapshot.keyId ?? `slot-${snapshot.slot}`;
  // A principal may be eligible for several profiles, and elevated by break-glass many times.
  if (snapshot.kind === 'jit-eligibility') return snapshot.profile;
  if (snapshot.kind === 'break-glass-grant') return snapshot.grantId;
  // An identity is reviewed in several rhythms (quarterly, monthly for admins): one finding each.
  if (snapshot.kind === 'review-standing') return snapshot.rhythm;
  if (snapshot.kind === 'coverage-gap')
    return `${snapshot.source}${snapshot.detail ? `#${snapshot.detail}` : ''}`;
  return undefined;
}

/**
 * A finding on a privileged identity is one level more severe. A stale admin-equivalent identity is
 * the worst case (standing privilege nobody uses), so staleness findings on one rise two levels:
 * an unused admin role is critical.
 */
function adjustSeverity(
  severity: Severity,
  privilege: PrivilegeSummary | undefined,
  stale: boolean,
): Severity {
  if (!privilege) return severity;
  if (privilege.adminEquivalent && stale) return raiseSeverity(raiseSeverity(severity));
  if (privilege.adminEquivalent || privilege.escalationPaths.length > 0) return raiseSeverity(severity);
  return severity;
}

/** Severity dominates; within a severity, privilege then staleness. */
function riskScore(severity: Severity, privilege: PrivilegeSummary | undefined, stale: boolean): number {
  let score = (SEVERITIES.length - severityRank(severity)) * 100;
  if (privilege?.adminEquivalent) score += 40;
  if (privilege && privilege.escalationPaths.length > 0) score += 20;
  if (stale) score += 10;
  return score;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    b.riskScore - a.riskScore ||
    a.ruleId.localeCompare(b.ruleId) ||
    a.resourceArn.localeCompare(b.resourceArn) ||
    (a.subResource ?? '').localeCompare(b.subResource ?? '')
  );
}

/**
 * Privilege is computed once per principal. Access keys inherit their user's privilege through
 * the shared ARN; secrets and certificates have none.
 */
function privilegeLookup(
  inventory: Inventory,
  analyzer: PrivilegeAnalyzer | undefined,
): (arn: string) => PrivilegeSummary | undefined {
  if (!analyzer) return () => undefined;
  const principals = new Map<string, Principal>();
  for (const p of inventory.roles) principals.set(p.arn, p);
  for (const p of inventory.users) principals.set(p.arn, p);
  for (const p of inventory.groups) principals.set(p.arn, p);
  // Failures are cached too: a principal the analyzer cannot handle is analysed once, not per finding.
  const cache = new Map<string, PrivilegeSummary | Error>();
  return (arn) => {
    let cached = cache.get(arn);
    if (cached === undefined) {
      const principal = principals.get(arn);
      if (!principal) return undefined;
      try {
        cached = analyzer(principal);
      } catch (error) {
        cached = error instanceof Error ? error : new Error(String(error));
      }
      cache.set(arn, cached);
    }
    if (cached instanceof Error) throw cached;
    return cached;
  };
}

/**
 * Exemptions apply by exact rule id (or `*`) and exact ARN or glob, or one sub-resource of it
 * (`<arn>#<sub-resource>`), until they expire.
 */
function compileExemptions(
  list: readonly Exemption[],
  now: Date,
): (finding: Finding) => Suppression | undefined {
  const active = list
    .filter((e) => expiryOf(e.expires).getTime() > now.getTime())
    .map((e) => ({
      exemption: e,
      matches: /[*?[\]{}]/.test(e.resource)
        ? picomatch(e.resource, { dot: true })
        : (arn: string) => arn === e.resource,
    }));
  if (active.length === 0) return () => undefined;
  return (finding) => {
    for (const { exemption, matches } of active) {
      if (exemption.ruleId !== '*' && exemption.ruleId !== finding.ruleId) continue;
      // `<arn>#<sub-resource>` names one finding of a resource that has several (one break-glass
      // elevation of a role, one access key of a user).
      const one =
        finding.subResource === undefined ? undefined : `${finding.resourceArn}#${finding.subResource}`;
      if (!matches(finding.resourceArn) && (one === undefined || !matches(one))) continue;
      return { reason: exemption.reason, owner: exemption.owner, expires: exemption.expires };
    }
    return undefined;
  };
}

/** A date-only expiry lasts through that whole day (UTC): it ends as the next day begins. */
export function expiryOf(expires: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires)
    ? new Date(Date.parse(`${expires}T00:00:00.000Z`) + 86_400_000)
    : new Date(expires);
}

function summarize(
  findings: readonly Finding[],
  inventory: Inventory,
  rulesEvaluated: number,
  resources: Record<string, number>,
  now: Date,
): ScanSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let suppressed = 0;
  let errors = 0;
  for (const f of findings) {
    if (f.suppression) {
      suppressed++;
      continue;
    }
    bySeverity[f.severity]++;
    // A failed privilege analysis leaves the finding without its risk raise: count it, never hide it.
    if (f.result === 'error' || f.evidence.privilegeError !== undefined) errors++;
  }
  return {
    accountId: inventory.accountId,
    evaluatedAt: now.toISOString(),
    resources,
    rulesEvaluated,
    bySeverity,
    total: findings.length - suppressed,
    suppressed,
    errors,
    coverageGaps: inventory.coverageGaps.length,
  };
}
