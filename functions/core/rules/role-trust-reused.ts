import type { Statement } from '../policy/types';
import { defineRule, notApplicable, pass } from '../rule';
import { principalAccount } from './support/accounts';
import { statementCoversAction } from './support/actions';
import { POSITIVE_STRING_OPERATORS } from './support/conditions';
import { describeStatement, statementEvidence } from './support/exposure';
import { AWS_DOCS, OWASP } from './support/references';
import { type WebIdentityProvider, webIdentityProvidersOf } from './support/web-identity';

/**
 * Service principals that one workload needs together. Kept short on purpose: each entry is a
 * pair AWS documents as required for a single workload, not merely a common combination.
 */
const ONE_WORKLOAD: readonly { services: readonly string[]; why: string }[] = [
  {
    // Lambda@Edge: the execution role must be assumable by both (Lambda developer guide).
    services: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'],
    why: 'Lambda@Edge',
  },
];

const LAMBDA_EDGE_ROLE =
  'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-permissions.html';

export const roleTrustReused = defineRule(
  {
    id: 'role-trust-reused',
    title: 'Roles are trusted by one workload',
    resourceKinds: ['role'],
    severity: 'medium',
    description:
      'A role whose trust policy lets two or more unrelated workloads assume it: several AWS services (lambda.amazonaws.com and edgelambda.amazonaws.com together count as one, Lambda@Edge needs both), a service and another account, or web identity tokens of several workloads (GitHub repositories, GitLab projects, HCP Terraform workspaces, EKS namespaces; branches and environments of one repository are one workload). Accounts other than the role’s own count together as one workload; principals of the role’s own account and SAML providers (people) are not counted. A subject pattern spanning repositories counts once here; trust-oidc-unscoped reports its width.',
    risk: 'A role shared by several workloads gives each of them the permissions all of them need, and a compromise of any one of them is a compromise of all: the blast radius is the union. It also hides which workload did what, and the role cannot be reduced or removed when one workload goes away.',
    remediation: {
      summary:
        'Give each workload a role of its own with only the permissions it uses, and remove the other principals from this role’s trust policy.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI9' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-05' },
    ],
    references: [OWASP.NHI9, AWS_DOCS.principalElement, LAMBDA_EDGE_ROLE],
  },
  (role) => {
    if (!role.trustPolicy) return notApplicable('the trust policy could not be parsed');
    if (role.path.startsWith('/aws-service-role/')) return notApplicable('service-linked role');
    const found: Workload[] = [];
    for (const statement of role.trustPolicy.statements) {
      if (statement.effect !== 'Allow') continue;
      found.push(...workloadsOf(statement, role.accountId));
    }
    const workloads = mergeWorkloads(found);
    if (workloads.length < 2) return pass;
    const statements = [...new Set(workloads.flatMap((w) => w.statements))].sort((a, b) => a.index - b.index);
    return {
      status: 'fail',
      reason: `Role ${role.name} is trusted by ${workloads.length} different workloads (${workloads.map((w) => w.label).join('; ')}) in ${statements.map(describeStatement).join(', ')}.`,
      evidence: {
        workloads: workloads.map((w) => w.label),
        workloadKinds: [...new Set(workloads.map((w) => w.kind))],
        statements: statements.map((s) => statementEvidence(s)),
      },
    };
  },
);

interface Workload {
  kind: 'service' | 'accounts' | 'web-identity';
  /** What tells one workload from another. */
  key: string;
  label: string;
  statements: Statement[];
}

function workloadsOf(statement: Statement, ownAccount: string): Workload[] {
  const workloads: Workload[] = [];
  if (statementCoversAction(statement, 'sts:AssumeRole')) {
    for (const principal of statement.principals ?? []) {
      if (principal.kind === 'service') {
        const service = principal.value.toLowerCase();
        workloads.push({
          kind: 'service',
          key: service,
          label: `service ${service}`,
          statements: [statement],
        });
      } else if (principal.kind === 'aws') {
        const account = principalAccount(principal.value);
        // A principal of the role's own account is role chaining within one workload's account;
        // a wildcard principal is trust-wildcard-principal's finding.
        if (account !== undefined && account !== ownAccount) {
          workloads.push({
            kind: 'accounts',
            key: account,
            label: `account ${account}`,
            statements: [statement],
          });
        }
      }
    }
  }
  for (const provider of webIdentityProvidersOf(statement)) {
    for (const unit of webIdentityUnits(statement, provider)) {
      workloads.push({
        kind: 'web-identity',
        key: `${provider.issuer.toLowerCase()} ${unit}`,
        label: `${provider.issuer} ${unit}`,
        statements: [statement],
      });
    }
  }
  return workloads;
}

