import { describe, expect, it } from 'vitest';
import {
  computeGovernance,
  findingsAfter,
  type GovernanceInput,
  governanceMetrics,
  MEASURE_IDS,
  MEASURES,
  type MeasureId,
  PARTIAL_MEASURES_METRIC,
} from '../../functions/core/governance';
import type { FindingChange, StoredFinding } from '../../functions/core/lifecycle';
import type { Inventory } from '../../functions/core/model';
import type { DataSet } from '../../functions/core/reconcile';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import {
  ACCOUNT_ID,
  aCoverageGap,
  aGroup,
  anAccessKey,
  anInventory,
  aRole,
  aSecret,
  aServerCertificate,
  aUser,
  daysAgo,
  NOW,
  theRootUser,
} from '../support/builders';
import { aFinding } from './report/fixtures';

const DAY_MS = 86_400_000;

function input(
  overrides: Partial<Omit<GovernanceInput, 'lifecycle'>> & {
    lifecycle?: Partial<GovernanceInput['lifecycle']>;
  } = {},
): GovernanceInput {
  return {
    inventory: overrides.inventory ?? anInventory(),
    findings: overrides.findings ?? [],
    thresholds: overrides.thresholds ?? DEFAULT_SETTINGS.thresholds,
    disabledRules: overrides.disabledRules ?? [],
    asOf: overrides.asOf ?? NOW,
    coverage: overrides.coverage ?? { gaps: [], unread: [] },
    lifecycle: { findings: [], changes: [], malformed: 0, held: 0, ...overrides.lifecycle },
  };
}

const measuresOf = (
  inventory: Partial<Omit<Inventory, 'accountId'>>,
  extra: Parameters<typeof input>[0] = {},
) => computeGovernance(input({ ...extra, inventory: anInventory(inventory) })).measures;

function aStoredFinding(overrides: Partial<StoredFinding> = {}): StoredFinding {
  return {
    ...aFinding({ accountId: ACCOUNT_ID }),
    status: 'open',
    firstSeenAt: daysAgo(10).toISOString(),
    firstSeenScanId: 'scan-1',
    lastChangedAt: daysAgo(10).toISOString(),
    lastChangedScanId: 'scan-1',
    reopenCount: 0,
    version: 1,
    ...overrides,
  };
}

describe('governance measures: identities by kind', () => {
  it('counts roles, IAM users (not root), groups, active keys (root included), secrets and certificates', () => {
    const measures = measuresOf({
      roles: [aRole({ name: 'a' }), aRole({ name: 'b' }), aRole({ name: 'svc', path: '/aws-service-role/' })],
      users: [aUser({ name: 'alice' }), aUser({ name: 'bob' }), theRootUser()],
      groups: [aGroup()],
      accessKeys: [
        anAccessKey(),
        anAccessKey({ slot: 2, keyId: 'AKIAEXAMPLE000000002', active: false }),
        anAccessKey({ isRoot: true }),
      ],
      secrets: [aSecret(), aSecret({ name: 'other' })],
      serverCertificates: [aServerCertificate()],
    });
    expect({
      roles: measures.roles,
      users: measures.users,
      groups: measures.groups,
      accessKeys: measures.accessKeys,
      secrets: measures.secrets,
      serverCertificates: measures.serverCertificates,
    }).toEqual({
      roles: { value: 3 },
      users: { value: 2 },
      groups: { value: 1 },
      accessKeys: { value: 2 },
      secrets: { value: 2 },
      serverCertificates: { value: 1 },
    });
  });

  it('computes every measure it defines, and defines every measure it computes', () => {
    const measures = measuresOf({});
    expect(Object.keys(measures).sort()).toEqual([...MEASURE_IDS].sort());
    expect(MEASURES.map((m) => m.id)).toEqual([...MEASURE_IDS]);
  });

  it('counts zero, not nothing, for an account with no identities', () => {
    const measures = measuresOf({});
    expect(measures.roles).toEqual({ value: 0 });
    expect(measures.secrets).toEqual({ value: 0 });
    expect(measures.unusedIdentities).toEqual({ value: 0 });
  });
});

