import type { Statement } from '../policy/types';
import { defineRule, notApplicable, pass, type Severity } from '../rule';
import { describeCondition } from './support/conditions';
import { describeStatement, statementEvidence } from './support/exposure';
import { AWS_DOCS, OWASP } from './support/references';
import { count } from './support/text';
import {
  familyRules,
  type ScopeProblem,
  scopeProblem,
  type WebIdentityProvider,
  webIdentityProvidersOf,
} from './support/web-identity';

export const trustOidcUnscoped = defineRule(
  {
    id: 'trust-oidc-unscoped',
    title: 'Roles federated to an OIDC provider are scoped to one workload',
    resourceKinds: ['role'],
    severity: 'high',
    description:
      'A role that an OIDC provider’s tokens can assume (sts:AssumeRoleWithWebIdentity) without a condition that scopes the token’s subject: no `<provider>:sub` condition, `sub` only under ForAllValues (true when the claim is absent) or a negated operator, or a StringLike pattern spanning repositories (GitHub `repo:org/*`, `repo:*`, `*`), projects (GitLab `project_path:group/*`), workspaces (HCP Terraform) or namespaces (EKS `system:serviceaccount:*`). A pattern fixed up to one repository (`repo:org/app:*`, `repo:org/app:ref:refs/heads/main`) is scoped. Cognito identity pools are scoped by a fixed `cognito-identity.amazonaws.com:aud`, Google, Facebook and Login with Amazon by their audience or app id claims. For issuers of unknown format only a pattern starting with a wildcard fails. Critical when the issuer is shared (GitHub.com, GitLab.com, HCP Terraform, Cognito, ...) and not even the owner is fixed.',
    risk: 'An OIDC issuer like GitHub Actions signs tokens for every repository of every customer: a trust that does not pin the subject lets other repositories, or anyone with an account there, assume the role.',
    remediation: {
      summary:
        'Add a StringEquals (or StringLike fixed up to the repository) condition on `<provider>:sub` naming the repository and branch or environment, plus `<provider>:aud`.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI6' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-04' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [AWS_DOCS.oidcTrust, AWS_DOCS.oidcConditionKeys, AWS_DOCS.githubOidc, OWASP.NHI6],
  },
  (role) => {
    if (!role.trustPolicy) return notApplicable('the trust policy could not be parsed');
    const federated = role.trustPolicy.statements.flatMap((statement) =>
      webIdentityProvidersOf(statement).map((provider) => ({ statement, provider })),
    );
    if (federated.length === 0) return notApplicable('the role is not federated to a web identity provider');
    const problems = federated.flatMap(({ statement, provider }) => {
      const problem = scopeProblem(statement, provider);
      return problem ? [{ statement, provider, problem }] : [];
    });
    if (problems.length === 0) return pass;
    const severity: Severity = problems.some((p) => worldOpen(p.provider, p.problem)) ? 'critical' : 'high';
    const first = problems[0]!;
    return {
      status: 'fail',
      reason: `Role ${role.name} trusts ${first.provider.issuer} in ${describeStatement(first.statement)} ${explain(first.provider, first.problem)}${problems.length > 1 ? ` (and ${count(problems.length - 1, 'more statement')})` : ''}.`,
      severity,
      evidence: {
        statements: problems.map((p) => ({
          ...statementEvidence(p.statement),
          provider: p.provider.principal,
          issuer: p.provider.issuer,
          problem: p.problem.kind,
          claim: p.problem.claim,
          ...('values' in p.problem ? { values: p.problem.values } : {}),
          conditions: conditionsOf(p.statement, p.problem),
        })),
      },
    };
  },
);

/** Anyone with an account at a shared issuer can mint a matching token. */
function worldOpen(provider: WebIdentityProvider, problem: ScopeProblem): boolean {
  if (!provider.shared) return false;
  return problem.kind !== 'wide-pattern' || problem.reach === 'any';
}

function explain(provider: WebIdentityProvider, problem: ScopeProblem): string {
  const rules = familyRules(provider.family);
  switch (problem.kind) {
    case 'missing':
      return `without a condition on ${problem.claim}`;
    case 'for-all-values':
      return `with ${problem.claim} only under ForAllValues, which holds when the claim is absent`;
    case 'negated-only':
      return `with ${problem.claim} only under a negated operator, which admits every other ${rules.unit}`;
    case 'wide-pattern':
      return `with ${problem.claim} pattern ${problem.values.join(', ')}, which spans ${problem.reach === 'owner' ? rules.owner : `every ${rules.unit} of the issuer`}`;
  }
}

function conditionsOf(statement: Statement, problem: ScopeProblem): string[] {
  const conditions = 'conditions' in problem ? problem.conditions : statement.conditions;
  return conditions.map(describeCondition);
}
