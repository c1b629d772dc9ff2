import type { AccountEnvironment } from './environments';
import type { GroupSnapshot, ResourceKind, RoleSnapshot, Snapshot, UserSnapshot } from './model';
import type { Owner } from './ownership';
import type { Thresholds } from './thresholds';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** 0 for critical .. 4 for informational. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** One level more severe, capped at critical. */
export function raiseSeverity(severity: Severity): Severity {
  return SEVERITIES[Math.max(0, severityRank(severity) - 1)]!;
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export const FRAMEWORKS = {
  'cis-aws-3.0': 'CIS Amazon Web Services Foundations Benchmark v3.0.0',
  'aws-fsbp': 'AWS Foundational Security Best Practices',
  'owasp-nhi-2025': 'OWASP Non-Human Identities Top 10 (2025)',
  'nist-csf-2.0': 'NIST Cybersecurity Framework 2.0',
} as const;
export type Framework = keyof typeof FRAMEWORKS;

export interface ComplianceRef {
  framework: Framework;
  control: string;
}

export const REMEDIATION_ACTION_IDS = [
  'deactivate-access-key',
  'detach-managed-policy',
  'delete-inline-policy',
  'quarantine-role',
  'rotate-secret',
  'convert-to-jit',
] as const;
export type RemediationActionId = (typeof REMEDIATION_ACTION_IDS)[number];

export interface RuleMetadata {
  /** Stable id, `<subject>-<condition>`; finding ids are built from it. Never reused. */
  id: string;
  /** The compliant condition, e.g. "Roles are used within the window". */
  title: string;
  resourceKinds: readonly ResourceKind[];
  severity: Severity;
  description: string;
  risk: string;
  remediation: { summary: string; action?: RemediationActionId };
  compliance: readonly ComplianceRef[];
  references: readonly string[];
  /** The threshold this rule reads, shown by `iam-posture rules`. */
  threshold?: keyof Thresholds;
  /** True for rules about staleness (unused identities, keys, secrets, permissions). */
  staleness?: boolean;
}

export type Evidence = Record<
  string,
  string | number | boolean | null | string[] | Record<string, unknown>[]
>;

export type RuleResult =
  | { status: 'pass' }
  | { status: 'not-applicable'; reason?: string }
  | {
      status: 'fail';
      /** One sentence naming the resource. */
      reason: string;
      evidence: Evidence;
      /** Overrides the rule's default severity for this resource (e.g. an expired certificate). */
      severity?: Severity;
    };

/** What a principal can do, as far as the rules that rank risk need to know. */
export type Principal = RoleSnapshot | UserSnapshot | GroupSnapshot;

/** Computes what a principal can do. Supplied by the privilege analysis; the engine caches per ARN. */
export type PrivilegeAnalyzer = (principal: Principal) => PrivilegeSummary;

export interface PrivilegeSummary {
  adminEquivalent: boolean;
  /** Ids of the escalation paths open to the principal. */
  escalationPaths: string[];
}

export interface EvaluationContext {
  now: Date;
  thresholds: Thresholds;
  accountId: string;
  /**
   * The account's organization: its id (absent when the account is in none), the accounts known
   * to be ours, and `unknown` when neither the scan nor the settings said which organization the
   * account is in (then an organization a condition names can be neither ours nor foreign), and
   * `unreadable` when it is unknown because reading it failed (a coverage gap says why).
   */
  organization: { id?: string; accountIds: ReadonlySet<string>; unknown?: boolean; unreadable?: boolean };
  /** Privilege of a role, user or group ARN; undefined for other resources or unknown ARNs. */
  privilegeOf(arn: string): PrivilegeSummary | undefined;
  /** The owner of a resource, from its tags or the configured patterns; undefined when it has none. */
  ownerOf(snapshot: Snapshot): Owner | undefined;
  /** What owners are looked for, for the evidence of an identity without one. */
  ownership: { tagKeys: readonly string[]; patternCount: number };
  /** The environment an account is mapped to (settings, OU path); undefined when it is unmapped. */
  environmentOf(accountId: string): AccountEnvironment | undefined;
}

export interface Rule<S extends Snapshot = Snapshot> {
  meta: RuleMetadata;
  evaluate(snapshot: S, ctx: EvaluationContext): RuleResult;
}

/** Declares a rule for the snapshot kinds it reads; the engine only calls it with those kinds. */
export function defineRule<K extends ResourceKind>(
  meta: RuleMetadata & { resourceKinds: readonly K[] },
  evaluate: (snapshot: Extract<Snapshot, { kind: K }>, ctx: EvaluationContext) => RuleResult,
): Rule {
  return { meta, evaluate: evaluate as Rule['evaluate'] };
}

/** Whole days between two instants, rounded down. */
export function daysBetween(earlier: Date, later: Date): number {
  return Math.floor((later.getTime() - earlier.getTime()) / 86_400_000);
}

export const pass: RuleResult = { status: 'pass' };
export const notApplicable = (reason?: string): RuleResult =>
  reason === undefined ? { status: 'not-applicable' } : { status: 'not-applicable', reason };