describe('governance measures: partial input', () => {
  const inventory = { roles: [aRole()], accessKeys: [anAccessKey()], secrets: [aSecret()] };
  const cases: {
    name: string;
    gaps?: Parameters<typeof aCoverageGap>[0][];
    unread?: DataSet[];
    partial: string[];
    complete: string[];
  }[] = [
    {
      name: 'a credential report gap: key measures partial, role and secret measures not',
      gaps: [{ source: 'iam:GetCredentialReport', category: 'AccessDenied' }],
      partial: [
        'accessKeys',
        'unusedAccessKeys',
        'keysPastRotation',
        'credentialAgeMeanDays',
        'unusedIdentities',
      ],
      complete: ['roles', 'users', 'unusedRoles', 'secrets', 'secretsWithoutRotation', 'standingAdmin'],
    },
    {
      name: 'secrets not read at all: secret measures partial',
      unread: ['secrets'],
      partial: ['secrets', 'unusedSecrets', 'secretsWithoutRotation', 'credentialAgeMaxDays', 'openHigh'],
      complete: ['roles', 'accessKeys', 'keysPastRotation'],
    },
    {
      name: 'an authorization details gap: roles, users, groups and standing admin partial',
      gaps: [{ source: 'iam:GetAccountAuthorizationDetails', category: 'Throttling' }],
      partial: ['roles', 'users', 'groups', 'standingAdmin', 'unusedRoles', 'openTotal'],
      complete: ['accessKeys', 'secrets', 'credentialAgeMeanDays', 'closedInWindow'],
    },
    {
      name: 'a missing policy document hides permissions, not identities: standing admin and findings partial',
      gaps: [
        {
          arn: 'arn:aws:iam::aws:policy/SecurityAudit',
          source: 'authorization-details.json',
          category: 'Missing',
        },
      ],
      partial: ['standingAdmin', 'openCritical', 'openTotal'],
      complete: ['roles', 'users', 'unusedRoles', 'accessKeys', 'unusedIdentities'],
    },
    {
      name: 'a gap from an unknown source weighs on every data set',
      gaps: [{ source: 'something:Unknown', category: 'Malformed' }],
      partial: ['roles', 'accessKeys', 'secrets', 'serverCertificates', 'openCritical'],
      // The lifecycle figures read the store, not the account.
      complete: ['resolvedInScan', 'closedInWindow'],
    },
    {
      name: 'a complete scan: nothing partial',
      partial: [],
      complete: [...MEASURE_IDS],
    },
  ];
  it.each(cases)('$name', ({ gaps = [], unread = [], partial, complete }) => {
    const measures = measuresOf(inventory, {
      coverage: { gaps: gaps.map((gap) => aCoverageGap(gap)), unread },
    });
    for (const id of partial) expect(measures[id as keyof typeof measures]?.partial, id).toBeDefined();
    for (const id of complete) expect(measures[id as keyof typeof measures]?.partial, id).toBeUndefined();
  });

  it('names the data set that was not fully read, and still counts what was read', () => {
    const measures = measuresOf(inventory, {
      coverage: {
        gaps: [aCoverageGap({ source: 'iam:GetCredentialReport', category: 'AccessDenied' })],
        unread: [],
      },
    });
    expect(measures.accessKeys).toEqual({ value: 1, partial: ['credential-report'] });
    expect(measures.unusedIdentities?.partial).toEqual(['credential-report']);
  });
});

