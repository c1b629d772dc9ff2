import { describe, expect, it } from 'vitest';
import { trustOidcUnscoped } from '../../../functions/core/rules/trust-oidc-unscoped';
import { ACCOUNT_ID, aContext, aRole, aTrustPolicy, oidcTrustStatement } from '../../support/builders';

const ctx = aContext();
const GITHUB = 'token.actions.githubusercontent.com';
const GITLAB = 'gitlab.com';
const TFC = 'app.terraform.io';
const EKS = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

const aud = (issuer: string) => ({ [`${issuer}:aud`]: 'sts.amazonaws.com' });
const like = (issuer: string, sub: string | string[]) => ({
  StringEquals: aud(issuer),
  StringLike: { [`${issuer}:sub`]: sub },
});
const equals = (issuer: string, sub: string | string[]) => ({
  StringEquals: { ...aud(issuer), [`${issuer}:sub`]: sub },
});

type Row = [string, 'pass' | 'fail', 'critical' | 'high' | undefined, Record<string, unknown>];

describe('trust-oidc-unscoped', () => {
  describe('GitHub Actions', () => {
    it.each<Row>([
      [
        'sub fixed to a branch',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, equals(GITHUB, 'repo:acme/app:ref:refs/heads/main')),
      ],
      [
        'sub fixed to an environment',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, equals(GITHUB, 'repo:acme/app:environment:prod')),
      ],
      [
        'sub pattern for one repository',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/app:*')),
      ],
      [
        'sub pattern for branches of one repository',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/app:ref:refs/heads/release-*')),
      ],
      [
        'several repositories, each fixed',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, like(GITHUB, ['repo:acme/app:*', 'repo:acme/infra:*'])),
      ],
      [
        'StringEquals with a literal asterisk (matches only itself)',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, equals(GITHUB, 'repo:acme/*')),
      ],
      [
        'sub under ForAnyValue',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, { 'ForAnyValue:StringLike': { [`${GITHUB}:sub`]: 'repo:acme/app:*' } }),
      ],
      [
        'custom claims: owner id then repository id',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, like(GITHUB, 'repository_owner_id:123:repository_id:456:*')),
      ],
      [
        'a wide pattern ANDed with a fixed one',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, {
          StringLike: { [`${GITHUB}:sub`]: 'repo:acme/*' },
          StringEquals: { [`${GITHUB}:sub`]: 'repo:acme/app:ref:refs/heads/main' },
        }),
      ],
      [
        'claim key written in another case',
        'pass',
        undefined,
        oidcTrustStatement(GITHUB, {
          StringLike: { 'TOKEN.actions.githubusercontent.com:SUB': 'repo:acme/app:*' },
        }),
      ],
      ['no condition at all', 'fail', 'critical', oidcTrustStatement(GITHUB)],
      ['aud only', 'fail', 'critical', oidcTrustStatement(GITHUB, { StringEquals: aud(GITHUB) })],
      [
        'sub only under ForAllValues',
        'fail',
        'critical',
        oidcTrustStatement(GITHUB, { 'ForAllValues:StringLike': { [`${GITHUB}:sub`]: 'repo:acme/app:*' } }),
      ],
      [
        'sub only under a negated operator',
        'fail',
        'critical',
        oidcTrustStatement(GITHUB, { StringNotLike: { [`${GITHUB}:sub`]: 'repo:evil/*' } }),
      ],
      ['sub *', 'fail', 'critical', oidcTrustStatement(GITHUB, like(GITHUB, '*'))],
      ['sub repo:*', 'fail', 'critical', oidcTrustStatement(GITHUB, like(GITHUB, 'repo:*'))],
      [
        'sub repo:acme* (spans owners)',
        'fail',
        'critical',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme*')),
      ],
      [
        'sub repo:*/app:* (any owner)',
        'fail',
        'critical',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:*/app:*')),
      ],
      [
        'sub repo:acme/* (every repository of the owner)',
        'fail',
        'high',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/*')),
      ],
      [
        'sub repo:acme/*:* ',
        'fail',
        'high',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/*:ref:refs/heads/main')),
      ],
      [
        'sub repo:acme/app* (repositories by prefix)',
        'fail',
        'high',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/app*')),
      ],
      [
        'sub repo:acme/ap?:* (one-character wildcard)',
        'fail',
        'high',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/ap?:*')),
      ],
      [
        'one wide value among fixed ones',
        'fail',
        'critical',
        oidcTrustStatement(GITHUB, like(GITHUB, ['repo:acme/app:*', '*'])),
      ],
      [
        'custom claims: owner only',
        'fail',
        'high',
        oidcTrustStatement(GITHUB, like(GITHUB, 'repository_owner:acme:*')),
      ],
      [
        'context first: a forgeable environment name',
        'fail',
        'critical',
        oidcTrustStatement(GITHUB, like(GITHUB, 'environment:prod:*')),
      ],
      [
        'policy variable in the value',
        'fail',
        'critical',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
        oidcTrustStatement(GITHUB, like(GITHUB, '${aws:username}')),
      ],
    ])('%s -> %s %s', (_label, status, severity, statement) => {
      const result = trustOidcUnscoped.evaluate(aRole({ trustPolicy: aTrustPolicy(statement) }), ctx);
      expect(result.status).toBe(status);
      if (result.status === 'fail') expect(result.severity).toBe(severity);
    });

    it('names the role, the issuer and the pattern that spans repositories', () => {
      const statement = { Sid: 'GitHub', ...oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/*')) };
      const result = trustOidcUnscoped.evaluate(
        aRole({ name: 'deploy', trustPolicy: aTrustPolicy(statement) }),
        ctx,
      );
      expect(result).toEqual({
        status: 'fail',
        reason: `Role deploy trusts ${GITHUB} in statement 0 ("GitHub") with ${GITHUB}:sub pattern repo:acme/*, which spans every repository of the owner.`,
        severity: 'high',
        evidence: {
          statements: [
            {
              statementIndex: 0,
              sid: 'GitHub',
              provider: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${GITHUB}`,
              issuer: GITHUB,
              problem: 'wide-pattern',
              claim: `${GITHUB}:sub`,
              values: ['repo:acme/*'],
              conditions: [`StringLike ${GITHUB}:sub = repo:acme/*`],
            },
          ],
        },
      });
    });

    it('explains a missing sub condition', () => {
      const result = trustOidcUnscoped.evaluate(
        aRole({
          name: 'ci',
          trustPolicy: aTrustPolicy(oidcTrustStatement(GITHUB, { StringEquals: aud(GITHUB) })),
        }),
        ctx,
      );
      expect(result).toMatchObject({
        status: 'fail',
        reason: `Role ci trusts ${GITHUB} in statement 0 without a condition on ${GITHUB}:sub.`,
        severity: 'critical',
        evidence: {
          statements: [
            {
              problem: 'missing',
              claim: `${GITHUB}:sub`,
              conditions: [`StringEquals ${GITHUB}:aud = sts.amazonaws.com`],
            },
          ],
        },
      });
    });

    it('explains sub only under ForAllValues', () => {
      const statement = oidcTrustStatement(GITHUB, {
        'ForAllValues:StringEquals': { [`${GITHUB}:sub`]: 'repo:acme/app:ref:refs/heads/main' },
      });
      const result = trustOidcUnscoped.evaluate(
        aRole({ name: 'ci', trustPolicy: aTrustPolicy(statement) }),
        ctx,
      );
      expect(result).toMatchObject({
        status: 'fail',
        reason: `Role ci trusts ${GITHUB} in statement 0 with ${GITHUB}:sub only under ForAllValues, which holds when the claim is absent.`,
        evidence: { statements: [{ problem: 'for-all-values' }] },
      });
    });

    it('is high, not critical, for an enterprise-specific issuer', () => {
      const issuer = `${GITHUB}/acme-enterprise`;
      const result = trustOidcUnscoped.evaluate(
        aRole({ trustPolicy: aTrustPolicy(oidcTrustStatement(issuer)) }),
        ctx,
      );
      expect(result).toMatchObject({ status: 'fail', severity: 'high' });
    });

    it('reports every unscoped statement', () => {
      const role = aRole({
        trustPolicy: aTrustPolicy(
          oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/app:*')),
          oidcTrustStatement(GITHUB, like(GITHUB, 'repo:acme/*')),
          oidcTrustStatement(GITHUB),
        ),
      });
      const result = trustOidcUnscoped.evaluate(role, ctx);
      expect(result.status).toBe('fail');
      if (result.status !== 'fail') return;
      expect(result.severity).toBe('critical');
      expect(
        (result.evidence.statements as Record<string, unknown>[]).map((s) => [s.statementIndex, s.problem]),
      ).toEqual([
        [1, 'wide-pattern'],
        [2, 'missing'],
      ]);
      expect(result.reason).toMatch(
        /^Role app trusts token\.actions\.githubusercontent\.com in statement 1 with .* \(and 1 more statement\)\.$/,
      );
    });
  });

  describe('other issuers', () => {
    it.each<Row>([
      [
        'GitLab: one project',
        'pass',
        undefined,
        oidcTrustStatement(GITLAB, like(GITLAB, 'project_path:acme/app:ref_type:branch:ref:main')),
      ],
      [
        'GitLab: one project in a subgroup',
        'pass',
        undefined,
        oidcTrustStatement(GITLAB, like(GITLAB, 'project_path:acme/platform/app:*')),
      ],
      [
        'GitLab: every project of a group',
        'fail',
        'high',
        oidcTrustStatement(GITLAB, like(GITLAB, 'project_path:acme/*')),
      ],
      ['GitLab: any project', 'fail', 'critical', oidcTrustStatement(GITLAB, like(GITLAB, 'project_path:*'))],
      ['GitLab: no sub', 'fail', 'critical', oidcTrustStatement(GITLAB)],
      [
        'self-managed GitLab: no sub',
        'fail',
        'high',
        oidcTrustStatement('gitlab.acme.example', { StringEquals: aud('gitlab.acme.example') }),
      ],
      [
        'HCP Terraform: one workspace',
        'pass',
        undefined,
        oidcTrustStatement(TFC, like(TFC, 'organization:acme:project:core:workspace:network:run_phase:*')),
      ],
      [
        'HCP Terraform: every workspace of the organization',
        'fail',
        'high',
        oidcTrustStatement(TFC, like(TFC, 'organization:acme:project:*:workspace:*:run_phase:*')),
      ],
      [
        'HCP Terraform: any organization',
        'fail',
        'critical',
        oidcTrustStatement(TFC, like(TFC, 'organization:*')),
      ],
      [
        'EKS: one service account',
        'pass',
        undefined,
        oidcTrustStatement(EKS, equals(EKS, 'system:serviceaccount:payments:api')),
      ],
      [
        'EKS: every service account of a namespace',
        'pass',
        undefined,
        oidcTrustStatement(EKS, like(EKS, 'system:serviceaccount:payments:*')),
      ],
      [
        'EKS: any namespace',
        'fail',
        'high',
        oidcTrustStatement(EKS, like(EKS, 'system:serviceaccount:*:api')),
      ],
      [
        'EKS: no sub (any pod of the cluster)',
        'fail',
        'high',
        oidcTrustStatement(EKS, { StringEquals: aud(EKS) }),
      ],
      [
        'unknown issuer: sub with a fixed start',
        'pass',
        undefined,
        oidcTrustStatement('auth.acme.example', like('auth.acme.example', 'svc-*')),
      ],
      [
        'unknown issuer: sub *',
        'fail',
        'high',
        oidcTrustStatement('auth.acme.example', like('auth.acme.example', '*')),
      ],
    ])('%s -> %s %s', (_label, status, severity, statement) => {
      const result = trustOidcUnscoped.evaluate(aRole({ trustPolicy: aTrustPolicy(statement) }), ctx);
      expect(result.status).toBe(status);
      if (result.status === 'fail') expect(result.severity).toBe(severity);
    });

    const cognito = (condition?: Record<string, unknown>) => ({
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      ...(condition ? { Condition: condition } : {}),
    });
    const POOL = 'eu-west-1:12345678-1234-1234-1234-123456789012';

    it.each<Row>([
      [
        'Cognito: fixed identity pool, authenticated only',
        'pass',
        undefined,
        cognito({
          StringEquals: { 'cognito-identity.amazonaws.com:aud': POOL },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        }),
      ],
      [
        'Cognito: no audience',
        'fail',
        'critical',
        cognito({ 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' } }),
      ],
      [
        'Cognito: audience pattern',
        'fail',
        'critical',
        cognito({ StringLike: { 'cognito-identity.amazonaws.com:aud': 'eu-west-1:*' } }),
      ],
      ['Cognito: no condition', 'fail', 'critical', cognito()],
    ])('%s -> %s %s', (_label, status, severity, statement) => {
      const result = trustOidcUnscoped.evaluate(aRole({ trustPolicy: aTrustPolicy(statement) }), ctx);
      expect(result.status).toBe(status);
      if (result.status === 'fail') expect(result.severity).toBe(severity);
    });

    it('checks Google federation by its audience', () => {
      const google = (condition?: Record<string, unknown>) =>
        aRole({
          trustPolicy: aTrustPolicy({
            Principal: { Federated: 'accounts.google.com' },
            Action: 'sts:AssumeRoleWithWebIdentity',
            ...(condition ? { Condition: condition } : {}),
          }),
        });
      expect(
        trustOidcUnscoped.evaluate(google({ StringEquals: { 'accounts.google.com:aud': 'client-123' } }), ctx)
          .status,
      ).toBe('pass');
      expect(trustOidcUnscoped.evaluate(google(), ctx)).toMatchObject({
        status: 'fail',
        severity: 'critical',
      });
    });
  });

  describe('applicability', () => {
    it.each<[string, Record<string, unknown>]>([
      ['a service principal', { Principal: { Service: 'ec2.amazonaws.com' } }],
      ['an account principal', { Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` } }],
      [
        'a SAML provider',
        {
          Principal: { Federated: `arn:aws:iam::${ACCOUNT_ID}:saml-provider/Okta` },
          Action: 'sts:AssumeRoleWithSAML',
          Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
        },
      ],
      [
        'an OIDC provider denied web identity',
        {
          Effect: 'Deny',
          Principal: { Federated: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${GITHUB}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
        },
      ],
      [
        'an OIDC provider allowed only sts:TagSession',
        { ...oidcTrustStatement(GITHUB), Action: 'sts:TagSession' },
      ],
    ])('is not applicable to a role trusting %s', (_label, statement) => {
      expect(trustOidcUnscoped.evaluate(aRole({ trustPolicy: aTrustPolicy(statement) }), ctx).status).toBe(
        'not-applicable',
      );
    });

    it('evaluates an OIDC statement allowed through sts:*', () => {
      const role = aRole({ trustPolicy: aTrustPolicy({ ...oidcTrustStatement(GITHUB), Action: 'sts:*' }) });
      expect(trustOidcUnscoped.evaluate(role, ctx).status).toBe('fail');
    });

    it('is not applicable when the trust policy could not be parsed', () => {
      expect(trustOidcUnscoped.evaluate(aRole({ trustPolicy: undefined }), ctx).status).toBe(
        'not-applicable',
      );
    });
  });
});
