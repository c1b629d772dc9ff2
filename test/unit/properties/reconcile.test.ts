/**
 * Properties of reconcile over random sequences of scans: each scan sees a random subset of a
 * small universe of findings, reads a random subset of its data sets (some unread, some with a
 * failed read for the whole account, some with a gap on one resource or on a policy every holder
 * depends on), a finding may be exempted (for good, until a time inside the sequence, or with an
 * exemption already over), and between scans a finding may be remediated. A model written here from the
 * lifecycle rules says what each stored record must be after every scan.
 *
 * The rules that matter: a finding is resolved only when it is absent and every input it depends
 * on was fully read; a finding is never stored twice; a finding that comes back is reopened with
 * its history; a remediated finding reopens only on data newer than the remediation; an exemption
 * that ends while its finding cannot be checked opens the finding again.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Finding, findingId, type Suppression } from '../../../functions/core/finding';
import type { StoredFinding } from '../../../functions/core/lifecycle';
import type { ResourceKind } from '../../../functions/core/model';
import {
  COVERAGE_GAP_RULE,
  type CoverageGapRef,
  DATA_SETS,
  type DataSet,
  reconcile,
} from '../../../functions/core/reconcile';
import type { Severity } from '../../../functions/core/rule';

const ACCOUNT = '111122223333';
const ROLE_A = `arn:aws:iam::${ACCOUNT}:role/a`;
const ROLE_B = `arn:aws:iam::${ACCOUNT}:role/b`;
const USER = `arn:aws:iam::${ACCOUNT}:user/u`;
const SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:s-AbCdEf`;
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/shared`;

/** A finding of the universe and the data sets its rule reads, as the rules are documented. */
interface Spec {
  ruleId: string;
  resourceType: ResourceKind;
  resourceArn: string;
  subResource?: string;
  inputs: readonly DataSet[];
  /** For a coverage gap finding: the data set whose read it reports. */
  gapOf?: DataSet;
}

const UNIVERSE: readonly Spec[] = [
  { ruleId: 'role-unused', resourceType: 'role', resourceArn: ROLE_A, inputs: ['authorization-details'] },
  { ruleId: 'role-unused', resourceType: 'role', resourceArn: ROLE_B, inputs: ['authorization-details'] },
  {
    ruleId: 'password-unused',
    resourceType: 'user',
    resourceArn: USER,
    inputs: ['authorization-details', 'credential-report'],
  },
  {
    ruleId: 'access-key-unused',
    resourceType: 'access-key',
    resourceArn: USER,
    subResource: 'AKIAEXAMPLEKEY000001',
    inputs: ['credential-report', 'access-keys'],
  },
  {
    ruleId: 'unused-service-permissions',
    resourceType: 'role',
    resourceArn: ROLE_A,
    subResource: 's3',
    inputs: ['authorization-details', 'service-last-accessed'],
  },
  {
    ruleId: 'trust-wildcard-principal',
    resourceType: 'role',
    resourceArn: ROLE_B,
    inputs: ['authorization-details', 'organization'],
  },
  {
    ruleId: 'secret-policy-public',
    resourceType: 'secret',
    resourceArn: SECRET,
    inputs: ['secrets', 'secret-policies', 'organization'],
  },
  {
    ruleId: COVERAGE_GAP_RULE,
    resourceType: 'coverage-gap',
    resourceArn: USER,
    subResource: 'iam:ListAccessKeys',
    inputs: [],
    gapOf: 'access-keys',
  },
];

const RULE_IDS = [...new Set(UNIVERSE.map((spec) => spec.ruleId))];

/** One source (API operation) per data set, for the gaps the scans record. */
const SOURCES: Partial<Record<DataSet, string>> = {
  'authorization-details': 'iam:GetAccountAuthorizationDetails',
  'credential-report': 'iam:GetCredentialReport',
  'access-keys': 'iam:ListAccessKeys',
  secrets: 'secretsmanager:ListSecrets',
  'secret-policies': 'secretsmanager:GetResourcePolicy',
  'service-last-accessed': 'iam:GetServiceLastAccessedDetails',
  organization: 'organizations:DescribeOrganization',
};
const GAP_DATA_SETS = Object.keys(SOURCES) as DataSet[];

