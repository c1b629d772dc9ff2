import { describe, expect, it } from 'vitest';
import {
  CoverageGapGroups,
  groupCoverageGaps,
  MAX_GAP_PLACES,
  MAX_GAP_RESOURCES,
  placePattern,
} from '../../functions/core/coverage-gaps';
import type { CoverageGap } from '../../functions/core/model';
import { normalize } from '../../functions/core/normalize';
import { EXPORT_FILES } from '../../functions/core/raw';
import { compileCoverage } from '../../functions/core/reconcile';
import { RULES } from '../../functions/core/rules';

const ACCOUNT = '111122223333';
const RULES_FOR_TESTS = RULES.map((rule) => ({ id: rule.meta.id }));
const ACCOUNT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function aGap(overrides: Partial<CoverageGap> = {}): CoverageGap {
  return {
    kind: 'coverage-gap',
    arn: role('r0'),
    accountId: ACCOUNT,
    source: 'authorization-details.json',
    category: 'Malformed',
    detail: '$.RoleDetailList[0].CreateDate',
    reason: 'Role r0 has no CreateDate; the role was not analysed.',
    ...overrides,
  };
}

/** The i-th role's CreateDate gap. */
const createDateGap = (i: number) =>
  aGap({
    arn: role(`r${i}`),
    detail: `$.RoleDetailList[${i}].CreateDate`,
    reason: `Role r${i} has no CreateDate; the role was not analysed.`,
  });

describe('placePattern', () => {
  it.each([
    ['$.RoleDetailList[12].Tags[3]', '$.RoleDetailList[*].Tags[*]'],
    ["$['arn:aws:iam::1:user/a'].JobStatus", '$[*].JobStatus'],
    ["$['it\\'s'].SecretList[0]", '$[*].SecretList[*]'],
    ['line 7', 'line *'],
    ['line 3, column 1', 'line *, column *'],
    ['eu-west-1', 'eu-west-1'],
    ['job-cap', 'job-cap'],
  ])('%s -> %s', (place, pattern) => {
    expect(placePattern(place)).toBe(pattern);
  });
});

describe('groupCoverageGaps', () => {
  it('keeps a gap seen once as it is', () => {
    const gap = aGap();
    expect(groupCoverageGaps([gap], ACCOUNT_ARN)).toEqual([gap]);
  });

  it('makes one gap per problem, with its count, first places and resources', () => {
    const gaps = Array.from({ length: 8 }, (_, i) => createDateGap(i));
    const [grouped, ...rest] = groupCoverageGaps(gaps, ACCOUNT_ARN);
    expect(rest).toEqual([]);
    expect(grouped).toEqual({
      kind: 'coverage-gap',
      arn: ACCOUNT_ARN,
      accountId: ACCOUNT,
      source: 'authorization-details.json',
      category: 'Malformed',
      detail: '$.RoleDetailList[*].CreateDate',
      reason: 'Role r0 has no CreateDate; the role was not analysed.',
      count: 8,
      places: Array.from({ length: MAX_GAP_PLACES }, (_, i) => `$.RoleDetailList[${i}].CreateDate`),
      resources: Array.from({ length: 8 }, (_, i) => role(`r${i}`)),
      resourcesOverflow: false,
    });
  });

  it('is about the one resource when every occurrence touches it', () => {
    const gaps = [
      aGap({ detail: '$.RoleDetailList[0].Tags[1]' }),
      aGap({ detail: '$.RoleDetailList[0].Tags[4]' }),
    ];
    expect(groupCoverageGaps(gaps, ACCOUNT_ARN)).toEqual([
      expect.objectContaining({ arn: role('r0'), count: 2, resources: [role('r0')] }),
    ]);
  });

  it('keeps different sources, categories, place patterns and declared problems apart', () => {
    const groups = new CoverageGapGroups();
    groups.add(createDateGap(0));
    groups.add(createDateGap(1));
    groups.add(aGap({ source: 'credential-report.csv', detail: 'line 3' }));
    groups.add(aGap({ category: 'Missing' }));
    groups.add(aGap({ detail: '$.RoleDetailList[0].RoleLastUsed' }));
    groups.add(aGap({ detail: '$.RoleDetailList[5].CreateDate' }), 'no CreateDate');
    groups.add(aGap({ source: 'secretsmanager:ListSecrets', detail: 'eu-west-1' }));
    groups.add(aGap({ source: 'secretsmanager:ListSecrets', detail: 'us-east-1' }));
    expect(
      groups.list(ACCOUNT_ARN).map((gap) => [gap.source, gap.category, gap.detail, gap.count ?? 1]),
    ).toEqual([
      ['authorization-details.json', 'Malformed', '$.RoleDetailList[*].CreateDate', 2],
      ['credential-report.csv', 'Malformed', 'line 3', 1],
      ['authorization-details.json', 'Missing', '$.RoleDetailList[0].CreateDate', 1],
      ['authorization-details.json', 'Malformed', '$.RoleDetailList[0].RoleLastUsed', 1],
      ['authorization-details.json', 'Malformed', '$.RoleDetailList[5].CreateDate', 1],
      ['secretsmanager:ListSecrets', 'Malformed', 'eu-west-1', 1],
      ['secretsmanager:ListSecrets', 'Malformed', 'us-east-1', 1],
    ]);
  });

  it('groups gaps without a place (a denied call per user) by operation and category', () => {
    const users = ['a', 'b', 'c'].map((name) => `arn:aws:iam::${ACCOUNT}:user/${name}`);
    const gaps = users.map((arn) =>
      aGap({ arn, source: 'iam:ListAccessKeys', category: 'AccessDenied', detail: undefined }),
    );
    expect(groupCoverageGaps(gaps, ACCOUNT_ARN)).toEqual([
      expect.objectContaining({ source: 'iam:ListAccessKeys', count: 3, places: [], resources: users }),
    ]);
  });

  it('keeps at most MAX_GAP_RESOURCES resources and then marks the list as overflowed', () => {
    const gaps = Array.from({ length: MAX_GAP_RESOURCES + 5 }, (_, i) => createDateGap(i));
    const [grouped] = groupCoverageGaps(gaps, ACCOUNT_ARN);
    expect(grouped!.count).toBe(MAX_GAP_RESOURCES + 5);
    expect(grouped!.resources).toHaveLength(MAX_GAP_RESOURCES);
    expect(grouped!.resourcesOverflow).toBe(true);
    expect(grouped!.arn).toBe(ACCOUNT_ARN);
  });

  it('merges gaps that are already grouped, adding their counts', () => {
    const first = groupCoverageGaps([createDateGap(0), createDateGap(1)], ACCOUNT_ARN);
    const second = groupCoverageGaps([createDateGap(2), createDateGap(3), createDateGap(4)], ACCOUNT_ARN);
    const [merged] = groupCoverageGaps([...first, ...second], ACCOUNT_ARN);
    expect(merged).toMatchObject({ count: 5, resources: [0, 1, 2, 3, 4].map((i) => role(`r${i}`)) });
  });
});