describe('governance measures: standing admin', () => {
  const role = 'arn:aws:iam::111111111111:role/deploy';
  const user = 'arn:aws:iam::111111111111:user/ops';
  const admin = (resourceArn: string, resourceType: 'role' | 'user' | 'group', extra = {}) =>
    aFinding({ ruleId: 'standing-admin', resourceArn, resourceType, ...extra });
  const cases = [
    { name: 'no finding: none', findings: [], expected: { value: 0 } },
    {
      name: 'one role and one user',
      findings: [admin(role, 'role'), admin(user, 'user')],
      expected: { value: 2 },
    },
    {
      name: 'a group is not an identity: its users have findings of their own',
      findings: [admin('arn:aws:iam::111111111111:group/admins', 'group'), admin(user, 'user')],
      expected: { value: 1 },
    },
    {
      name: 'a suppressed finding still counts: the exemption does not remove the privilege',
      findings: [
        admin(role, 'role', { suppression: { reason: 'break-glass', owner: 'sec', expires: '2027-01-01' } }),
      ],
      expected: { value: 1 },
    },
    {
      name: 'other rules do not count',
      findings: [aFinding({ ruleId: 'privilege-escalation', resourceArn: role, resourceType: 'role' })],
      expected: { value: 0 },
    },
    {
      name: 'an identity the rule threw on makes the count partial',
      findings: [admin(role, 'role'), admin(user, 'user', { result: 'error' })],
      expected: { value: 1, partial: ['1 identity could not be evaluated'] },
    },
  ];
  it.each(cases)('$name', ({ findings, expected }) => {
    expect(measuresOf({}, { findings }).standingAdmin).toEqual(expected);
  });

  it('has no value when the standing-admin rule is disabled: not measured is not zero', () => {
    expect(measuresOf({}, { disabledRules: ['standing-admin'] }).standingAdmin).toEqual({
      note: 'the standing-admin rule is disabled',
    });
  });
});

describe('governance measures: unused identities and rotation (defaults: roles 90, keys 45, secrets 90 days)', () => {
  const cases: {
    name: string;
    inventory: Partial<Omit<Inventory, 'accountId'>>;
    id: MeasureId;
    value: number;
  }[] = [
    { name: 'role used yesterday', inventory: { roles: [aRole()] }, id: 'unusedRoles', value: 0 },
    {
      name: 'role idle exactly the window',
      inventory: { roles: [aRole({ lastUsedAt: daysAgo(90) })] },
      id: 'unusedRoles',
      value: 1,
    },
    {
      name: 'role idle one day less than the window',
      inventory: { roles: [aRole({ lastUsedAt: daysAgo(89) })] },
      id: 'unusedRoles',
      value: 0,
    },
    {
      name: 'role never used, older than the window',
      inventory: { roles: [aRole({ lastUsedAt: undefined })] },
      id: 'unusedRoles',
      value: 1,
    },
    {
      name: 'role never used, younger than the window (grace)',
      inventory: { roles: [aRole({ lastUsedAt: undefined, createdAt: daysAgo(10) })] },
      id: 'unusedRoles',
      value: 0,
    },
    {
      name: 'service-linked role never used',
      inventory: { roles: [aRole({ path: '/aws-service-role/', lastUsedAt: undefined })] },
      id: 'unusedRoles',
      value: 0,
    },
    {
      name: 'key never used, created before the window',
      inventory: { accessKeys: [anAccessKey({ lastUsedAt: undefined, createdAt: daysAgo(60) })] },
      id: 'unusedAccessKeys',
      value: 1,
    },
    {
      name: 'key never used, created inside the window',
      inventory: { accessKeys: [anAccessKey({ lastUsedAt: undefined, createdAt: daysAgo(44) })] },
      id: 'unusedAccessKeys',
      value: 0,
    },
    {
      name: 'inactive key never used',
      inventory: {
        accessKeys: [anAccessKey({ active: false, lastUsedAt: undefined, createdAt: daysAgo(300) })],
      },
      id: 'unusedAccessKeys',
      value: 0,
    },
    {
      name: 'secret not accessed for 120 days',
      inventory: { secrets: [aSecret({ lastAccessedAt: daysAgo(120) })] },
      id: 'unusedSecrets',
      value: 1,
    },
    {
      name: 'unused role, key and secret together',
      inventory: {
        roles: [aRole({ lastUsedAt: daysAgo(200) })],
        accessKeys: [anAccessKey({ lastUsedAt: daysAgo(100), createdAt: daysAgo(300) })],
        secrets: [aSecret({ lastAccessedAt: daysAgo(120) })],
      },
      id: 'unusedIdentities',
      value: 3,
    },
    {
      name: 'key exactly as old as the rotation window',
      inventory: { accessKeys: [anAccessKey({ createdAt: daysAgo(90) })] },
      id: 'keysPastRotation',
      value: 1,
    },
    {
      name: 'key one day younger than the rotation window',
      inventory: { accessKeys: [anAccessKey({ createdAt: daysAgo(89) })] },
      id: 'keysPastRotation',
      value: 0,
    },
    {
      name: 'old inactive key: not counted',
      inventory: { accessKeys: [anAccessKey({ active: false, createdAt: daysAgo(400) })] },
      id: 'keysPastRotation',
      value: 0,
    },
    {
      name: 'secrets with and without rotation',
      inventory: {
        secrets: [
          aSecret(),
          aSecret({ name: 'b', rotationEnabled: false }),
          aSecret({ name: 'c', rotationEnabled: false }),
        ],
      },
      id: 'secretsWithoutRotation',
      value: 2,
    },
    { name: 'no secrets', inventory: {}, id: 'secretsWithoutRotation', value: 0 },
  ];
  it.each(cases)('$name: $id = $value', ({ inventory, id, value }) => {
    expect(measuresOf(inventory)[id]).toEqual({ value });
  });

  it('follows the configured windows', () => {
    const measures = measuresOf(
      { roles: [aRole({ lastUsedAt: daysAgo(40) })], accessKeys: [anAccessKey({ createdAt: daysAgo(40) })] },
      { thresholds: { ...DEFAULT_SETTINGS.thresholds, roleUnusedDays: 30, accessKeyRotationDays: 30 } },
    );
    expect(measures.unusedRoles).toEqual({ value: 1 });
    expect(measures.keysPastRotation).toEqual({ value: 1 });
  });
});