/**
 * One entry per distinct workload: the same service or unit in several statements is one, the
 * services of a documented pair are one, and every other account together is one (several
 * accounts of one partner or pipeline are a single outside party as far as reuse goes).
 */
function mergeWorkloads(found: readonly Workload[]): Workload[] {
  const byKey = new Map<string, Workload>();
  const add = (kind: Workload['kind'], key: string, label: string, statements: Statement[]) => {
    const seen = byKey.get(`${kind} ${key}`);
    if (seen) seen.statements.push(...statements);
    else byKey.set(`${kind} ${key}`, { kind, key, label, statements: [...statements] });
  };
  const services = new Set(found.filter((w) => w.kind === 'service').map((w) => w.key));
  const accounts = [...new Set(found.filter((w) => w.kind === 'accounts').map((w) => w.key))].sort();
  for (const workload of found) {
    if (workload.kind === 'service') {
      const pair = ONE_WORKLOAD.find(
        (p) => p.services.includes(workload.key) && p.services.every((s) => services.has(s)),
      );
      if (pair)
        add('service', pair.why, `services ${pair.services.join(' + ')} (${pair.why})`, workload.statements);
      else add('service', workload.key, workload.label, workload.statements);
    } else if (workload.kind === 'accounts') {
      add(
        'accounts',
        '',
        `${accounts.length === 1 ? 'account' : 'accounts'} ${accounts.join(', ')}`,
        workload.statements,
      );
    } else {
      add('web-identity', workload.key, workload.label, workload.statements);
    }
  }
  return [...byKey.values()];
}

/**
 * The workloads a web identity statement admits, from its subject conditions: GitHub `repo:<owner>/<name>`,
 * GitLab `project_path:<group>/<name>`, HCP Terraform `organization:<o>:project:<p>:workspace:<w>`, EKS
 * `system:serviceaccount:<namespace>:...`. A value whose unit is not fixed (a pattern spanning
 * repositories) counts as one workload as written; a statement without a subject condition counts
 * once for the issuer. Issuers of unknown claim format count once: their subjects cannot be grouped.
 */
function webIdentityUnits(statement: Statement, provider: WebIdentityProvider): string[] {
  const unitOf = UNIT_OF[provider.family];
  const key = `${provider.issuer}:sub`.toLowerCase();
  const conditions = statement.conditions.filter(
    (c) => c.key.toLowerCase() === key && POSITIVE_STRING_OPERATORS.has(c.operator),
  );
  if (conditions.length === 0 || !unitOf) return ['(any subject)'];
  // Conditions are ANDed: the narrowest one bounds the subjects, so it alone names the workloads.
  const candidates = conditions.map((c) => {
    const units = c.values.map(unitOf);
    return {
      fixed: units.every((u) => u !== undefined),
      units: [...new Set(units.map((u, i) => u ?? c.values[i]!))],
    };
  });
  candidates.sort((a, b) => Number(b.fixed) - Number(a.fixed) || a.units.length - b.units.length);
  return candidates[0]!.units;
}

const fixedSegment = (value: string | undefined): value is string =>
  value !== undefined && value !== '' && !/[*?]|\$\{/.test(value);

const UNIT_OF: Partial<Record<WebIdentityProvider['family'], (subject: string) => string | undefined>> = {
  github: (subject) => {
    const [claim, repository] = subject.split(':');
    const [owner, name] = (repository ?? '').split('/');
    return claim === 'repo' && fixedSegment(owner) && fixedSegment(name)
      ? `repository ${owner}/${name}`
      : undefined;
  },
  gitlab: (subject) => {
    const [claim, path] = subject.split(':');
    return claim === 'project_path' && fixedSegment(path) && path.includes('/')
      ? `project ${path}`
      : undefined;
  },
  'terraform-cloud': (subject) => {
    const parts = subject.split(':');
    const at = (key: string) => parts[parts.indexOf(key) + 1];
    const organization = parts[0] === 'organization' ? parts[1] : undefined;
    const workspace = parts.includes('workspace') ? at('workspace') : undefined;
    return fixedSegment(organization) && fixedSegment(workspace)
      ? `workspace ${organization}/${workspace}`
      : undefined;
  },
  eks: (subject) => {
    const [system, kind, namespace] = subject.split(':');
    return system === 'system' && kind === 'serviceaccount' && fixedSegment(namespace)
      ? `namespace ${namespace}`
      : undefined;
  },
};
