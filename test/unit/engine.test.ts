import { describe, expect, it } from 'vitest';
import { type EvaluateOptions, evaluateInventory, type PrivilegeAnalyzer } from '../../functions/core/engine';
import { findingId } from '../../functions/core/finding';
import type { ResourceKind, Snapshot } from '../../functions/core/model';
import { defineRule, type Rule, type RuleResult, type Severity } from '../../functions/core/rule';
import { RULES } from '../../functions/core/rules';
import type { Exemption } from '../../functions/core/settings';
import {
  ACCOUNT_ID,
  aCoverageGap,
  anAccessKey,
  anInventory,
  aRole,
  aSecret,
  aUser,
  daysAgo,
  NOW,
  someSettings,
} from '../support/builders';

/** A test rule: fails every snapshot of its kinds unless `evaluate` says otherwise. */
function aRule(
  id: string,
  kinds: readonly ResourceKind[],
  options: { severity?: Severity; staleness?: boolean; evaluate?: (s: Snapshot) => RuleResult } = {},
): Rule {
  return defineRule(
    {
      id,
      title: `Rule ${id} passes`,
      resourceKinds: kinds,
      severity: options.severity ?? 'medium',
      description: 'Test rule.',
      risk: 'Test risk.',
      remediation: { summary: 'Fix it.' },
      compliance: [],
      references: ['https://example.com/'],
      ...(options.staleness ? { staleness: true } : {}),
    },
    (snapshot) =>
      options.evaluate?.(snapshot as Snapshot) ?? {
        status: 'fail',
        reason: `${id} fails ${snapshot.arn}.`,
        evidence: { arn: snapshot.arn },
      },
  );
}

function run(
  inventory = anInventory(),
  options: Partial<EvaluateOptions> & { exemptions?: Exemption[] } = {},
) {
  const { exemptions, ...rest } = options;
  return evaluateInventory(inventory, {
    rules: [],
    settings: someSettings({ exemptions: exemptions ?? [] }),
    now: NOW,
    ...rest,
  });
}

const ciRole = aRole({ name: 'ci-deploy' });
const nestedRole = aRole({ name: 'deploy', path: '/ci/' });
const appRole = aRole({ name: 'app' });
const alice = aUser({ name: 'alice' });