describe('governance measures: credential age', () => {
  const cases = [
    {
      name: 'active keys since creation, secrets since rotation',
      inventory: {
        accessKeys: [
          anAccessKey({ createdAt: daysAgo(100) }),
          anAccessKey({ slot: 2 as const, createdAt: daysAgo(20) }),
        ],
        secrets: [aSecret({ lastRotatedAt: daysAgo(30) })],
      },
      mean: { value: 50 },
      max: { value: 100 },
    },
    {
      name: 'a never-rotated secret ages from its creation; inactive keys do not count',
      inventory: {
        accessKeys: [anAccessKey({ active: false, createdAt: daysAgo(900) })],
        secrets: [aSecret({ lastRotatedAt: undefined, createdAt: daysAgo(400) })],
      },
      mean: { value: 400 },
      max: { value: 400 },
    },
    {
      name: 'fractional days are kept to one decimal',
      inventory: { accessKeys: [anAccessKey({ createdAt: new Date(NOW.getTime() - 1.26 * DAY_MS) })] },
      mean: { value: 1.3 },
      max: { value: 1.3 },
    },
    {
      name: 'no credentials: no value, and it says why',
      inventory: {},
      mean: { note: 'no dated credentials' },
      max: { note: 'no dated credentials' },
    },
    {
      name: 'a key without a creation date: the others are measured, flagged partial',
      inventory: {
        accessKeys: [
          anAccessKey({ createdAt: undefined }),
          anAccessKey({ slot: 2 as const, createdAt: daysAgo(10) }),
        ],
      },
      mean: { value: 10, partial: ['1 credential without a date'] },
      max: { value: 10, partial: ['1 credential without a date'] },
    },
  ];
  it.each(cases)('$name', ({ inventory, mean, max }) => {
    const measures = measuresOf(inventory);
    expect(measures.credentialAgeMeanDays).toEqual(mean);
    expect(measures.credentialAgeMaxDays).toEqual(max);
  });
});

