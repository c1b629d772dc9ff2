import { defineRule, notApplicable, pass } from '../rule';
import { ASSUME_ACTIONS } from './support/actions';
import { describeStatement, findExposures, statementEvidence } from './support/exposure';
import { AWS_DOCS, OWASP } from './support/references';
import { count } from './support/text';

export const trustWildcardPrincipal = defineRule(
  {
    id: 'trust-wildcard-principal',
    title: 'Role trust policies do not admit every principal',
    resourceKinds: ['role'],
    severity: 'critical',
    description:
      'A role whose trust policy allows any principal ("*", {"AWS": "*"}, or Allow with NotPrincipal) to assume it, without a condition that holds the caller to the organization (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn with our accounts, aws:SourceAccount, aws:SourceArn, aws:SourceVpce, with fixed values under a positive operator). sts:ExternalId is not a restriction: it is not a secret. A wildcard narrowed by a condition to accounts outside the organization is reported by trust-external-account-no-external-id instead. Roles whose trust policy could not be parsed are not applicable (a coverage gap records why).',
    risk: 'Anyone with an AWS account can assume a role that trusts every principal and gets its permissions.',
    remediation: {
      summary:
        'Name the principals that should assume the role, or add an aws:PrincipalOrgID (or aws:PrincipalAccount) condition with the organization’s values.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI6' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [AWS_DOCS.principalElement, AWS_DOCS.globalConditionKeys, OWASP.NHI6],
  },
  (role, ctx) => {
    if (!role.trustPolicy) return notApplicable('the trust policy could not be parsed');
    const open = findExposures(role.trustPolicy, ASSUME_ACTIONS, ctx).filter((e) => e.kind === 'any');
    if (open.length === 0) return pass;
    const first = open[0]!;
    return {
      status: 'fail',
      reason: `Role ${role.name} can be assumed by any AWS principal through ${first.principals.join(', ')} in ${describeStatement(first.statement)}${open.length > 1 ? ` and ${count(open.length - 1, 'more statement')}` : ''}.`,
      evidence: {
        statements: open.map((e) => ({
          ...statementEvidence(e.statement),
          principals: e.principals,
          actions: e.actions,
          conditionsNotRestricting: e.weakConditions,
        })),
      },
    };
  },
);