describe('evaluateInventory', () => {
  describe('kind matching', () => {
    it('calls a rule only with snapshots of its kinds', () => {
      const seen: string[] = [];
      const rule = aRule('roles-and-secrets', ['role', 'secret'], {
        evaluate: (s) => {
          seen.push(s.kind);
          return { status: 'pass' };
        },
      });
      const inventory = anInventory({
        roles: [ciRole, appRole],
        users: [alice],
        accessKeys: [anAccessKey()],
        secrets: [aSecret()],
        coverageGaps: [aCoverageGap()],
      });
      const result = run(inventory, { rules: [rule] });
      expect(seen.sort()).toEqual(['role', 'role', 'secret']);
      expect(result.findings).toEqual([]);
      expect(result.summary.resources).toEqual({
        role: 2,
        user: 1,
        'access-key': 1,
        secret: 1,
        'coverage-gap': 1,
      });
    });

    it('reports only failures: pass and not-applicable leave no finding', () => {
      const rule = aRule('mixed', ['role'], {
        evaluate: (s) =>
          s.arn === ciRole.arn
            ? { status: 'fail', reason: 'Fails.', evidence: {} }
            : s.arn === appRole.arn
              ? { status: 'pass' }
              : { status: 'not-applicable', reason: 'n/a' },
      });
      const result = run(anInventory({ roles: [ciRole, appRole, nestedRole] }), { rules: [rule] });
      expect(result.findings.map((f) => f.resourceArn)).toEqual([ciRole.arn]);
    });
  });

  describe('a throwing rule', () => {
    it('becomes an error finding for that resource, never a pass, and the scan goes on', () => {
      const broken = aRule('broken', ['role'], {
        severity: 'high',
        evaluate: (s) => {
          if (s.arn === ciRole.arn) throw new TypeError('cannot read properties of undefined');
          return { status: 'pass' };
        },
      });
      const other = aRule('other', ['role']);
      const result = run(anInventory({ roles: [ciRole, appRole] }), { rules: [broken, other] });
      const error = result.findings.find((f) => f.ruleId === 'broken');
      expect(error).toMatchObject({
        result: 'error',
        severity: 'high',
        resourceArn: ciRole.arn,
        reason: `Rule broken could not evaluate ${ciRole.arn}: cannot read properties of undefined`,
        evidence: { error: 'cannot read properties of undefined' },
      });
      expect(result.findings.filter((f) => f.ruleId === 'broken')).toHaveLength(1);
      expect(result.findings.filter((f) => f.ruleId === 'other')).toHaveLength(2);
      expect(result.summary.errors).toBe(1);
    });
  });

  describe('exemptions', () => {
    const rule = aRule('stale', ['role']);
    const inventory = anInventory({ roles: [ciRole, nestedRole, appRole] });
    const exemption = (overrides: Partial<Exemption>): Exemption => ({
      ruleId: 'stale',
      resource: ciRole.arn,
      reason: 'Break-glass role, reviewed quarterly.',
      owner: 'platform-team',
      expires: '2026-12-31',
      ...overrides,
    });
    const suppressed = (exemptions: Exemption[], now = NOW) =>
      run(inventory, { rules: [rule], exemptions, now })
        .findings.filter((f) => f.suppression)
        .map((f) => f.resourceArn)
        .sort();

    it('suppresses an exact ARN and records reason, owner and expiry', () => {
      const result = run(inventory, { rules: [rule], exemptions: [exemption({})] });
      const finding = result.findings.find((f) => f.resourceArn === ciRole.arn);
      expect(finding?.suppression).toEqual({
        reason: 'Break-glass role, reviewed quarterly.',
        owner: 'platform-team',
        expires: '2026-12-31',
      });
      expect(result.findings.filter((f) => f.suppression)).toHaveLength(1);
      expect(result.summary).toMatchObject({ total: 2, suppressed: 1 });
    });

    it('does not treat an exact ARN as a prefix', () => {
      expect(suppressed([exemption({ resource: `arn:aws:iam::${ACCOUNT_ID}:role/ci` })])).toEqual([]);
    });

    it('matches a glob within one path segment, and across segments with **', () => {
      expect(suppressed([exemption({ resource: `arn:aws:iam::${ACCOUNT_ID}:role/ci-*` })])).toEqual([
        ciRole.arn,
      ]);
      expect(suppressed([exemption({ resource: `arn:aws:iam::${ACCOUNT_ID}:role/*` })])).toEqual(
        [ciRole.arn, appRole.arn].sort(),
      );
      expect(suppressed([exemption({ resource: `arn:aws:iam::${ACCOUNT_ID}:role/**` })])).toEqual(
        [ciRole.arn, nestedRole.arn, appRole.arn].sort(),
      );
    });

    it('applies only to its rule, or to every rule with *', () => {
      expect(suppressed([exemption({ ruleId: 'another-rule' })])).toEqual([]);
      expect(suppressed([exemption({ ruleId: '*' })])).toEqual([ciRole.arn]);
    });

    it('stops applying once expired', () => {
      expect(suppressed([exemption({ expires: '2026-05-31T23:59:59Z' })])).toEqual([]);
      expect(suppressed([exemption({ expires: '2026-06-01T11:59:59Z' })])).toEqual([]);
      expect(suppressed([exemption({ expires: '2026-06-01T12:00:01Z' })])).toEqual([ciRole.arn]);
      expect(suppressed([exemption({ expires: '2026-06-01T14:00:00+03:00' })])).toEqual([]);
    });

    it('lasts through the whole UTC day of a date-only expiry', () => {
      const onDay = exemption({ expires: '2026-06-01' });
      expect(suppressed([onDay], new Date('2026-06-01T00:00:00Z'))).toEqual([ciRole.arn]);
      expect(suppressed([onDay], new Date('2026-06-01T23:59:59.999Z'))).toEqual([ciRole.arn]);
      expect(suppressed([onDay], new Date('2026-06-02T00:00:00Z'))).toEqual([]);
      expect(suppressed([exemption({ expires: '2026-05-31' })])).toEqual([]);
    });

    it('keeps suppressed findings out of the severity counts', () => {
      const result = run(inventory, {
        rules: [rule],
        exemptions: [exemption({ ruleId: '*', resource: '**' })],
      });
      expect(result.findings).toHaveLength(3);
      expect(result.summary).toMatchObject({ total: 0, suppressed: 3 });
      expect(result.summary.bySeverity.medium).toBe(0);
    });
  });

  it('does not evaluate disabled rules', () => {
    const calls: string[] = [];
    const tracked = (id: string) =>
      aRule(id, ['role'], {
        evaluate: () => {
          calls.push(id);
          return { status: 'fail', reason: 'Fails.', evidence: {} };
        },
      });
    const result = evaluateInventory(anInventory({ roles: [appRole] }), {
      rules: [tracked('kept'), tracked('dropped')],
      settings: someSettings({ disabledRules: ['dropped'] }),
      now: NOW,
    });
    expect(calls).toEqual(['kept']);
    expect(result.findings.map((f) => f.ruleId)).toEqual(['kept']);
    expect(result.summary.rulesEvaluated).toBe(1);
  });

  describe('finding ids', () => {
    it('are deterministic: a hash of account, rule, resource and sub-resource', () => {
      const inventory = anInventory({ roles: [ciRole, appRole] });
      const first = run(inventory, { rules: [aRule('stale', ['role'])] });
      const second = run(inventory, { rules: [aRule('stale', ['role'])] });
      expect(first.findings.map((f) => f.id)).toEqual(second.findings.map((f) => f.id));
      expect(first.findings.find((f) => f.resourceArn === appRole.arn)?.id).toBe(
        findingId(ACCOUNT_ID, 'stale', appRole.arn),
      );
      expect(new Set(first.findings.map((f) => f.id)).size).toBe(2);
      expect(first.findings[0]?.id).toMatch(/^[0-9a-f]{32}$/);
    });

    it('give one finding per access key: the user ARN with the key id, or the slot when the id is unknown', () => {
      const key1 = anAccessKey({ slot: 1, keyId: 'AKIAKEYONE0000000001' });
      const key2 = anAccessKey({ slot: 2, keyId: undefined });
      const result = run(anInventory({ accessKeys: [key1, key2] }), {
        rules: [aRule('keys', ['access-key'])],
      });
      expect(result.findings.map((f) => [f.resourceArn, f.subResource, f.id])).toEqual([
        [key1.arn, 'AKIAKEYONE0000000001', findingId(ACCOUNT_ID, 'keys', key1.arn, 'AKIAKEYONE0000000001')],
        [key2.arn, 'slot-2', findingId(ACCOUNT_ID, 'keys', key2.arn, 'slot-2')],
      ]);
    });

    it('tell coverage gaps on one resource apart by source and detail, and carry a secret region', () => {
      const gaps = [aCoverageGap({ detail: 'eu-west-1' }), aCoverageGap({ detail: 'us-east-1' })];
      const result = run(anInventory({ coverageGaps: gaps, secrets: [aSecret({ region: 'us-east-1' })] }), {
        rules: [aRule('gaps', ['coverage-gap']), aRule('secrets', ['secret'])],
      });
      expect(result.findings.filter((f) => f.ruleId === 'gaps').map((f) => f.subResource)).toEqual([
        'secretsmanager:ListSecrets#eu-west-1',
        'secretsmanager:ListSecrets#us-east-1',
      ]);
      expect(new Set(result.findings.map((f) => f.id)).size).toBe(3);
      expect(result.findings.find((f) => f.ruleId === 'secrets')?.region).toBe('us-east-1');
    });
  });

  describe('risk', () => {
    const admin = { adminEquivalent: true, escalationPaths: [] };
    const escalates = { adminEquivalent: false, escalationPaths: ['iam-create-policy-version'] };
    const analyzer =
      (byArn: Record<string, { adminEquivalent: boolean; escalationPaths: string[] }>): PrivilegeAnalyzer =>
      (principal) =>
        byArn[principal.arn] ?? { adminEquivalent: false, escalationPaths: [] };

    it('raises the severity one level for an admin-equivalent principal and says why', () => {
      const result = run(anInventory({ roles: [ciRole, appRole] }), {
        rules: [aRule('stale', ['role'])],
        privilege: analyzer({ [ciRole.arn]: admin }),
      });
      const raised = result.findings.find((f) => f.resourceArn === ciRole.arn);
      const plain = result.findings.find((f) => f.resourceArn === appRole.arn);
      expect(raised).toMatchObject({
        severity: 'high',
        baseSeverity: 'medium',
        evidence: { arn: ciRole.arn, adminEquivalent: true, escalationPaths: [] },
      });
      expect(plain).toMatchObject({
        severity: 'medium',
        baseSeverity: 'medium',
        evidence: { arn: appRole.arn },
      });
      expect(plain?.evidence).not.toHaveProperty('adminEquivalent');
    });

    it('raises staleness findings two levels on an admin-equivalent principal, one on an escalating one', () => {
      const result = run(anInventory({ roles: [ciRole, appRole] }), {
        rules: [aRule('stale', ['role'], { staleness: true }), aRule('other', ['role'])],
        privilege: analyzer({ [ciRole.arn]: admin, [appRole.arn]: escalates }),
      });
      const severity = (ruleId: string, arn: string) =>
        result.findings.find((f) => f.ruleId === ruleId && f.resourceArn === arn)?.severity;
      expect(severity('stale', ciRole.arn)).toBe('critical');
      expect(severity('other', ciRole.arn)).toBe('high');
      expect(severity('stale', appRole.arn)).toBe('high');
      expect(severity('other', appRole.arn)).toBe('high');
    });

    it('raises for an open escalation path, raises access keys through their user, and caps at critical', () => {
      const key = anAccessKey({ userName: alice.name });
      const result = run(anInventory({ users: [alice], accessKeys: [key], roles: [ciRole] }), {
        rules: [
          aRule('keys', ['access-key'], { severity: 'low' }),
          aRule('root-like', ['role'], { severity: 'critical' }),
        ],
        privilege: analyzer({ [alice.arn]: escalates, [ciRole.arn]: admin }),
      });
      expect(result.findings.find((f) => f.ruleId === 'keys')).toMatchObject({
        severity: 'medium',
        baseSeverity: 'low',
      });
      expect(result.findings.find((f) => f.ruleId === 'root-like')).toMatchObject({
        severity: 'critical',
        baseSeverity: 'critical',
      });
    });

    it('raises on top of a severity chosen by the rule for the resource', () => {
      const rule = aRule('certificate-like', ['role'], {
        severity: 'medium',
        evaluate: () => ({ status: 'fail', reason: 'Expired.', evidence: {}, severity: 'high' }),
      });
      const result = run(anInventory({ roles: [ciRole] }), {
        rules: [rule],
        privilege: analyzer({ [ciRole.arn]: admin }),
      });
      expect(result.findings[0]).toMatchObject({ severity: 'critical', baseSeverity: 'high' });
    });

    it('does not raise the privilege rules themselves or coverage gaps', () => {
      const gapOnRole = aCoverageGap({ arn: ciRole.arn });
      const result = run(anInventory({ roles: [ciRole], coverageGaps: [gapOnRole] }), {
        rules: [
          aRule('standing-admin', ['role'], { severity: 'high' }),
          aRule('scan-coverage-gap', ['coverage-gap']),
        ],
        privilege: analyzer({ [ciRole.arn]: admin }),
      });
      expect(result.findings.map((f) => [f.ruleId, f.severity])).toEqual([
        ['standing-admin', 'high'],
        ['scan-coverage-gap', 'medium'],
      ]);
    });

    it('keeps the finding, unraised, when the privilege analysis of its principal throws, and counts it', () => {
      let failures = 0;
      const failing: PrivilegeAnalyzer = (principal) => {
        if (principal.arn === ciRole.arn) {
          failures++;
          throw new Error('policy version not found');
        }
        return admin;
      };
      const result = run(anInventory({ roles: [ciRole, appRole] }), {
        rules: [aRule('stale', ['role']), aRule('other', ['role'])],
        privilege: failing,
      });
      expect(
        result.findings
          .filter((f) => f.ruleId === 'stale')
          .map((f) => [f.resourceArn, f.severity, f.evidence.privilegeError]),
      ).toEqual([
        [appRole.arn, 'high', undefined],
        [ciRole.arn, 'medium', 'policy version not found'],
      ]);
      // Two findings on the failing role: both counted as errors, the analysis tried once.
      expect(result.summary.errors).toBe(2);
      expect(failures).toBe(1);
    });

    it('analyzes each principal once, however many rules read it', () => {
      const calls: string[] = [];
      const counting: PrivilegeAnalyzer = (principal) => {
        calls.push(principal.arn);
        return { adminEquivalent: false, escalationPaths: [] };
      };
      run(anInventory({ roles: [ciRole, appRole] }), {
        rules: [aRule('a', ['role']), aRule('b', ['role']), aRule('c', ['role'])],
        privilege: counting,
      });
      expect(calls.sort()).toEqual([appRole.arn, ciRole.arn].sort());
    });

    it('orders findings by severity, then privilege and staleness, then rule and resource', () => {
      const bob = aUser({ name: 'bob' });
      const inventory = anInventory({ roles: [appRole, ciRole], users: [alice, bob] });
      const result = run(inventory, {
        rules: [
          aRule('z-low', ['user'], { severity: 'low' }),
          aRule('a-medium', ['user'], { severity: 'medium' }),
          aRule('m-stale', ['role'], { severity: 'medium', staleness: true }),
          aRule('b-critical', ['role'], { severity: 'critical' }),
        ],
        privilege: analyzer({ [bob.arn]: admin }),
      });
      expect(result.findings.map((f) => [f.severity, f.ruleId, f.resourceArn])).toEqual([
        ['critical', 'b-critical', appRole.arn],
        ['critical', 'b-critical', ciRole.arn],
        // raised from medium
        ['high', 'a-medium', bob.arn],
        // within a severity: privilege (raised from low), then staleness, then the rest
        ['medium', 'z-low', bob.arn],
        ['medium', 'm-stale', appRole.arn],
        ['medium', 'm-stale', ciRole.arn],
        ['medium', 'a-medium', alice.arn],
        ['low', 'z-low', alice.arn],
      ]);
      const riskOf = (ruleId: string, arn: string) =>
        result.findings.find((f) => f.ruleId === ruleId && f.resourceArn === arn)?.riskScore ?? 0;
      expect(riskOf('m-stale', appRole.arn)).toBeGreaterThan(riskOf('a-medium', alice.arn));
    });
  });

  it('summarizes findings by severity, with errors and coverage gaps', () => {
    const result = run(
      anInventory({ roles: [ciRole], secrets: [aSecret()], coverageGaps: [aCoverageGap()] }),
      {
        rules: [
          aRule('high-rule', ['role'], { severity: 'high' }),
          aRule('throws', ['secret'], {
            evaluate: () => {
              throw new Error('boom');
            },
          }),
        ],
      },
    );
    expect(result.summary).toEqual({
      accountId: ACCOUNT_ID,
      evaluatedAt: NOW.toISOString(),
      resources: { role: 1, secret: 1, 'coverage-gap': 1 },
      rulesEvaluated: 2,
      bySeverity: { critical: 0, high: 1, medium: 1, low: 0, informational: 0 },
      total: 2,
      suppressed: 0,
      errors: 1,
      coverageGaps: 1,
      ruleResults: {
        'high-rule': { evaluated: 1, pass: 0, fail: 1, error: 0, notApplicable: 0, suppressed: 0 },
        throws: { evaluated: 1, pass: 0, fail: 0, error: 1, notApplicable: 0, suppressed: 0 },
      },
    });
  });

  describe('per-rule results', () => {
    const byName: Record<string, RuleResult> = {
      passes: { status: 'pass' },
      skipped: { status: 'not-applicable', reason: 'no trust policy' },
      fails: { status: 'fail', reason: 'Role fails fails.', evidence: {} },
      exempt: { status: 'fail', reason: 'Role exempt fails.', evidence: {} },
    };
    const roles = ['passes', 'skipped', 'fails', 'exempt', 'throws'].map((name) => aRole({ name }));
    const mixed = aRule('mixed', ['role'], {
      evaluate: (s) => {
        const result = byName[(s as { name: string }).name];
        if (!result) throw new Error('cannot read it');
        return result;
      },
    });

    it('counts each outcome once, and the outcomes add up to the resources evaluated', () => {
      const result = run(anInventory({ roles, secrets: [aSecret()] }), {
        rules: [mixed, aRule('secrets-only', ['secret'], { evaluate: () => ({ status: 'pass' }) })],
        exemptions: [
          {
            ruleId: 'mixed',
            resource: roles[3]!.arn,
            reason: 'accepted',
            owner: 'team',
            expires: '2099-01-01',
          },
        ],
      });
      expect(result.summary.ruleResults).toEqual({
        mixed: { evaluated: 5, pass: 1, fail: 1, error: 1, notApplicable: 1, suppressed: 1 },
        'secrets-only': { evaluated: 1, pass: 1, fail: 0, error: 0, notApplicable: 0, suppressed: 0 },
      });
      // The counts agree with the findings: failing and errored ones unsuppressed, one suppressed.
      const mine = result.findings.filter((f) => f.ruleId === 'mixed');
      expect(
        mine
          .filter((f) => !f.suppression)
          .map((f) => f.result)
          .sort(),
      ).toEqual(['error', 'fail']);
      expect(mine.filter((f) => f.suppression)).toHaveLength(1);
    });

    it('lists an enabled rule with nothing to evaluate at zero, and leaves a disabled rule out', () => {
      const result = evaluateInventory(anInventory({ roles: [] }), {
        rules: [aRule('roles', ['role']), aRule('off', ['role'])],
        settings: someSettings({ disabledRules: ['off'] }),
        now: NOW,
      });
      expect(result.summary.ruleResults).toEqual({
        roles: { evaluated: 0, pass: 0, fail: 0, error: 0, notApplicable: 0, suppressed: 0 },
      });
    });
  });

  it('runs the whole catalog over a mixed inventory without errors', () => {
    const staleKey = anAccessKey({ createdAt: daysAgo(200), lastUsedAt: daysAgo(100) });
    const result = run(
      anInventory({
        roles: [aRole({ createdAt: daysAgo(400), lastUsedAt: undefined })],
        users: [alice],
        accessKeys: [staleKey],
        secrets: [aSecret({ rotationEnabled: false, lastRotatedAt: undefined })],
        coverageGaps: [aCoverageGap()],
      }),
      { rules: RULES },
    );
    expect(result.summary.errors).toBe(0);
    expect(result.findings.map((f) => f.ruleId).sort()).toEqual(
      [
        'access-key-not-rotated',
        'access-key-unused',
        // The role, alice and the secret carry no owner tag.
        'identity-owner-missing',
        'identity-owner-missing',
        'identity-owner-missing',
        'role-unused',
        'scan-coverage-gap',
        'secret-not-rotated',
        'secret-rotation-disabled',
      ].sort(),
    );
  });
});