/** A data set read only after another one succeeded is unread when that one is. */
const PREREQUISITE: Partial<Record<DataSet, DataSet>> = {
  'access-keys': 'credential-report',
  'secret-policies': 'secrets',
  'service-last-accessed': 'authorization-details',
};

const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

const idOf = (spec: Spec) => findingId(ACCOUNT, spec.ruleId, spec.resourceArn, spec.subResource);

function aFinding(spec: Spec, severity: Severity, exemption: Suppression | undefined): Finding {
  return {
    id: idOf(spec),
    ruleId: spec.ruleId,
    title: spec.ruleId,
    severity,
    baseSeverity: severity,
    resourceType: spec.resourceType,
    resourceArn: spec.resourceArn,
    ...(spec.subResource ? { subResource: spec.subResource } : {}),
    accountId: ACCOUNT,
    reason: `${spec.ruleId} fails on ${spec.resourceArn}.`,
    evidence: {},
    compliance: [],
    remediation: { summary: 'Fix it.' },
    result: 'fail',
    riskScore: 100,
    ...(exemption ? { suppression: exemption } : {}),
  };
}

// ----------------------------------------------------------------------------------- scan inputs

type Gap =
  | { kind: 'account'; dataSet: DataSet }
  | { kind: 'resource'; dataSet: DataSet; arn: string }
  /** A managed policy that could not be read hides permissions of every principal holding it. */
  | { kind: 'policy' };

interface Scan {
  /** Index into UNIVERSE, severity and exemption of each finding this scan produces, in the engine's order. */
  failing: [number, Severity, Suppression | undefined][];
  unread: DataSet[];
  gaps: Gap[];
  /** Rules the scan evaluated (a rule may be disabled for one scan). */
  rules: string[];
  /** Between this scan and the next: remediate the open finding at this index, this many minutes later. */
  remediate?: { index: number; minutesLater: number };
}

const gap: fc.Arbitrary<Gap> = fc.oneof(
  fc.record({ kind: fc.constant('account' as const), dataSet: fc.constantFrom(...GAP_DATA_SETS) }),
  fc.record({
    kind: fc.constant('resource' as const),
    dataSet: fc.constantFrom(...GAP_DATA_SETS),
    arn: fc.constantFrom(ROLE_A, ROLE_B, USER, SECRET),
  }),
  fc.constant({ kind: 'policy' as const }),
);

/** Exemptions: none (most often), one that lasts, one that ends during the sequence, one already over. */
const suppression: fc.Arbitrary<Suppression | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.record({
      reason: fc.constantFrom('accepted risk', 'migration'),
      owner: fc.constant('team@example.com'),
      expires: fc.constantFrom('2027-01-01', '2026-01-01T05:30:00Z', '2025-12-31'),
    }),
  },
);

const scan: fc.Arbitrary<Scan> = fc.record(
  {
    // The same finding may come out twice (two evaluations of one rule): the first one counts.
    failing: fc.array(
      fc.tuple(fc.nat(UNIVERSE.length - 1), fc.constantFrom<Severity>('medium', 'high'), suppression),
      {
        maxLength: UNIVERSE.length,
      },
    ),
    // Most scans read everything: the interesting sequences alternate full and partial reads.
    unread: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as DataSet[]) },
      { weight: 1, arbitrary: fc.subarray([...DATA_SETS], { maxLength: 3 }) },
    ),
    gaps: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as Gap[]) },
      { weight: 1, arbitrary: fc.array(gap, { minLength: 1, maxLength: 3 }) },
    ),
    rules: fc.oneof(
      { weight: 4, arbitrary: fc.constant(RULE_IDS) },
      { weight: 1, arbitrary: fc.subarray(RULE_IDS, { minLength: RULE_IDS.length - 1 }) },
    ),
    remediate: fc.record({
      index: fc.nat(UNIVERSE.length - 1),
      minutesLater: fc.integer({ min: 1, max: 120 }),
    }),
  },
  { requiredKeys: ['failing', 'unread', 'gaps', 'rules'] },
);

