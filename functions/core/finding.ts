import { createHash } from 'node:crypto';
import type { ResourceKind } from './model';
import type { ComplianceRef, Evidence, RemediationActionId, Severity } from './rule';

export interface Suppression {
  reason: string;
  owner: string;
  expires: string;
}

export interface Finding {
  /** Deterministic: a hash of account, rule id, resource ARN and sub-resource. */
  id: string;
  ruleId: string;
  title: string;
  severity: Severity;
  /** The rule's severity before risk adjustments (admin-equivalence, escalation). */
  baseSeverity: Severity;
  resourceType: ResourceKind;
  /** For an access key: the user's ARN; the key is in `subResource`. */
  resourceArn: string;
  /** Key id (or `slot-N` when the id is unknown), service namespace, region, ... */
  subResource?: string;
  accountId: string;
  region?: string;
  reason: string;
  evidence: Evidence;
  compliance: readonly ComplianceRef[];
  remediation: { summary: string; action?: RemediationActionId };
  /** `error`: the rule threw on this resource, so the resource is not known to be healthy. */
  result: 'fail' | 'error';
  /** Privilege and staleness together; higher is riskier. Used to order findings. */
  riskScore: number;
  /** Set when an active exemption covers the finding. */
  suppression?: Suppression;
  /**
   * Who owns the resource (its tags, else the configured ARN patterns): `source` is
   * `tag:<key>` or `pattern:<pattern>`. Not part of the id.
   */
  owner?: FindingOwner;
  /**
   * The owner's latest "keep" answer in an entitlement review, while it holds: shown with the
   * finding, suppressing nothing. Not part of the id.
   */
  attestation?: FindingAttestation;
}

export interface FindingAttestation {
  campaignId: string;
  /** Who kept it: `slack:T1/U1`, `cli:alice`. */
  by: string;
  at: string;
  until: string;
  justification?: string;
}

export interface FindingOwner {
  id: string;
  source: string;
}

export function findingId(
  accountId: string,
  ruleId: string,
  resourceArn: string,
  subResource?: string,
): string {
  return createHash('sha256')
    .update(`${accountId}\n${ruleId}\n${resourceArn}\n${subResource ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}