describe('owners on findings', () => {
  const everything = aRule('test-everything', ['role', 'user', 'access-key', 'secret', 'server-certificate']);
  const owned = anInventory({
    roles: [aRole({ name: 'ci', tags: { Team: 'platform' } })],
    users: [aUser({ name: 'alice', tags: { owner: 'team-payments' } }), aUser({ name: 'bob' })],
    accessKeys: [
      anAccessKey({ userName: 'alice' }),
      anAccessKey({ userName: 'bob', keyId: 'AKIAEXAMPLE000000002' }),
    ],
    secrets: [aSecret({ name: 'prod/db', tags: { contact: '  ' } })],
  });

  function ownersOf(result: ReturnType<typeof run>) {
    return Object.fromEntries(
      result.findings.map((f) => [
        `${f.resourceType} ${f.resourceArn.split(':').at(-1)}${f.subResource ? ` ${f.subResource}` : ''}`,
        f.owner ?? null,
      ]),
    );
  }

  it('gives every finding its resource’s owner, an access key its user’s', () => {
    const result = evaluateInventory(owned, {
      rules: [everything],
      settings: someSettings({
        ownership: {
          tagKeys: ['owner', 'team', 'contact'],
          patterns: [{ arn: 'arn:aws:secretsmanager:*:*:secret:prod/*', owner: 'dba' }],
        },
      }),
      now: NOW,
    });
    expect(ownersOf(result)).toEqual({
      'role role/ci': { id: 'platform', source: 'tag:Team' },
      'user user/alice': { id: 'team-payments', source: 'tag:owner' },
      'user user/bob': null,
      'access-key user/alice AKIAEXAMPLE000000001': { id: 'team-payments', source: 'tag:owner' },
      'access-key user/bob AKIAEXAMPLE000000002': null,
      // An empty contact tag names nobody: the pattern decides.
      'secret prod/db-AbCdEf': {
        id: 'dba',
        source: 'pattern:arn:aws:secretsmanager:*:*:secret:prod/*',
      },
    });
  });

  it('keeps finding ids whatever the owner', () => {
    const withOwners = run(owned, { rules: [everything] });
    const untagged = anInventory({
      roles: owned.roles.map((r) => ({ ...r, tags: {} })),
      users: owned.users.map((u) => ({ ...u, tags: {} })),
      accessKeys: owned.accessKeys,
      secrets: owned.secrets.map((s) => ({ ...s, tags: {} })),
    });
    const without = run(untagged, { rules: [everything] });
    expect(without.findings.every((f) => f.owner === undefined)).toBe(true);
    expect(withOwners.findings.filter((f) => f.owner).length).toBe(3);
    expect(without.findings.map((f) => f.id)).toEqual(withOwners.findings.map((f) => f.id));
  });
});
