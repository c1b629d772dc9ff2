import { describe, expect, it } from 'vitest';
import { DeployConfigError, parseDeployConfig } from '../../../functions/core/deploy-config';
import {
  JIT_ENV_BUDGET_BYTES,
  JIT_RECONCILE_SCHEDULE,
  JitDeploySchema,
  toElevationProfile,
} from '../../../functions/core/jit/config';
import { ACCOUNT, ADMIN, ALICE, BOB, READ_LOGS } from './builders';

const ELIGIBLE = [`arn:aws:iam::${ACCOUNT}:role/ops-*`];

function profile(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'logs-reader',
    statements: READ_LOGS,
    eligible: ELIGIBLE,
    approvers: [ALICE, BOB],
    ...overrides,
  };
}

/** The issues of a deploy config with these jit profiles (and other jit keys). */
function issuesOf(jit: Record<string, unknown>): string[] {
  try {
    parseDeployConfig({ jit });
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return (error as DeployConfigError).issues;
  }
  return [];
}

describe('the jit deploy config', () => {
  it('is off by default, with /elevate and a one-hour request lifetime', () => {
    expect(parseDeployConfig({}).jit).toEqual({ profiles: [], slashCommand: '/elevate', requestTtl: '1h' });
    expect(JIT_RECONCILE_SCHEDULE).toBe('rate(1 hour)');
  });

  it('reads a profile with its defaults', () => {
    const config = parseDeployConfig({ jit: { profiles: [profile()], channelId: 'C0123ABCD' } });
    expect(config.jit).toEqual({
      profiles: [
        {
          name: 'logs-reader',
          statements: READ_LOGS,
          eligible: ELIGIBLE,
          maxDuration: '4h',
          approvers: [ALICE, BOB],
          approvals: 1,
        },
      ],
      slashCommand: '/elevate',
      channelId: 'C0123ABCD',
      requestTtl: '1h',
    });
  });

  it('accepts -c jit=JSON from the CDK context', async () => {
    const { parseDeployConfigFromContext } = await import('../../../functions/core/deploy-config');
    const config = parseDeployConfigFromContext({ jit: JSON.stringify({ profiles: [profile()] }) });
    expect(config.jit.profiles.map((p) => p.name)).toEqual(['logs-reader']);
  });

  it.each([
    [{ name: 'Logs' }, 'jit.profiles.0.name: must be 1-41 lower-case letters'],
    [{ name: 'a'.repeat(42) }, 'jit.profiles.0.name: must be 1-41'],
    [
      { statements: undefined },
      'jit.profiles.0.statements: give exactly one of statements and managedPolicyArn',
    ],
    [
      { managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      'jit.profiles.0.managedPolicyArn: give exactly one of statements and managedPolicyArn',
    ],
    [
      { statements: undefined, managedPolicyArn: 'arn:aws:s3:::bucket' },
      'jit.profiles.0.managedPolicyArn: must be an IAM managed policy ARN',
    ],
    [{ eligible: [] }, 'jit.profiles.0.eligible: must name at least one eligible role or user'],
    [{ eligible: ['arn:aws:iam::*:*'] }, 'jit.profiles.0.eligible.0: must be an IAM role or user ARN'],
    [
      { eligible: [`arn:aws:iam::${ACCOUNT}:group/ops`] },
      'jit.profiles.0.eligible.0: must be an IAM role or user ARN',
    ],
    [{ maxDuration: '13h' }, 'jit.profiles.0.maxDuration: must be at most 12h'],
    [
      { maxDuration: '1 hour' },
      'jit.profiles.0.maxDuration: write hours and minutes like 90m, 1h, 1h30m or 2h, got "1 hour"',
    ],
    [{ approvers: [] }, 'jit.profiles.0.approvers: must name at least one approver'],
    [
      { approvers: [{ teamId: 'T0000TEAM', userId: 'alice' }] },
      'jit.profiles.0.approvers.0.userId: must be a Slack user id',
    ],
    [{ approvals: 0 }, 'jit.profiles.0.approvals:'],
    [{ approvals: 6 }, 'jit.profiles.0.approvals:'],
    [{ approvals: 3 }, 'jit.profiles.0.approvals: needs 3 approvals but only 2 approvers are listed'],
    [
      { maxDuration: '2h', breakGlass: { maxDuration: '3h' } },
      "jit.profiles.0.breakGlass.maxDuration: must be at most the profile's maxDuration (2h)",
    ],
    [{ breakGlass: { maxDuration: '1h', extra: 1 } }, 'jit.profiles.0.breakGlass: Unrecognized key: "extra"'],
    [{ approver: [ALICE] }, 'jit.profiles.0: Unrecognized key: "approver" (did you mean approvers?)'],
  ])('names the path of a bad profile value %j', (change, issue) => {
    const issues = issuesOf({ profiles: [profile(change)] });
    expect(issues.some((i) => i.startsWith(issue))).toBe(true);
  });

  it.each([
    [
      [{ Effect: 'Permit', Action: '*', Resource: '*' }],
      'jit.profiles.0.statements.0.Effect: Effect must be "Allow" or "Deny"',
    ],
    [
      [{ Effect: 'Allow', Resource: '*' }],
      'jit.profiles.0.statements.0: statement has neither Action nor NotAction',
    ],
    [
      [READ_LOGS[0], { Effect: 'Allow', Action: ['s3:GetObject', 3], Resource: '*' }],
      'jit.profiles.0.statements.1.Action.1: value is not a string',
    ],
    [
      [{ Effect: 'Allow', Action: 's3:GetObject' }],
      'jit.profiles.0.statements.0: needs Resource or NotResource',
    ],
    [
      [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Principal: '*' }],
      'jit.profiles.0.statements.0.Principal: an identity policy statement names no principal',
    ],
    [
      [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } },
        },
      ],
      'jit.profiles.0.statements.0.Condition.DateLessThan.aws:CurrentTime: the grant sets the time window itself',
    ],
    [
      [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', NotResource: 'arn:aws:s3:::b' }],
      'jit.profiles.0.statements.0: has both Resource and NotResource',
    ],
    [
      [{ Effect: 'Allow', Actions: 's3:GetObject', Resource: '*' }],
      'jit.profiles.0.statements.0.Actions: is not a statement element (did you mean Action?)',
    ],
    [['s3:*'], 'jit.profiles.0.statements.0: must be an IAM policy statement'],
    [[], 'jit.profiles.0.statements: must hold at least one statement'],
  ])('names the path of a bad statement', (statements, issue) => {
    const issues = issuesOf({ profiles: [profile({ statements })] });
    expect(issues.some((i) => i.startsWith(issue))).toBe(true);
  });

  it.each([
    ['full access', ADMIN],
    ['all of IAM', [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }]],
    [
      'a policy on its own role (self-grant)',
      [{ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: `arn:aws:iam::${ACCOUNT}:role/ops-*` }],
    ],
    [
      'passing a role to a new function (escalation)',
      [
        {
          Effect: 'Allow',
          Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'],
          Resource: '*',
        },
      ],
    ],
    [
      'admin only under MFA (conditional counts)',
      [
        {
          Effect: 'Allow',
          Action: '*',
          Resource: '*',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
      ],
    ],
  ])('requires 2 approvals for a profile granting %s', (_what, statements) => {
    expect(issuesOf({ profiles: [profile({ statements })] })).toContainEqual(
      expect.stringMatching(/^jit\.profiles\.0\.approvals: must be at least 2: the statements are /),
    );
    expect(issuesOf({ profiles: [profile({ statements, approvals: 2 })] })).toEqual([]);
  });

  it.each([
    ['AdministratorAccess', 'administrator-equivalent'],
    ['IAMFullAccess', 'administrator-equivalent'],
    ['PowerUserAccess', 'able to escalate privilege'],
  ])('requires 2 approvals for the managed %s', (name, what) => {
    const managed = { statements: undefined, managedPolicyArn: `arn:aws:iam::aws:policy/${name}` };
    expect(issuesOf({ profiles: [profile(managed)] })).toEqual([
      `jit.profiles.0.approvals: must be at least 2: ${name} is ${what}`,
    ]);
    expect(issuesOf({ profiles: [profile({ ...managed, approvals: 2 })] })).toEqual([]);
  });

  it('lets a read-only profile have one approval', () => {
    expect(
      issuesOf({
        profiles: [
          profile({ statements: undefined, managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
        ],
      }),
    ).toEqual([]);
    expect(issuesOf({ profiles: [profile({ approvals: 1 })] })).toEqual([]);
  });

  it('refuses two profiles of one name, naming the second', () => {
    expect(issuesOf({ profiles: [profile(), profile({ approvals: 2 })] })).toEqual([
      'jit.profiles.1.name: "logs-reader" is already the name of profiles.0',
    ]);
  });

  it.each([
    [{ slashCommand: 'elevate' }, 'jit.slashCommand: must be a Slack slash command like /elevate'],
    [{ channelId: '#ops' }, 'jit.channelId: must be a Slack channel id like C0123ABCD'],
    [{ requestTtl: '25h' }, 'jit.requestTtl: must be at most 24h'],
    [{ requestTtl: '0m' }, 'jit.requestTtl: must be at least 1 minute, got "0m"'],
    [{ reconcileSchedule: 'rate(1 day)' }, 'jit: Unrecognized key: "reconcileSchedule"'],
  ])('names the path of a bad jit value %j', (change, issue) => {
    const issues = issuesOf(change);
    expect(issues.some((i) => i.startsWith(issue))).toBe(true);
  });

  it('refuses profiles that do not fit the function environment, naming jit.profiles', () => {
    const long = 'x'.repeat(200);
    const fits = Array.from({ length: 3 }, (_, i) => profile({ name: `p${i}`, description: long }));
    expect(issuesOf({ profiles: fits })).toEqual([]);
    const many = Array.from({ length: 12 }, (_, i) => profile({ name: `p${i}`, description: long }));
    const issues = issuesOf({ profiles: many });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      new RegExp(
        `^jit\\.profiles: the profiles take \\d+ bytes in the function environment, more than the ${JIT_ENV_BUDGET_BYTES}`,
      ),
    );
  });
});