function gapRef(g: Gap): CoverageGapRef {
  switch (g.kind) {
    case 'account':
      return { arn: '', source: SOURCES[g.dataSet]!, category: 'AccessDenied' };
    case 'resource':
      return { arn: g.arn, source: SOURCES[g.dataSet]!, category: 'AccessDenied' };
    case 'policy':
      return { arn: POLICY, source: SOURCES['authorization-details']!, category: 'Malformed' };
  }
}

// ----------------------------------------------------------------------------------------- model

/** Did the scan read everything the finding depends on, so that its absence means it passes? */
function fullyRead(spec: Spec, s: Scan, extra: readonly DataSet[] = []): boolean {
  if (!s.rules.includes(spec.ruleId)) return false;
  const unread = new Set(s.unread);
  for (const [dataSet, prerequisite] of Object.entries(PREREQUISITE)) {
    if (unread.has(prerequisite)) unread.add(dataSet as DataSet);
  }
  if (spec.gapOf) {
    // A gap is fixed when its read, and the read it depends on, were done again and did not fail.
    const prerequisite = PREREQUISITE[spec.gapOf];
    const reads = prerequisite ? [spec.gapOf, prerequisite] : [spec.gapOf];
    return reads.every(
      (read) => !unread.has(read) && !s.gaps.some((g) => g.kind === 'account' && g.dataSet === read),
    );
  }
  const inputs = new Set([...spec.inputs, ...extra]);
  for (const input of inputs) if (unread.has(input)) return false;
  for (const g of s.gaps) {
    if (g.kind === 'policy' && inputs.has('authorization-details')) return false;
    if (g.kind === 'account' && inputs.has(g.dataSet)) return false;
    if (g.kind === 'resource' && g.arn === spec.resourceArn && inputs.has(g.dataSet)) return false;
  }
  return true;
}

interface ModelRecord {
  status: StoredFinding['status'];
  severity: Severity;
  reopenCount: number;
  firstSeenScanId: string;
  remediatedAt?: number;
  suppression?: Suppression;
}

const HOUR = 3_600_000;
const START = Date.parse('2026-01-01T00:00:00.000Z');

function sameSuppression(a: Suppression | undefined, b: Suppression | undefined): boolean {
  return a?.reason === b?.reason && a?.owner === b?.owner && a?.expires === b?.expires;
}

/** An exemption given as a date lasts through that day. */
function expiry(suppression: Suppression): number {
  const { expires } = suppression;
  return expires.length === 10 ? Date.parse(`${expires}T00:00:00Z`) + 86_400_000 : Date.parse(expires);
}

function scanIdOf(k: number): string {
  return `scan-${String(k).padStart(3, '0')}`;
}

