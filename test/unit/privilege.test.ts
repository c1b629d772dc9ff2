import { describe, expect, it } from 'vitest';
import { evaluateInventory } from '../../functions/core/engine';
import {
  emptyInventory,
  type GroupSnapshot,
  type RoleSnapshot,
  type UserSnapshot,
} from '../../functions/core/model';
import { isKnownAction } from '../../functions/core/policy/actions';
import {
  analyzePrincipal,
  createPrivilegeAnalyzer,
  ESCALATION_PATHS,
  escalationActions,
  privilegeSummary,
} from '../../functions/core/privilege';
import { roleUnused } from '../../functions/core/rules/role-unused';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import {
  ACCOUNT,
  ADMIN,
  doc,
  IAM_FULL,
  inline,
  managed,
  POWER_USER,
  policyFixture,
  READ_ONLY,
  rawFixture,
  S3_FULL,
} from '../fixtures/policies/principals';
import { aGroup, aRole, aUser, daysAgo, NOW } from '../support/builders';

type Principal = RoleSnapshot | UserSnapshot | GroupSnapshot;

const SELF_ROLE = `arn:aws:iam::${ACCOUNT}:role/subject`;
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
const OWN_USER = 'arn:aws:iam::*:user/${aws:username}';
const boundaryS3 = managed('DeveloperBoundary', policyFixture('boundary-s3-only'), true);