describe('toElevationProfile', () => {
  it('converts durations to minutes and keeps the rest', () => {
    const parsed = JitDeploySchema.parse({
      profiles: [
        profile({
          description: 'Read the logs',
          maxDuration: '1h30m',
          approvals: 2,
          breakGlass: {},
        }),
        profile({
          name: 'ro',
          statements: undefined,
          managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      ],
    });
    expect(parsed.profiles.map(toElevationProfile)).toEqual([
      {
        name: 'logs-reader',
        description: 'Read the logs',
        statements: READ_LOGS,
        eligible: ELIGIBLE,
        maxMinutes: 90,
        approvers: [ALICE, BOB],
        approvals: 2,
        breakGlass: { maxMinutes: 60 },
      },
      {
        name: 'ro',
        managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        eligible: ELIGIBLE,
        maxMinutes: 240,
        approvers: [ALICE, BOB],
        approvals: 1,
      },
    ]);
  });
});

describe('the README example', () => {
  it('is a valid deploy config', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Just-in-time elevation'));
    const example = /```json\n(\{\n {2}"context"[\s\S]*?)```/.exec(section)![1]!;
    const { context } = JSON.parse(example) as { context: Record<string, unknown> };
    const { parseDeployConfigFromContext } = await import('../../../functions/core/deploy-config');
    const config = parseDeployConfigFromContext(context);
    expect(
      config.jit.profiles.map(toElevationProfile).map((p) => [p.name, p.maxMinutes, p.approvals]),
    ).toEqual([
      ['db-admin', 120, 1],
      ['read-only', 480, 1],
    ]);
  });
});