describe('governance measures: open findings and time to remediate', () => {
  const seen = (days: number) => daysAgo(days).toISOString();

  it('counts open findings by severity after the lifecycle: suppressed and resolved ones are not open', () => {
    const findings = [
      aStoredFinding({ id: 'a', severity: 'high' }),
      aStoredFinding({ id: 'b', severity: 'high' }),
      aStoredFinding({ id: 'c', severity: 'critical' }),
      aStoredFinding({ id: 'd', severity: 'high', status: 'suppressed' }),
      aStoredFinding({ id: 'e', severity: 'low', status: 'resolved', resolvedAt: seen(1) }),
    ];
    const measures = measuresOf({}, { lifecycle: { findings } });
    expect([
      measures.openCritical,
      measures.openHigh,
      measures.openMedium,
      measures.openLow,
      measures.openInformational,
      measures.openTotal,
    ]).toEqual([{ value: 1 }, { value: 2 }, { value: 0 }, { value: 0 }, { value: 0 }, { value: 3 }]);
  });

  it('flags open findings partial when stored findings could not be read', () => {
    const measures = measuresOf({}, { lifecycle: { findings: [aStoredFinding()], malformed: 2 } });
    expect(measures.openMedium).toEqual({ value: 1, partial: ['2 stored findings unreadable'] });
  });

  it('measures time to remediate over the findings this scan resolved, from first seen or reopened', () => {
    const resolved = (id: string, from: Partial<StoredFinding>): FindingChange => {
      const before = aStoredFinding({ id, ...from });
      return {
        kind: 'resolved',
        before,
        after: { ...before, status: 'resolved', resolvedAt: NOW.toISOString() },
      };
    };
    const changes = [
      resolved('a', { firstSeenAt: seen(10) }),
      resolved('b', { firstSeenAt: seen(30) }),
      // Reopened 4 days ago: this episode lasted 4 days, not 200.
      resolved('c', { firstSeenAt: seen(200), reopenedAt: seen(4) }),
      { kind: 'opened', after: aStoredFinding({ id: 'd' }) } as FindingChange,
    ];
    const measures = measuresOf({}, { lifecycle: { changes, findings: changes.map((c) => c.after) } });
    expect(measures.resolvedInScan).toEqual({ value: 3 });
    expect(measures.remediationMeanDays).toEqual({ value: 14.7 });
    expect(measures.remediationMedianDays).toEqual({ value: 10 });
  });

  it('says nothing was resolved rather than reporting zero days', () => {
    const measures = measuresOf({});
    expect(measures.resolvedInScan).toEqual({ value: 0 });
    expect(measures.remediationMeanDays).toEqual({ note: 'nothing resolved' });
    expect(measures.remediationMedianDays).toEqual({ note: 'nothing resolved' });
  });

  it('flags the resolutions partial when findings were held on input that was not fully read', () => {
    const measures = measuresOf({}, { lifecycle: { held: 3 } });
    expect(measures.resolvedInScan).toEqual({ value: 0, partial: ['3 findings held'] });
  });

  it('keeps a running figure over findings resolved or remediated within the window', () => {
    const findings = [
      aStoredFinding({ id: 'a', status: 'resolved', firstSeenAt: seen(20), resolvedAt: seen(10) }),
      aStoredFinding({ id: 'b', status: 'remediated', firstSeenAt: seen(50), remediatedAt: seen(20) }),
      aStoredFinding({ id: 'c', status: 'resolved', firstSeenAt: seen(60), resolvedAt: seen(40) }),
      // Resolved before the window: left out.
      aStoredFinding({ id: 'd', status: 'resolved', firstSeenAt: seen(300), resolvedAt: seen(100) }),
      aStoredFinding({ id: 'e', status: 'open', firstSeenAt: seen(300) }),
    ];
    const measures = measuresOf({}, { lifecycle: { findings, windowDays: 90 } });
    expect(measures.closedInWindow).toEqual({ value: 3 });
    expect(measures.remediationMedianDaysInWindow).toEqual({ value: 20 });
    const shorter = measuresOf({}, { lifecycle: { findings, windowDays: 30 } });
    expect(shorter.closedInWindow).toEqual({ value: 2 });
    expect(shorter.remediationMedianDaysInWindow).toEqual({ value: 20 });
  });

  it('applies a scan changes over the stored findings', () => {
    const stored = [aStoredFinding({ id: 'a' }), aStoredFinding({ id: 'b' })];
    const change: FindingChange = {
      kind: 'resolved',
      before: stored[0]!,
      after: { ...stored[0]!, status: 'resolved', resolvedAt: NOW.toISOString() },
    };
    const opened: FindingChange = { kind: 'opened', after: aStoredFinding({ id: 'c' }) };
    expect(findingsAfter(stored, [change, opened]).map((f) => [f.id, f.status])).toEqual([
      ['a', 'resolved'],
      ['b', 'open'],
      ['c', 'open'],
    ]);
  });
});