describe('grouped gaps and the store: exactly the touched resources are held', () => {
  const finding = (ruleId: string, resourceType: 'role' | 'secret', resourceArn: string) => ({
    ruleId,
    resourceType,
    resourceArn,
  });
  const roleFinding = (name: string) => finding('role-unused', 'role', role(name));
  const secretFinding = finding(
    'secret-rotation-disabled',
    'secret',
    `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`,
  );

  it('holds the findings of every resource a grouped gap touches, and no other', () => {
    const gaps = groupCoverageGaps([createDateGap(0), createDateGap(1), createDateGap(2)], ACCOUNT_ARN);
    const coverage = compileCoverage({ rules: RULES_FOR_TESTS, gaps });
    expect(coverage.unverified(roleFinding('r0'))).toContain('$.RoleDetailList[*].CreateDate');
    expect(coverage.unverified(roleFinding('r2'))).toBeDefined();
    expect(coverage.unverified(roleFinding('r3'))).toBeUndefined();
    expect(coverage.unverified(secretFinding)).toBeUndefined();
  });

  it('holds the whole data set, and only it, once the resource list overflowed', () => {
    const gaps = groupCoverageGaps(
      Array.from({ length: MAX_GAP_RESOURCES + 1 }, (_, i) => createDateGap(i)),
      ACCOUNT_ARN,
    );
    const coverage = compileCoverage({ rules: RULES_FOR_TESTS, gaps });
    expect(coverage.unverified(roleFinding('never-named'))).toContain('authorization-details.json');
    expect(coverage.unverified(secretFinding)).toBeUndefined();
  });

  it('holds the whole data set when one occurrence is about the whole account', () => {
    const gaps = groupCoverageGaps(
      [createDateGap(0), aGap({ arn: ACCOUNT_ARN, detail: '$.RoleDetailList[9].CreateDate' })],
      ACCOUNT_ARN,
    );
    const coverage = compileCoverage({ rules: RULES_FOR_TESTS, gaps });
    expect(coverage.unverified(roleFinding('other'))).toBeDefined();
    expect(coverage.unverified(secretFinding)).toBeUndefined();
  });

  it('holds every principal when one touched resource is a managed policy', () => {
    const gaps = groupCoverageGaps(
      [
        createDateGap(0),
        aGap({ arn: `arn:aws:iam::${ACCOUNT}:policy/Deploy`, detail: '$.RoleDetailList[3].CreateDate' }),
      ],
      ACCOUNT_ARN,
    );
    expect(compileCoverage({ rules: RULES_FOR_TESTS, gaps }).unverified(roleFinding('other'))).toBeDefined();
  });
});

describe('normalize groups malformed records', () => {
  it('reports many malformed role records as one gap per problem, with counts and resources', () => {
    const records: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      records.push({ Arn: role(`r${i}`) }, { RoleName: 1 }, 7);
    }
    const inventory = normalize({
      sources: { ...EXPORT_FILES },
      authorizationDetails: [
        { RoleDetailList: records, UserDetailList: [], GroupDetailList: [], Policies: [] },
      ],
      authorizationDetailsShape: 'object',
      account: { AccountId: ACCOUNT },
      coverageGaps: [],
    });
    expect(inventory.roles).toEqual([]);
    expect(
      inventory.coverageGaps
        .filter((gap) => gap.source === EXPORT_FILES.authorizationDetails)
        .map((gap) => ({
          detail: gap.detail,
          count: gap.count,
          places: gap.places?.slice(0, 2),
          resources: gap.resources?.length,
          overflow: gap.resourcesOverflow,
        })),
    ).toEqual([
      {
        detail: '$.RoleDetailList[*].RoleName',
        count: 600,
        places: ['$.RoleDetailList[0].RoleName', '$.RoleDetailList[1].RoleName'],
        // 300 roles named by their Arn, and the account for the records without one.
        resources: 301,
        overflow: false,
      },
      {
        detail: '$.RoleDetailList[*]',
        count: 300,
        places: ['$.RoleDetailList[2]', '$.RoleDetailList[5]'],
        resources: 1,
        overflow: false,
      },
    ]);
  });
});