/** Runs the scans through reconcile, checking each against the model; returns nothing, throws on a violation. */
function runScans(scans: readonly Scan[]): void {
  const store = new Map<string, StoredFinding>();
  const model = new Map<string, ModelRecord>();

  scans.forEach((s, k) => {
    const asOf = START + k * HOUR;
    const scanId = scanIdOf(k);
    const current = s.failing.map(([i, severity, exemption]) => aFinding(UNIVERSE[i]!, severity, exemption));
    const result = reconcile(current, [...store.values()], {
      scanId,
      now: new Date(asOf + 60_000),
      asOf: new Date(asOf),
      ttlDays: 30,
      coverage: {
        rules: s.rules.map((id) => ({ id })),
        gaps: s.gaps.map(gapRef),
        unread: s.unread,
      },
    });

    // One change per finding, each computed from the record as stored, under the finding's one id.
    const changed = result.changes.map((c) => c.after.id);
    expect(new Set(changed).size).toBe(changed.length);
    for (const change of result.changes) {
      expect(change.before).toEqual(store.get(change.after.id));
      const { accountId, ruleId, resourceArn, subResource } = change.after;
      expect(change.after.id).toBe(findingId(accountId, ruleId, resourceArn, subResource));
      store.set(change.after.id, change.after);
    }

    // The model's view of the same scan.
    const expectedHeld: string[] = [];
    UNIVERSE.forEach((spec, i) => {
      const id = idOf(spec);
      const before = model.get(id);
      const found = s.failing.find(([index]) => index === i);
      if (found) {
        const [, severity, exemption] = found;
        const target = exemption ? 'suppressed' : 'open';
        const fresh = { status: target, severity, ...(exemption ? { suppression: exemption } : {}) } as const;
        if (!before) {
          model.set(id, { ...fresh, reopenCount: 0, firstSeenScanId: scanId });
        } else if (before.status === 'resolved' || before.status === 'remediated') {
          // Data collected before a verified change still shows the old state.
          if (before.status === 'resolved' || asOf > before.remediatedAt!) {
            model.set(id, {
              reopenCount: before.reopenCount + 1,
              firstSeenScanId: before.firstSeenScanId,
              ...fresh,
            });
          }
        } else if (before.status !== target || !sameSuppression(before.suppression, exemption)) {
          // Exempted, no longer exempted, or exempted differently: the record takes the fresh finding.
          model.set(id, {
            reopenCount: before.reopenCount,
            firstSeenScanId: before.firstSeenScanId,
            ...fresh,
          });
        } else if (severity !== before.severity) {
          const lower = SEVERITY_ORDER.indexOf(severity) < SEVERITY_ORDER.indexOf(before.severity);
          // A lower severity may only mean the policies that raised it were not read.
          if (!lower || fullyRead(spec, s, ['authorization-details'])) model.set(id, { ...before, severity });
        }
      } else if (before?.status === 'open' || before?.status === 'suppressed') {
        if (fullyRead(spec, s)) {
          model.set(id, { ...before, status: 'resolved' });
        } else {
          expectedHeld.push(id);
          // An exemption that ended while the finding could not be checked: it is open again.
          if (before.status === 'suppressed' && expiry(before.suppression!) <= asOf) {
            const { suppression: _ended, ...rest } = before;
            model.set(id, { ...rest, status: 'open' });
          }
        }
      }
    });

    expect(result.held.map((h) => h.id).sort()).toEqual(expectedHeld.sort());
    for (const change of result.changes) {
      if (change.kind !== 'resolved') continue;
      const spec = UNIVERSE.find((u) => idOf(u) === change.after.id)!;
      // Never resolve what this scan did not fully read, nor what it still saw failing.
      expect(fullyRead(spec, s)).toBe(true);
      expect(current.some((f) => f.id === change.after.id)).toBe(false);
      expect(change.after.resolvedScanId).toBe(scanId);
    }
    expect(store.size).toBe(model.size);
    for (const [id, expected] of model) {
      const actual = store.get(id);
      expect(actual, `finding ${id} after ${scanId}`).toBeDefined();
      expect({
        status: actual!.status,
        severity: actual!.severity,
        reopenCount: actual!.reopenCount,
        firstSeenScanId: actual!.firstSeenScanId,
        suppression: actual!.suppression,
      }).toEqual({
        status: expected.status,
        severity: expected.severity,
        reopenCount: expected.reopenCount,
        firstSeenScanId: expected.firstSeenScanId,
        suppression: expected.suppression,
      });
      if (actual!.status !== 'resolved') expect(actual!.resolvedAt).toBeUndefined();
    }

    // Between scans: the remediation function verifies a change on an open finding.
    if (s.remediate) {
      const spec = UNIVERSE[s.remediate.index]!;
      const id = idOf(spec);
      const record = store.get(id);
      if (record?.status === 'open') {
        const at = asOf + s.remediate.minutesLater * 60_000;
        store.set(id, {
          ...record,
          status: 'remediated',
          remediatedAt: new Date(at).toISOString(),
          remediationRequestId: `request-${k}`,
          version: record.version + 1,
        });
        model.set(id, { ...model.get(id)!, status: 'remediated', remediatedAt: at });
      }
    }
  });
}

describe('reconcile over random sequences of scans', () => {
  it('resolves only what was fully read and absent, never stores a finding twice, and reopens what comes back', () => {
    fc.assert(
      fc.property(fc.array(scan, { minLength: 1, maxLength: 12 }), (scans) => runScans(scans)),
      { numRuns: 400 },
    );
  });

  it('resolves nothing in a scan that read nothing', () => {
    fc.assert(
      fc.property(fc.array(scan, { minLength: 1, maxLength: 6 }), (scans) => {
        const nothingRead: Scan = { failing: [], unread: [...DATA_SETS], gaps: [], rules: RULE_IDS };
        runScans([...scans, nothingRead]);
      }),
      { numRuns: 200 },
    );
  });
});