describe('admin-equivalence', () => {
  const cases: [string, () => Principal, 'admin' | 'conditional' | 'none', string | undefined][] = [
    [
      'AdministratorAccess',
      () => aRole({ name: 'subject', managedPolicies: [ADMIN] }),
      'admin',
      'full-access',
    ],
    [
      'IAMFullAccess',
      () => aRole({ name: 'subject', managedPolicies: [IAM_FULL] }),
      'admin',
      'iam-full-access',
    ],
    [
      'PowerUserAccess (NotAction iam:*)',
      () => aRole({ name: 'subject', managedPolicies: [POWER_USER] }),
      'none',
      undefined,
    ],
    ['ReadOnly-like', () => aRole({ name: 'subject', managedPolicies: [READ_ONLY] }), 'none', undefined],
    ['s3:* on *', () => aRole({ name: 'subject', managedPolicies: [S3_FULL] }), 'none', undefined],
    [
      'allow-all plus deny-all',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [ADMIN],
          inlinePolicies: [inline('q', policyFixture('deny-all'))],
        }),
      'none',
      undefined,
    ],
    [
      'allow-all minus IAM',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [ADMIN],
          inlinePolicies: [inline('no-iam', doc({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }))],
        }),
      'none',
      undefined,
    ],
    [
      'allow-all with a deny on one IAM action',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [ADMIN],
          inlinePolicies: [
            inline('no-delete', doc({ Effect: 'Deny', Action: 'iam:DeleteRole', Resource: '*' })),
          ],
        }),
      'admin',
      'self-grant',
    ],
    [
      'admin limited by a permissions boundary',
      () => aRole({ name: 'subject', managedPolicies: [ADMIN], permissionsBoundary: boundaryS3 }),
      'none',
      undefined,
    ],
    [
      'admin under an admin boundary',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [ADMIN],
          permissionsBoundary: managed('Open', policyFixture('administrator-access'), true),
        }),
      'admin',
      'full-access',
    ],
    [
      'admin via a group',
      () => aUser({ name: 'alice', groups: [aGroup({ name: 'Admins', managedPolicies: [ADMIN] })] }),
      'admin',
      'full-access',
    ],
    [
      'a group holding AdministratorAccess',
      () => aGroup({ name: 'Admins', managedPolicies: [ADMIN] }),
      'admin',
      'full-access',
    ],
    [
      'admin only with MFA',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [managed('Mfa', policyFixture('conditional-admin-mfa'), true)],
        }),
      'conditional',
      'full-access',
    ],
    [
      'time-bound admin',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [managed('BreakGlass', policyFixture('time-bound-admin'), true)],
        }),
      'conditional',
      'full-access',
    ],
    [
      'attach any policy to itself (role)',
      () =>
        aRole({
          name: 'subject',
          inlinePolicies: [
            inline('self', doc({ Effect: 'Allow', Action: 'iam:AttachRolePolicy', Resource: SELF_ROLE })),
          ],
        }),
      'admin',
      'self-grant',
    ],
    [
      'attach to itself, capped by a boundary',
      () =>
        aRole({
          name: 'subject',
          permissionsBoundary: managed(
            'Cap',
            doc({ Effect: 'Allow', Action: ['iam:AttachRolePolicy', 's3:*'], Resource: '*' }),
            true,
          ),
          inlinePolicies: [
            inline('self', doc({ Effect: 'Allow', Action: 'iam:AttachRolePolicy', Resource: SELF_ROLE })),
          ],
        }),
      'none',
      undefined,
    ],
    [
      'attach to itself, and can delete its boundary',
      () =>
        aRole({
          name: 'subject',
          permissionsBoundary: managed(
            'Cap',
            doc({
              Effect: 'Allow',
              Action: ['iam:AttachRolePolicy', 'iam:DeleteRolePermissionsBoundary'],
              Resource: '*',
            }),
            true,
          ),
          inlinePolicies: [
            inline(
              'self',
              doc({
                Effect: 'Allow',
                Action: ['iam:AttachRolePolicy', 'iam:DeleteRolePermissionsBoundary'],
                Resource: SELF_ROLE,
              }),
            ),
          ],
        }),
      'admin',
      'self-grant',
    ],
    [
      'rewrite a customer managed policy attached to itself',
      () =>
        aRole({
          name: 'subject',
          managedPolicies: [
            managed(
              'AppPolicy',
              doc({
                Effect: 'Allow',
                Action: 'iam:CreatePolicyVersion',
                Resource: `arn:aws:iam::${ACCOUNT}:policy/AppPolicy`,
              }),
              true,
            ),
          ],
        }),
      'admin',
      'self-grant',
    ],
    [
      'everything but one bucket (NotResource)',
      () =>
        aRole({
          name: 'subject',
          inlinePolicies: [
            inline('nr', doc({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:s3:::payroll/*' })),
          ],
        }),
      'admin',
      'self-grant',
    ],
    [
      'a group whose members can write its policy',
      () =>
        aGroup({
          name: 'devs',
          inlinePolicies: [
            inline(
              'self',
              doc({
                Effect: 'Allow',
                Action: 'iam:PutGroupPolicy',
                Resource: `arn:aws:iam::${ACCOUNT}:group/devs`,
              }),
            ),
          ],
        }),
      'admin',
      'self-grant',
    ],
    ['nothing attached', () => aRole({ name: 'subject' }), 'none', undefined],
  ];

  it.each(cases)('%s', (_name, build, status, basis) => {
    const admin = analyzePrincipal(build()).admin;
    expect(admin.status).toBe(status);
    expect(admin.basis).toBe(basis);
    if (status !== 'none') expect(admin.statements.length).toBeGreaterThan(0);
  });

  it('names the statements and the self-grant that make a principal admin', () => {
    const admin = analyzePrincipal(
      aRole({
        name: 'subject',
        inlinePolicies: [
          inline(
            'self',
            doc({ Sid: 'Self', Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: SELF_ROLE }),
          ),
        ],
      }),
    ).admin;
    expect(admin.selfGrant).toEqual({ action: 'iam:PutRolePolicy', resource: SELF_ROLE });
    expect(admin.statements).toEqual([
      {
        policyType: 'inline',
        policyName: 'self',
        statementIndex: 0,
        sid: 'Self',
        effect: 'Allow',
        conditional: false,
      },
    ]);
    const viaGroup = analyzePrincipal(
      aUser({ name: 'alice', groups: [aGroup({ name: 'Admins', managedPolicies: [ADMIN] })] }),
    ).admin;
    expect(viaGroup.statements).toEqual([
      expect.objectContaining({ policyName: 'AdministratorAccess', group: 'Admins' }),
    ]);
  });
});

interface EscalationCase {
  path: string;
  principal: 'role' | 'user';
  grant: unknown;
  nearMiss: { why: string; policy: unknown };
}

const escalation = rawFixture<{ cases: EscalationCase[] }>('escalation-paths');

function subject(kind: 'role' | 'user', policy: unknown): Principal {
  const policies = {
    inlinePolicies: [
      inline('under-test', doc(...(policy as { Statement: Record<string, unknown>[] }).Statement)),
    ],
  };
  return kind === 'role'
    ? aRole({ name: 'subject', ...policies })
    : aUser({ name: 'subject', ...policies, groups: [aGroup({ name: 'devs' })] });
}

describe('escalation paths', () => {
  it('has a fixture with an open case and a near miss for every path', () => {
    expect(escalation.cases.map((c) => c.path).sort()).toEqual(ESCALATION_PATHS.map((p) => p.id).sort());
  });

  it.each(escalation.cases.map((c) => [c.path, c] as const))('%s is open with the fixture grant', (id, c) => {
    const analysis = analyzePrincipal(subject(c.principal, c.grant));
    const open = analysis.paths.find((p) => p.path.id === id);
    expect(open?.status).toBe('open');
    expect(open!.requirements.length).toBeGreaterThan(0);
    for (const r of open!.requirements) {
      expect(r.decision.decision).toBe('allowed');
      expect(r.decision.statements[0]).toMatchObject({ policyName: 'under-test', effect: 'Allow' });
    }
    expect(privilegeSummary(analysis).escalationPaths).toContain(id);
  });

  it.each(escalation.cases.map((c) => [c.path, c.nearMiss.why, c] as const))(
    '%s is closed when the principal %s',
    (id, _why, c) => {
      const analysis = analyzePrincipal(subject(c.principal, c.nearMiss.policy));
      expect(analysis.paths.map((p) => p.path.id)).not.toContain(id);
      expect(analysis.paths).toEqual([]);
      expect(analysis.admin.status).toBe('none');
    },
  );

  it('opens the existing-workload paths for PowerUserAccess, none that need IAM', () => {
    const ids = analyzePrincipal(aRole({ name: 'subject', managedPolicies: [POWER_USER] })).paths.map(
      (p) => p.path.id,
    );
    expect(ids).toEqual([
      'lambda-update-function-code',
      'glue-update-dev-endpoint',
      'cloudformation-update-stack',
      'sagemaker-presigned-notebook-url',
      'ssm-send-command',
      'ssm-start-session',
      'ec2-instance-connect',
    ]);
  });

  it('opens no path for a read-only or an s3-only principal', () => {
    expect(analyzePrincipal(aRole({ name: 'subject', managedPolicies: [READ_ONLY] })).paths).toEqual([]);
    expect(analyzePrincipal(aRole({ name: 'subject', managedPolicies: [S3_FULL] })).paths).toEqual([]);
  });

  it('does not count passing its own role', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [
        inline(
          'own',
          doc(
            { Effect: 'Allow', Action: 'iam:PassRole', Resource: SELF_ROLE },
            { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' },
          ),
        ),
      ],
    });
    expect(analyzePrincipal(role).paths).toEqual([]);
  });

  it('reports a path that needs a condition as conditional and keeps it out of the summary', () => {
    const role = aRole({
      name: 'subject',
      inlinePolicies: [
        inline(
          'scoped-pass',
          doc(
            {
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: '*',
              Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
            },
            { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' },
          ),
        ),
      ],
    });
    const analysis = analyzePrincipal(role);
    expect(analysis.paths.map((p) => [p.path.id, p.status])).toEqual([
      ['iam-passrole-lambda', 'conditional'],
    ]);
    expect(privilegeSummary(analysis)).toEqual({ adminEquivalent: false, escalationPaths: [] });
  });

  it('lets group members escalate through the group’s own policies', () => {
    const group = aGroup({
      name: 'devs',
      inlinePolicies: [
        inline(
          'self-keys',
          doc({
            Effect: 'Allow',
            Action: 'iam:AttachUserPolicy',
            Resource: `arn:aws:iam::${ACCOUNT}:user/*`,
          }),
        ),
      ],
    });
    const analysis = analyzePrincipal(group);
    expect(analysis.paths.map((p) => p.path.id)).toEqual(['iam-attach-user-policy']);
    expect(analysis.admin).toMatchObject({ status: 'admin', basis: 'self-grant' });
  });

  it('treats the user-name variable in a group policy as each member itself', () => {
    const selfService = aGroup({
      name: 'everyone',
      managedPolicies: [managed('SelfService', policyFixture('manage-own-credentials'), true)],
    });
    // Keys and passwords for oneself only: no principal-access path for the group or a member.
    expect(analyzePrincipal(selfService).paths).toEqual([]);
    expect(analyzePrincipal(aUser({ name: 'carol', groups: [selfService] })).paths).toEqual([]);
    // Attaching policies to oneself is a self-escalation for every member.
    const selfAttach = aGroup({
      name: 'self-attach',
      inlinePolicies: [
        inline(
          'attach-own',
          doc({
            Effect: 'Allow',
            Action: 'iam:AttachUserPolicy',
            Resource: OWN_USER,
          }),
        ),
      ],
    });
    expect(analyzePrincipal(selfAttach).paths.map((p) => p.path.id)).toEqual(['iam-attach-user-policy']);
    expect(analyzePrincipal(selfAttach).admin).toMatchObject({ status: 'admin', basis: 'self-grant' });
  });

  it('keeps the path catalog as consistent data', () => {
    const ids = ESCALATION_PATHS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const path of ESCALATION_PATHS) {
      expect(path.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(path.source).toMatch(/^https:\/\//);
      expect(path.allOf.length).toBeGreaterThan(0);
    }
    const unknown = escalationActions().filter((a) => !isKnownAction(a));
    expect(unknown).toEqual([]);
  });
});

describe('createPrivilegeAnalyzer', () => {
  it('summarizes a principal for the engine', () => {
    const inventory = emptyInventory(ACCOUNT);
    inventory.managedPolicies.set(ADMIN.arn, ADMIN);
    const analyzer = createPrivilegeAnalyzer(inventory);
    expect(analyzer(aRole({ name: 'admin', managedPolicies: [ADMIN] }))).toEqual({
      adminEquivalent: true,
      escalationPaths: [],
    });
    expect(analyzer(aRole({ name: 'power', managedPolicies: [POWER_USER] })).escalationPaths).toContain(
      'ssm-send-command',
    );
    expect(analyzer(aRole({ name: 'reader', managedPolicies: [READ_ONLY] }))).toEqual({
      adminEquivalent: false,
      escalationPaths: [],
    });
  });

  it('raises the severity of a staleness finding on an admin-equivalent role', () => {
    const now = NOW;
    const inventory = emptyInventory(ACCOUNT);
    const lastUsedAt = daysAgo(150);
    inventory.roles.push(
      aRole({ name: 'dormant-admin', managedPolicies: [ADMIN], lastUsedAt }),
      aRole({ name: 'dormant-reader', managedPolicies: [READ_ONLY], lastUsedAt }),
    );
    const { findings } = evaluateInventory(inventory, {
      rules: [roleUnused],
      settings: DEFAULT_SETTINGS,
      now,
      privilege: createPrivilegeAnalyzer(inventory),
    });
    expect(findings.map((f) => [f.resourceArn.split('/')[1], f.baseSeverity, f.severity])).toEqual([
      ['dormant-admin', 'medium', 'critical'],
      ['dormant-reader', 'medium', 'medium'],
    ]);
    expect(findings[0]!.evidence.adminEquivalent).toBe(true);
  });
});
