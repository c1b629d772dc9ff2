import type { PolicyDocument } from '../policy/types';
import { defineRule, notApplicable, pass, type RuleResult } from '../rule';
import { ASSUME_ACTIONS, SECRET_ACTIONS } from './support/actions';
import { describeStatement, findUnconfirmedRestrictions, statementEvidence } from './support/exposure';
import { AWS_DOCS } from './support/references';
import { count } from './support/text';

/** How a user tells the scanner which organization the account is in. */
export const CONFIRM_ORGANIZATION =
  'add organization.json (the output of `aws organizations describe-organization`) to the export, let the scanner call organizations:DescribeOrganization, or set organization.id in the config';

export const policyOrganizationUnconfirmed = defineRule(
  {
    id: 'policy-organization-unconfirmed',
    title: 'Policies held to an organization name one the scan can confirm',
    resourceKinds: ['role', 'secret'],
    severity: 'informational',
    description:
      'A role trust policy or secret resource policy that admits every principal, or accounts outside the known ones, only within an organization (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceOrgID, aws:SourceOrgPaths, aws:ResourceOrgID, or a Deny for everyone outside it), while the scan does not know the account’s own organization: the export has no organization.json and the config sets no organization.id (a failed organizations:DescribeOrganization call is a coverage gap instead, which holds the exposure findings). Such a statement is internal if the organization is the account’s own and external otherwise, so secret-policy-public, trust-wildcard-principal and trust-external-account-no-external-id report nothing for it until the organization is known. One finding per role or secret, naming the organization ids.',
    risk: 'Until the organization is confirmed, a statement restricted to a foreign organization (a typo, or an organization of a former partner) would let that organization in without any finding.',
    remediation: {
      summary: `Confirm the account's organization: ${CONFIRM_ORGANIZATION}.`,
    },
    compliance: [{ framework: 'nist-csf-2.0', control: 'PR.AA-05' }],
    references: [AWS_DOCS.globalConditionKeys, AWS_DOCS.describeOrganization],
  },
  (resource, ctx) => {
    if (!ctx.organization.unknown) return pass;
    // A failed read is a coverage gap already, which holds the exposure findings; reporting the
    // statement here too would open a finding only because a read failed, and resolve it on recovery.
    if (ctx.organization.unreadable) return notApplicable('the organization could not be read');
    if (resource.kind === 'role') {
      if (!resource.trustPolicy) return notApplicable('the trust policy could not be parsed');
      return evaluatePolicy(`Role ${resource.name}`, resource.trustPolicy, ASSUME_ACTIONS, ctx);
    }
    if (resource.policyState === 'unknown') return notApplicable('the resource policy was not read');
    if (resource.policyState === 'absent') return pass;
    if (!resource.resourcePolicy) return notApplicable('the resource policy could not be parsed');
    return evaluatePolicy(
      `Secret ${resource.name} in ${resource.region}`,
      resource.resourcePolicy,
      SECRET_ACTIONS,
      ctx,
    );
  },
);

function evaluatePolicy(
  subject: string,
  document: PolicyDocument,
  actions: readonly string[],
  ctx: Parameters<typeof findUnconfirmedRestrictions>[2],
): RuleResult {
  const restrictions = findUnconfirmedRestrictions(document, actions, ctx);
  if (restrictions.length === 0) return pass;
  const organizations = [...new Set(restrictions.flatMap((r) => r.organizations))];
  const first = restrictions[0]!;
  const more = restrictions.length > 1 ? ` (and ${count(restrictions.length - 1, 'more statement')})` : '';
  const named =
    organizations.length === 1
      ? `organization ${organizations[0]}`
      : `organizations ${organizations.join(', ')}`;
  return {
    status: 'fail',
    reason: `${subject} admits principals of ${named} in ${describeStatement(first.statement)}${more}, but the account's own organization is not known, so whether that is internal or external access cannot be told; to confirm it, ${CONFIRM_ORGANIZATION}.`,
    evidence: {
      organizations,
      statements: restrictions.map((r) => ({
        ...statementEvidence(r.statement),
        organizations: r.organizations,
        actions: r.actions,
      })),
    },
  };
}