describe('governance metrics', () => {
  it('publishes the complete measures with a metric, and counts the partial ones it leaves out', () => {
    const governance = computeGovernance(
      input({
        inventory: anInventory({ roles: [aRole()], accessKeys: [anAccessKey({ createdAt: daysAgo(100) })] }),
        coverage: {
          gaps: [aCoverageGap({ source: 'secretsmanager:ListSecrets', category: 'AccessDenied' })],
          unread: [],
        },
      }),
    );
    const metrics = governanceMetrics(governance);
    const byName = Object.fromEntries(metrics.map((m) => [m.name, m]));
    expect(byName.Roles).toEqual({ name: 'Roles', unit: 'Count', value: 1 });
    expect(byName.AccessKeysPastRotation).toEqual({
      name: 'AccessKeysPastRotation',
      unit: 'Count',
      value: 1,
    });
    expect(byName.StandingAdminIdentities?.value).toBe(0);
    // Secrets were not read: their counts, the credential ages and the open findings are left out.
    for (const name of [
      'SecretsWithoutRotation',
      'CredentialAgeMeanDays',
      'OpenFindingsHigh',
      'UnusedIdentities',
    ]) {
      expect(byName[name], name).toBeUndefined();
    }
    const partial = MEASURES.filter((m) => m.metric !== undefined && governance.measures[m.id]?.partial);
    // Unused identities, secrets without rotation, the two ages, the open findings sent as metrics.
    expect(partial.map((m) => m.metric)).toEqual([
      'UnusedIdentities',
      'SecretsWithoutRotation',
      'CredentialAgeMeanDays',
      'CredentialAgeMaxDays',
      'OpenFindingsCritical',
      'OpenFindingsHigh',
      'OpenFindingsMedium',
    ]);
    expect(byName[PARTIAL_MEASURES_METRIC]).toEqual({
      name: PARTIAL_MEASURES_METRIC,
      unit: 'Count',
      value: 7,
    });
    // A measure with nothing to measure (no resolved findings in the window) is not sent as zero.
    expect(byName.RemediationMedianDays).toBeUndefined();
  });

  it('publishes days without a CloudWatch unit (there is none for days) and counts as Count', () => {
    const metrics = governanceMetrics(
      computeGovernance(
        input({ inventory: anInventory({ accessKeys: [anAccessKey({ createdAt: daysAgo(12) })] }) }),
      ),
    );
    expect(metrics.find((m) => m.name === 'CredentialAgeMaxDays')).toEqual({
      name: 'CredentialAgeMaxDays',
      unit: 'None',
      value: 12,
    });
    expect(metrics.find((m) => m.name === PARTIAL_MEASURES_METRIC)?.value).toBe(0);
    expect(new Set(metrics.map((m) => m.name)).size).toBe(metrics.length);
  });

  it('pins the metric names: each is billed per month it is sent', () => {
    expect(MEASURES.flatMap((m) => (m.metric ? [m.metric] : []))).toEqual([
      'Roles',
      'ActiveAccessKeys',
      'StandingAdminIdentities',
      'UnusedIdentities',
      'AccessKeysPastRotation',
      'SecretsWithoutRotation',
      'CredentialAgeMeanDays',
      'CredentialAgeMaxDays',
      'OpenFindingsCritical',
      'OpenFindingsHigh',
      'OpenFindingsMedium',
      'RemediationMedianDays',
    ]);
  });
});
