import type { Statement } from '../policy/types';
import { defineRule, notApplicable, pass } from '../rule';
import {
  conditionKeyIs,
  describeCondition,
  isFixedValue,
  POSITIVE_STRING_OPERATORS,
  vacuityOf,
} from './support/conditions';
import { describeStatement, findExposures, statementEvidence } from './support/exposure';
import { AWS_DOCS, OWASP } from './support/references';

export const trustExternalAccountNoExternalId = defineRule(
  {
    id: 'trust-external-account-no-external-id',
    title: 'Roles trusted by accounts outside the organization require an external id',
    resourceKinds: ['role'],
    severity: 'high',
    description:
      'A role whose trust policy lets an account outside the organization call sts:AssumeRole (a 12-digit id, an account root ARN, or a role or user ARN of that account, or a wildcard principal narrowed by a condition to such an account) without requiring sts:ExternalId (StringEquals, or StringLike without wildcards; not under ForAllValues or IfExists). The organization is the scanned account plus the configured account ids; a statement conditioned on aws:PrincipalOrgID equal to the configured organization id counts as ours. Wildcard principals without such a condition are trust-wildcard-principal’s finding.',
    risk: 'Without an external id a third party that assumes roles for many customers can be tricked into using its access on this account (the confused deputy problem), and any principal of the trusted account can assume the role.',
    remediation: {
      summary:
        'Add a StringEquals sts:ExternalId condition with the value the third party assigned to this account, and trust only the third party’s specific role ARN.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI3' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [AWS_DOCS.thirdPartyAccess, AWS_DOCS.confusedDeputy, OWASP.NHI3],
  },
  (role, ctx) => {
    if (!role.trustPolicy) return notApplicable('the trust policy could not be parsed');
    const missing = findExposures(role.trustPolicy, ['sts:AssumeRole'], ctx).filter(
      (e) => e.kind === 'external' && !requiresExternalId(e.statement),
    );
    if (missing.length === 0) return pass;
    const accounts = [...new Set(missing.flatMap((e) => e.accounts))];
    const organizations = [...new Set(missing.flatMap((e) => e.organizations))];
    const named = [...accounts.map((a) => `account ${a}`), ...organizations.map((o) => `organization ${o}`)];
    return {
      status: 'fail',
      reason: `Role ${role.name} trusts ${named.join(', ')} without requiring sts:ExternalId in ${missing.map((e) => describeStatement(e.statement)).join(', ')}.`,
      evidence: {
        externalAccounts: accounts,
        foreignOrganizations: organizations,
        statements: missing.map((e) => ({
          ...statementEvidence(e.statement),
          principals: e.principals,
          externalAccounts: e.accounts,
          conditions: e.statement.conditions.map(describeCondition),
        })),
      },
    };
  },
);

/** A fixed, non-empty `sts:ExternalId` the caller must present. */
function requiresExternalId(statement: Statement): boolean {
  return statement.conditions.some(
    (c) =>
      conditionKeyIs(c, 'sts:ExternalId') &&
      POSITIVE_STRING_OPERATORS.has(c.operator) &&
      vacuityOf(c) === undefined &&
      c.values.length > 0 &&
      c.values.every((value) => value !== '' && isFixedValue(value, c.operator)),
  );
}
