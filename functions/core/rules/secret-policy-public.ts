import { defineRule, notApplicable, pass, type Severity } from '../rule';
import { SECRET_ACTIONS } from './support/actions';
import { describeStatement, type Exposure, findExposures, statementEvidence } from './support/exposure';
import { AWS_DOCS, OWASP } from './support/references';
import { count } from './support/text';

/** Reading the value, overwriting it, or rewriting the policy to grant either. */
const VALUE_ACTIONS = new Set<string>([
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:PutResourcePolicy',
]);

export const secretPolicyPublic = defineRule(
  {
    id: 'secret-policy-public',
    title: 'Secret resource policies admit only principals of the organization',
    resourceKinds: ['secret'],
    severity: 'critical',
    description:
      'A secret whose resource policy allows any principal ("*", {"AWS": "*"}, or Allow with NotPrincipal) or an account outside the organization, without a condition that holds the caller to the organization (aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount, aws:PrincipalArn, aws:SourceArn with our accounts, aws:SourceVpce, aws:SourceVpc, or a bounded aws:SourceIp, with fixed values under a positive operator; ForAllValues, IfExists, wildcards and negated operators do not count). A Deny for every principal conditioned only on negated organization keys closes what it covers. Critical when anyone can read or overwrite the value or rewrite the policy; high for other exposure (another account, or metadata only). Secrets whose policy was not read are not applicable (a coverage gap records why).',
    risk: 'A resource policy is the one place that lets principals of other accounts reach a secret directly; a public or foreign grant hands the credential to whoever is on the other side.',
    remediation: {
      summary:
        'Remove the statement or narrow it to named principals of the organization, or add an aws:PrincipalOrgID condition; enable BlockPublicPolicy when putting the policy.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI2' },
      { framework: 'owasp-nhi-2025', control: 'NHI3' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
      { framework: 'nist-csf-2.0', control: 'PR.DS-01' },
    ],
    references: [AWS_DOCS.secretResourcePolicies, AWS_DOCS.globalConditionKeys, OWASP.NHI2, OWASP.NHI3],
  },
  (secret, ctx) => {
    if (secret.policyState === 'unknown') return notApplicable('the resource policy was not read');
    if (secret.policyState === 'absent') return pass;
    if (!secret.resourcePolicy) return notApplicable('the resource policy could not be parsed');
    const exposures = findExposures(secret.resourcePolicy, SECRET_ACTIONS, ctx);
    if (exposures.length === 0) return pass;
    const severity: Severity = exposures.some(
      (e) => e.kind === 'any' && e.actions.some((action) => VALUE_ACTIONS.has(action)),
    )
      ? 'critical'
      : 'high';
    const first = exposures[0]!;
    const more = exposures.length > 1 ? ` (and ${count(exposures.length - 1, 'more statement')})` : '';
    return {
      status: 'fail',
      reason: `Secret ${secret.name} in ${secret.region} has a resource policy that allows ${audience(first)} to call ${actionSummary(first)} in ${describeStatement(first.statement)}${more}.`,
      severity,
      evidence: {
        statements: exposures.map((e) => ({
          ...statementEvidence(e.statement),
          exposure: e.kind,
          principals: e.principals,
          externalAccounts: e.accounts,
          foreignOrganizations: e.organizations,
          actions: e.actions,
          conditionsNotRestricting: e.weakConditions,
        })),
        externalAccounts: [...new Set(exposures.flatMap((e) => e.accounts))],
      },
    };
  },
);

function audience(exposure: Exposure): string {
  if (exposure.kind === 'any') return 'any AWS principal';
  const named = [...exposure.accounts.map((a) => `account ${a}`), ...exposure.organizations];
  return named.length > 0 ? named.join(', ') : 'principals outside the organization';
}

function actionSummary(exposure: Exposure): string {
  const value = exposure.actions.filter((action) => VALUE_ACTIONS.has(action));
  const shown = value.length > 0 ? value : exposure.actions;
  const rest = exposure.actions.length - shown.length;
  return `${shown.join(', ')}${rest > 0 ? ` and ${count(rest, 'other action')}` : ''}`;
}
