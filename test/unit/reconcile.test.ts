import { describe, expect, it } from 'vitest';
import { type Finding, findingId } from '../../functions/core/finding';
import type { FindingChange, StoredFinding } from '../../functions/core/lifecycle';
import {
  type CoverageGapRef,
  dataSetOfSource,
  inputsOf,
  type ReconcileOptions,
  reconcile,
  type ScanCoverage,
  withPrerequisites,
} from '../../functions/core/reconcile';
import { RULES } from '../../functions/core/rules';

const ACCOUNT = '111122223333';
const ACCOUNT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
const NOW = new Date('2024-06-01T12:00:00.000Z');
const EARLIER = '2024-05-01T12:00:00.000Z';
const ALL_RULES: ScanCoverage['rules'] = RULES.map((rule) => ({ id: rule.meta.id }));

function aFinding(overrides: Partial<Finding> = {}): Finding {
  const ruleId = overrides.ruleId ?? 'role-unused';
  const resourceArn = overrides.resourceArn ?? `arn:aws:iam::${ACCOUNT}:role/ci`;
  return {
    id: findingId(ACCOUNT, ruleId, resourceArn, overrides.subResource),
    ruleId,
    title: 'Roles are used within the unused-role window',
    severity: 'medium',
    baseSeverity: 'medium',
    resourceType: 'role',
    resourceArn,
    accountId: ACCOUNT,
    reason: 'Role ci was last used 120 days ago.',
    evidence: { idleDays: 120 },
    compliance: [{ framework: 'owasp-nhi-2025', control: 'NHI1' }],
    remediation: { summary: 'Delete the role.', action: 'quarantine-role' },
    result: 'fail',
    riskScore: 310,
    ...overrides,
  };
}

function stored(finding: Finding, overrides: Partial<StoredFinding> = {}): StoredFinding {
  return {
    ...finding,
    status: 'open',
    firstSeenAt: EARLIER,
    firstSeenScanId: '20240501T120000.000Z-aaaa0001',
    lastChangedAt: EARLIER,
    lastChangedScanId: '20240501T120000.000Z-aaaa0001',
    reopenCount: 0,
    version: 1,
    ...overrides,
  };
}

function options(overrides: Partial<ReconcileOptions> = {}): ReconcileOptions {
  return {
    scanId: '20240601T120000.000Z-bbbb0002',
    now: NOW,
    asOf: NOW,
    ttlDays: 30,
    coverage: { rules: ALL_RULES, gaps: [] },
    ...overrides,
  };
}

function gap(overrides: Partial<CoverageGapRef> = {}): CoverageGapRef {
  return {
    arn: ACCOUNT_ARN,
    source: 'iam:GetAccountAuthorizationDetails',
    category: 'AccessDenied',
    ...overrides,
  };
}

const kinds = (changes: FindingChange[]) => changes.map((change) => change.kind);

describe('reconcile', () => {
  it('opens a finding seen for the first time, with version 1 and first-seen fields', () => {
    const finding = aFinding();
    const result = reconcile([finding], [], options());
    expect(kinds(result.changes)).toEqual(['opened']);
    const [change] = result.changes;
    expect(change!.before).toBeUndefined();
    expect(change!.after).toMatchObject({
      id: finding.id,
      status: 'open',
      firstSeenAt: NOW.toISOString(),
      firstSeenScanId: '20240601T120000.000Z-bbbb0002',
      lastChangedScanId: '20240601T120000.000Z-bbbb0002',
      reopenCount: 0,
      version: 1,
    });
    expect(change!.after.ttl).toBeUndefined();
    expect(result.unchanged).toBe(0);
  });

  it('dates sightings by the data (as-of) and writes by the scan time', () => {
    const asOf = new Date('2024-05-20T00:00:00.000Z');
    const [opened] = reconcile([aFinding()], [], options({ asOf })).changes;
    expect(opened!.after.firstSeenAt).toBe(asOf.toISOString());
    expect(opened!.after.lastChangedAt).toBe(NOW.toISOString());
    const [resolved] = reconcile([], [stored(aFinding())], options({ asOf, ttlDays: 1 })).changes;
    expect(resolved!.after.resolvedAt).toBe(asOf.toISOString());
    expect(resolved!.after.ttl).toBe(NOW.getTime() / 1000 + 86_400);
  });

  it('writes nothing for a finding that still fails the same way, even with newer evidence', () => {
    const finding = aFinding();
    const today = aFinding({ evidence: { idleDays: 151 }, reason: 'Role ci was last used 151 days ago.' });
    const result = reconcile([today], [stored(finding)], options());
    expect(result.changes).toEqual([]);
    expect(result.unchanged).toBe(1);
    expect(result.held).toEqual([]);
  });

  it('resolves an open finding the scan no longer produces, with a TTL of ttlDays', () => {
    const before = stored(aFinding());
    const result = reconcile([], [before], options({ ttlDays: 30 }));
    expect(kinds(result.changes)).toEqual(['resolved']);
    const after = result.changes[0]!.after;
    expect(after.status).toBe('resolved');
    expect(after.resolvedAt).toBe(NOW.toISOString());
    expect(after.resolvedScanId).toBe('20240601T120000.000Z-bbbb0002');
    expect(after.ttl).toBe(NOW.getTime() / 1000 + 30 * 86_400);
    expect(after.version).toBe(2);
    expect(after.firstSeenAt).toBe(EARLIER);
    expect(result.changes[0]!.before).toBe(before);
  });

  it('leaves a resolved finding alone while it keeps passing', () => {
    const before = stored(aFinding(), { status: 'resolved', resolvedAt: EARLIER, ttl: 1 });
    const result = reconcile([], [before], options());
    expect(result.changes).toEqual([]);
    expect(result.held).toEqual([]);
  });

  it('reopens a resolved finding that fails again, keeping its first-seen time', () => {
    const finding = aFinding();
    const before = stored(finding, {
      status: 'resolved',
      resolvedAt: EARLIER,
      resolvedScanId: 'x',
      ttl: 1_720_000_000,
      version: 2,
    });
    const result = reconcile([finding], [before], options());
    expect(kinds(result.changes)).toEqual(['reopened']);
    const after = result.changes[0]!.after;
    expect(after).toMatchObject({
      status: 'open',
      firstSeenAt: EARLIER,
      reopenedAt: NOW.toISOString(),
      reopenCount: 1,
      version: 3,
    });
    expect(after.resolvedAt).toBeUndefined();
    expect(after.resolvedScanId).toBeUndefined();
    expect(after.ttl).toBeUndefined();
  });

  it('records a severity change with the new severity, reason and evidence', () => {
    const before = stored(aFinding({ severity: 'medium' }));
    const raised = aFinding({
      severity: 'high',
      reason: 'Admin role ci was last used 120 days ago.',
      riskScore: 450,
    });
    const result = reconcile([raised], [before], options());
    expect(kinds(result.changes)).toEqual(['severity-changed']);
    expect(result.changes[0]!.after).toMatchObject({
      status: 'open',
      severity: 'high',
      reason: 'Admin role ci was last used 120 days ago.',
      riskScore: 450,
      version: 2,
    });
  });

  it('takes the attestation from the fresh finding on a change, and drops one that no longer holds', () => {
    const attestation = {
      campaignId: 'quarterly.2024-Q2.111122223333',
      by: 'slack:T1/U1',
      at: '2024-04-20T10:00:00.000Z',
      until: '2024-05-20T10:00:00.000Z',
      justification: 'nightly deploys',
    };
    const before = stored(aFinding({ severity: 'medium', attestation }));
    const [expired] = reconcile([aFinding({ severity: 'high' })], [before], options()).changes;
    expect(expired!.after.attestation).toBeUndefined();
    const renewed = { ...attestation, until: '2024-08-20T10:00:00.000Z' };
    const [kept] = reconcile(
      [aFinding({ severity: 'high', attestation: renewed })],
      [before],
      options(),
    ).changes;
    expect(kept!.after.attestation).toEqual(renewed);
  });

  it('holds back a severity decrease when the finding input had a coverage gap', () => {
    const before = stored(aFinding({ severity: 'high' }));
    const lowered = aFinding({ severity: 'medium' });
    const coverage = { rules: ALL_RULES, gaps: [gap()] };
    expect(reconcile([lowered], [before], options({ coverage })).changes).toEqual([]);
    expect(kinds(reconcile([lowered], [before], options()).changes)).toEqual(['severity-changed']);
  });

  describe('suppression', () => {
    const exemption = { reason: 'break-glass role', owner: 'secops', expires: '2024-12-31' };

    it('stores a new finding covered by an exemption as suppressed', () => {
      const result = reconcile([aFinding({ suppression: exemption })], [], options());
      expect(kinds(result.changes)).toEqual(['suppressed']);
      expect(result.changes[0]!.after).toMatchObject({
        status: 'suppressed',
        suppression: exemption,
        suppressedAt: NOW.toISOString(),
      });
    });

    it('suppresses an open finding once an exemption covers it', () => {
      const before = stored(aFinding());
      const result = reconcile([aFinding({ suppression: exemption })], [before], options());
      expect(kinds(result.changes)).toEqual(['suppressed']);
      expect(result.changes[0]!.after.status).toBe('suppressed');
      expect(result.changes[0]!.after.suppression).toEqual(exemption);
    });

    it('writes nothing while the same exemption keeps covering the finding', () => {
      const before = stored(aFinding({ suppression: exemption }), { status: 'suppressed' });
      const result = reconcile([aFinding({ suppression: exemption })], [before], options());
      expect(result.changes).toEqual([]);
      expect(result.unchanged).toBe(1);
    });

    it('records a changed exemption (new expiry) on a suppressed finding', () => {
      const before = stored(aFinding({ suppression: exemption }), { status: 'suppressed' });
      const extended = { ...exemption, expires: '2025-06-30' };
      const result = reconcile([aFinding({ suppression: extended })], [before], options());
      expect(kinds(result.changes)).toEqual(['suppression-changed']);
      expect(result.changes[0]!.after.suppression).toEqual(extended);
    });

    it('lifts the suppression when the exemption expired and the finding still fails', () => {
      // The engine no longer applies an expired exemption: the finding comes without suppression.
      const before = stored(aFinding({ suppression: { ...exemption, expires: '2024-05-31' } }), {
        status: 'suppressed',
      });
      const result = reconcile([aFinding()], [before], options());
      expect(kinds(result.changes)).toEqual(['unsuppressed']);
      expect(result.changes[0]!.after.status).toBe('open');
      expect(result.changes[0]!.after.suppression).toBeUndefined();
    });

    it('resolves a suppressed finding that passes', () => {
      const before = stored(aFinding({ suppression: exemption }), { status: 'suppressed' });
      const result = reconcile([], [before], options());
      expect(kinds(result.changes)).toEqual(['resolved']);
    });

    it('keeps a suppressed finding without expiry suppressed while the scan cannot check it', () => {
      const open = { ...exemption, expires: '2099-12-31' };
      const before = stored(aFinding({ suppression: open }), { status: 'suppressed' });
      const coverage = { rules: ALL_RULES, gaps: [gap()] };
      const result = reconcile([], [before], options({ coverage }));
      expect(result.changes).toEqual([]);
      expect(result.held.map((held) => held.id)).toEqual([before.id]);
    });

    it('lifts an expired suppression on a finding the scan cannot check', () => {
      const before = stored(aFinding({ suppression: { ...exemption, expires: '2024-05-31' } }), {
        status: 'suppressed',
      });
      const coverage = { rules: ALL_RULES, gaps: [gap()] };
      const result = reconcile([], [before], options({ coverage }));
      expect(kinds(result.changes)).toEqual(['unsuppressed']);
      expect(result.changes[0]!.after.status).toBe('open');
      expect(result.held.map((held) => held.id)).toEqual([before.id]);
    });

    it('treats a date-only expiry as lasting through that day', () => {
      const before = stored(aFinding({ suppression: { ...exemption, expires: '2024-06-01' } }), {
        status: 'suppressed',
      });
      const coverage = { rules: ALL_RULES, gaps: [gap()] };
      expect(reconcile([], [before], options({ coverage })).changes).toEqual([]);
      const nextDay = new Date('2024-06-02T00:00:00Z');
      expect(kinds(reconcile([], [before], options({ coverage, asOf: nextDay })).changes)).toEqual([
        'unsuppressed',
      ]);
    });
  });

  describe('remediated findings', () => {
    const remediatedAt = '2024-05-20T00:00:00.000Z';

    it('stay remediated while the rule passes', () => {
      const before = stored(aFinding(), { status: 'remediated', remediatedAt, remediationRequestId: 'r-1' });
      expect(reconcile([], [before], options()).changes).toEqual([]);
    });

    it('stay remediated when the failing data predates the remediation', () => {
      const before = stored(aFinding(), { status: 'remediated', remediatedAt, remediationRequestId: 'r-1' });
      const result = reconcile([aFinding()], [before], options({ asOf: new Date('2024-05-19T00:00:00Z') }));
      expect(result.changes).toEqual([]);
    });

    it('reopen when they fail again on data newer than the remediation', () => {
      const before = stored(aFinding(), { status: 'remediated', remediatedAt, remediationRequestId: 'r-1' });
      const result = reconcile([aFinding()], [before], options());
      expect(kinds(result.changes)).toEqual(['reopened']);
      expect(result.changes[0]!.after.remediatedAt).toBeUndefined();
      expect(result.changes[0]!.after.reopenCount).toBe(1);
    });
  });

  describe('coverage: absence is never health', () => {
    const role = stored(aFinding());

    it('does not resolve a finding whose data set had an account-wide gap', () => {
      const coverage = { rules: ALL_RULES, gaps: [gap()] };
      const result = reconcile([], [role], options({ coverage }));
      expect(result.changes).toEqual([]);
      expect(result.held).toEqual([
        {
          id: role.id,
          ruleId: 'role-unused',
          resourceArn: role.resourceArn,
          reason: expect.stringContaining('iam:GetAccountAuthorizationDetails'),
        },
      ]);
    });

    it('resolves it when the gap is in a data set the rule does not read', () => {
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ source: 'secretsmanager:ListSecrets', detail: 'eu-west-1' })],
      };
      expect(kinds(reconcile([], [role], options({ coverage })).changes)).toEqual(['resolved']);
    });

    it('holds only the findings of the resource a resource-level gap is about', () => {
      const other = stored(aFinding({ resourceArn: `arn:aws:iam::${ACCOUNT}:role/deploy` }));
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ arn: role.resourceArn, category: 'Malformed', source: 'authorization-details.json' })],
      };
      const result = reconcile([], [role, other], options({ coverage }));
      expect(result.changes.map((change) => change.after.id)).toEqual([other.id]);
      expect(result.held.map((held) => held.id)).toEqual([role.id]);
    });

    it('holds every principal finding when a managed policy could not be read', () => {
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ arn: `arn:aws:iam::${ACCOUNT}:policy/Deploy`, category: 'Malformed' })],
      };
      const admin = stored(aFinding({ ruleId: 'standing-admin', severity: 'critical' }));
      expect(reconcile([], [admin], options({ coverage })).changes).toEqual([]);
    });

    it('does not resolve findings of a rule that was not evaluated (disabled)', () => {
      const coverage = { rules: ALL_RULES.filter((rule) => rule.id !== 'role-unused'), gaps: [] };
      const result = reconcile([], [role], options({ coverage }));
      expect(result.changes).toEqual([]);
      expect(result.held[0]!.reason).toBe('rule role-unused was not evaluated in this scan');
    });

    it('does not resolve findings whose data set was not read at all', () => {
      const secret = stored(
        aFinding({
          ruleId: 'secret-rotation-disabled',
          resourceType: 'secret',
          resourceArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`,
          region: 'us-east-1',
        }),
      );
      const coverage = { rules: ALL_RULES, gaps: [], unread: ['secrets' as const] };
      const result = reconcile([], [secret], options({ coverage }));
      expect(result.changes).toEqual([]);
      expect(result.held[0]!.reason).toBe('secrets was not read in this scan');
    });

    it('holds secrets only in the region whose listing failed', () => {
      const secretIn = (region: string) =>
        stored(
          aFinding({
            ruleId: 'secret-rotation-disabled',
            resourceType: 'secret',
            resourceArn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:db-AbCdEf`,
            region,
          }),
        );
      const [east, west] = [secretIn('us-east-1'), secretIn('eu-west-1')];
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ source: 'secretsmanager:ListSecrets', detail: 'eu-west-1', category: 'AccessDenied' })],
      };
      const result = reconcile([], [east, west], options({ coverage }));
      expect(result.changes.map((change) => change.after.id)).toEqual([east.id]);
      expect(result.held.map((held) => held.id)).toEqual([west.id]);
    });

    it('holds a secret policy finding when that secret policy could not be read', () => {
      const arn = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`;
      const finding = stored(
        aFinding({
          ruleId: 'secret-policy-public',
          resourceType: 'secret',
          resourceArn: arn,
          region: 'us-east-1',
        }),
      );
      const rotation = stored(
        aFinding({
          ruleId: 'secret-rotation-disabled',
          resourceType: 'secret',
          resourceArn: arn,
          region: 'us-east-1',
        }),
      );
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ arn, source: 'secretsmanager:GetResourcePolicy', category: 'AccessDenied' })],
      };
      const result = reconcile([], [finding, rotation], options({ coverage }));
      expect(result.held.map((held) => held.id)).toEqual([finding.id]);
      expect(result.changes.map((change) => change.after.id)).toEqual([rotation.id]);
    });

    it('holds an access key finding named by key id when the key listing failed for its user', () => {
      const user = `arn:aws:iam::${ACCOUNT}:user/ci`;
      const byId = stored(
        aFinding({
          ruleId: 'access-key-unused',
          resourceType: 'access-key',
          resourceArn: user,
          subResource: 'AKIAEXAMPLE1',
        }),
      );
      const bySlot = stored(
        aFinding({
          ruleId: 'access-key-not-rotated',
          resourceType: 'access-key',
          resourceArn: user,
          subResource: 'slot-2',
        }),
      );
      const coverage = { rules: ALL_RULES, gaps: [gap({ arn: user, source: 'iam:ListAccessKeys' })] };
      const result = reconcile([], [byId, bySlot], options({ coverage }));
      expect(result.held.map((held) => held.id)).toEqual([byId.id]);
      expect(result.changes.map((change) => change.after.id)).toEqual([bySlot.id]);
    });

    it('resolves a coverage-gap finding once the gap is gone, even with other gaps present', () => {
      const gapFinding = stored(
        aFinding({
          ruleId: 'scan-coverage-gap',
          resourceType: 'coverage-gap',
          resourceArn: ACCOUNT_ARN,
          subResource: 'iam:ListServerCertificates',
        }),
      );
      const coverage = { rules: ALL_RULES, gaps: [gap()] };
      expect(kinds(reconcile([], [gapFinding], options({ coverage })).changes)).toEqual(['resolved']);
    });

    it('holds everything when a gap comes from an unknown source', () => {
      const coverage = { rules: ALL_RULES, gaps: [gap({ source: 'something:Else' })] };
      expect(reconcile([], [role], options({ coverage })).held).toHaveLength(1);
    });

    it.each([
      ['organizations:DescribeOrganization', 'AccessDenied'],
      ['organization.json', 'Malformed'],
    ])('holds only the findings that need the organization when %s has a gap', (source, category) => {
      const secretArn = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`;
      const onSecret = (ruleId: string) =>
        stored(aFinding({ ruleId, resourceType: 'secret', resourceArn: secretArn, region: 'us-east-1' }));
      const needing = [
        stored(aFinding({ ruleId: 'trust-wildcard-principal' })),
        stored(aFinding({ ruleId: 'trust-external-account-no-external-id' })),
        stored(aFinding({ ruleId: 'policy-organization-unconfirmed' })),
        onSecret('secret-policy-public'),
      ];
      const others = [role, onSecret('secret-rotation-disabled')];
      const coverage = { rules: ALL_RULES, gaps: [gap({ source, category })] };
      const result = reconcile([], [...needing, ...others], options({ coverage }));
      expect(result.held.map((held) => held.id).sort()).toEqual(needing.map((f) => f.id).sort());
      expect(result.changes.map((change) => change.after.id).sort()).toEqual(others.map((f) => f.id).sort());
    });

    it('holds the findings that need the organization when it was not read at all', () => {
      const trust = stored(aFinding({ ruleId: 'trust-external-account-no-external-id' }));
      const coverage = { rules: ALL_RULES, gaps: [], unread: ['organization' as const] };
      const result = reconcile([], [trust, role], options({ coverage }));
      expect(result.held.map((held) => held.id)).toEqual([trust.id]);
      expect(result.changes.map((change) => change.after.id)).toEqual([role.id]);
    });

    it('ignores gaps in the account metadata', () => {
      const coverage = { rules: ALL_RULES, gaps: [gap({ source: 'account.json', category: 'Malformed' })] };
      expect(kinds(reconcile([], [role], options({ coverage })).changes)).toEqual(['resolved']);
    });
  });

  it('skips findings whose stored record could not be read, and never resolves them', () => {
    const finding = aFinding();
    const other = aFinding({ resourceArn: `arn:aws:iam::${ACCOUNT}:role/deploy` });
    const result = reconcile([finding], [], options({ unreadable: new Set([finding.id, other.id]) }));
    expect(result.changes).toEqual([]);
    expect(result.skipped).toEqual([{ id: finding.id, reason: 'the stored record could not be read' }]);
  });

  it('orders changes by finding id and counts each finding once', () => {
    const a = aFinding({ resourceArn: `arn:aws:iam::${ACCOUNT}:role/a` });
    const b = aFinding({ resourceArn: `arn:aws:iam::${ACCOUNT}:role/b` });
    const result = reconcile([b, a, b], [], options());
    expect(result.changes.map((change) => change.after.id)).toEqual([a.id, b.id].sort());
  });
});

describe('reconcile under partial reads', () => {
  const USER = `arn:aws:iam::${ACCOUNT}:user/ci`;
  const CREATED = '2023-01-05T10:00:00.000Z';

  /** An access key finding as the engine names it: by key id when the listing was read, else by slot. */
  function keyFinding(name: string, overrides: Partial<Finding> = {}): Finding {
    return aFinding({
      ruleId: 'access-key-not-rotated',
      resourceType: 'access-key',
      resourceArn: USER,
      subResource: name,
      reason: 'Active access key of user ci was created 500 days ago.',
      evidence: { keyId: name.startsWith('slot-') ? null : name, slot: 1, createdAt: CREATED, ageDays: 500 },
      ...overrides,
    });
  }
  const keysDenied: ScanCoverage = {
    rules: ALL_RULES,
    gaps: [gap({ arn: USER, source: 'iam:ListAccessKeys' })],
  };

  describe('access key names', () => {
    it('names a slot-named key by the key id it is stored under (same user, slot and creation time)', () => {
      const byId = stored(keyFinding('AKIAEXAMPLE1'));
      const result = reconcile([keyFinding('slot-1')], [byId], options({ coverage: keysDenied }));
      expect(result.changes).toEqual([]);
      expect(result.unchanged).toBe(1);
      expect(result.held).toEqual([]);
    });

    it('takes the key id from a stored finding of another rule on the same key', () => {
      const unused = stored(keyFinding('AKIAEXAMPLE1', { ruleId: 'access-key-unused' }), {
        status: 'resolved',
      });
      const result = reconcile([keyFinding('slot-1')], [unused], options({ coverage: keysDenied }));
      expect(kinds(result.changes)).toEqual(['opened']);
      expect(result.changes[0]!.after).toMatchObject({
        id: keyFinding('AKIAEXAMPLE1').id,
        subResource: 'AKIAEXAMPLE1',
        evidence: { keyId: 'AKIAEXAMPLE1', slot: 1 },
      });
    });

    it('does not match a key created at another time in the same slot (a rotated key)', () => {
      const old = stored(keyFinding('AKIAOLD'));
      const rotated = keyFinding('slot-1', {
        evidence: { keyId: null, slot: 1, createdAt: '2024-05-01T00:00:00.000Z', ageDays: 31 },
      });
      const result = reconcile([rotated], [old], options());
      expect(kinds(result.changes).sort()).toEqual(['opened', 'resolved']);
      expect(result.changes.find((c) => c.kind === 'opened')!.after.subResource).toBe('slot-1');
    });

    it("holds a new slot-named key finding while its user's key ids could not be read", () => {
      const result = reconcile([keyFinding('slot-1')], [], options({ coverage: keysDenied }));
      expect(result.changes).toEqual([]);
      expect(result.held).toEqual([
        {
          id: keyFinding('slot-1').id,
          ruleId: 'access-key-not-rotated',
          resourceArn: USER,
          reason: `the key id of this key is unknown (coverage gap in iam:ListAccessKeys: AccessDenied on ${USER}); it is stored once it is read`,
        },
      ]);
    });

    it('opens a slot-named finding when key ids were not collected at all (an export without access-keys.json)', () => {
      const coverage = { rules: ALL_RULES, gaps: [], unread: ['access-keys' as const] };
      expect(kinds(reconcile([keyFinding('slot-1')], [], options({ coverage })).changes)).toEqual(['opened']);
    });

    it('opens slot-named root key findings whatever the key listing did (root keys are never listed)', () => {
      const root = keyFinding('slot-1', { ruleId: 'root-access-key', resourceArn: ACCOUNT_ARN });
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ source: 'access-keys.json', category: 'Unreadable' })],
      };
      expect(kinds(reconcile([root], [], options({ coverage })).changes)).toEqual(['opened']);
    });

    it('does not guess when two stored key ids claim the same slot and creation time', () => {
      const a = stored(keyFinding('AKIAA'));
      const b = stored(keyFinding('AKIAB', { ruleId: 'access-key-unused' }));
      const result = reconcile([keyFinding('slot-1')], [a, b], options({ coverage: keysDenied }));
      expect(result.changes).toEqual([]);
      expect(result.held.map((h) => h.id).sort()).toEqual([a.id, b.id, keyFinding('slot-1').id].sort());
    });
  });

  it('holds back a lower severity on a key finding when the policies behind its raise were not read', () => {
    const raised = stored(keyFinding('AKIAEXAMPLE1', { severity: 'critical' }));
    const coverage = { rules: ALL_RULES, gaps: [gap()], unread: ['authorization-details' as const] };
    const result = reconcile([keyFinding('AKIAEXAMPLE1')], [raised], options({ coverage }));
    expect(result.changes).toEqual([]);
    expect(kinds(reconcile([keyFinding('AKIAEXAMPLE1')], [raised], options()).changes)).toEqual([
      'severity-changed',
    ]);
  });

  describe('reads not attempted because the read they depend on failed', () => {
    const gapFinding = (subResource: string, resourceArn = ACCOUNT_ARN) =>
      stored(
        aFinding({
          ruleId: 'scan-coverage-gap',
          resourceType: 'coverage-gap',
          resourceArn,
          subResource,
        }),
      );
    const secret = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db-AbCdEf`;
    const cases: { name: string; stored: StoredFinding; coverage: Omit<ScanCoverage, 'rules'> }[] = [
      {
        name: 'service-last-accessed jobs after the authorization details failed',
        stored: gapFinding('iam:GetServiceLastAccessedDetails', `arn:aws:iam::${ACCOUNT}:role/ci`),
        coverage: { gaps: [gap()], unread: ['authorization-details'] },
      },
      {
        name: 'ListAccessKeys after the credential report failed',
        stored: gapFinding('iam:ListAccessKeys', USER),
        coverage: {
          gaps: [gap({ source: 'iam:GetCredentialReport', category: 'Throttling' })],
          unread: ['credential-report', 'access-keys'],
        },
      },
      {
        name: "GetResourcePolicy after ListSecrets failed in the secret's region",
        stored: gapFinding('secretsmanager:GetResourcePolicy', secret),
        coverage: { gaps: [gap({ source: 'secretsmanager:ListSecrets', detail: 'eu-west-1' })] },
      },
      {
        name: 'a malformed record of a document that could not be read this time',
        stored: gapFinding('authorization-details.json#$.RoleDetailList[3].CreateDate'),
        coverage: { gaps: [gap()], unread: ['authorization-details'] },
      },
    ];

    it.each(cases)('holds the stored gaps of $name', ({ stored: before, coverage }) => {
      const result = reconcile([], [before], options({ coverage: { rules: ALL_RULES, ...coverage } }));
      expect(result.changes).toEqual([]);
      expect(result.held.map((held) => held.id)).toEqual([before.id]);
    });

    it.each(cases)(
      'resolves the stored gaps of $name once that read succeeds without them',
      ({ stored: before }) => {
        expect(kinds(reconcile([], [before], options()).changes)).toEqual(['resolved']);
      },
    );

    it("resolves a secret policy gap when only another region's listing failed", () => {
      const before = gapFinding('secretsmanager:GetResourcePolicy', secret);
      const coverage = {
        rules: ALL_RULES,
        gaps: [gap({ source: 'secretsmanager:ListSecrets', detail: 'us-east-1' })],
      };
      expect(kinds(reconcile([], [before], options({ coverage })).changes)).toEqual(['resolved']);
    });

    it('still resolves gaps of a document that was read, whatever other records of it are malformed', () => {
      const before = gapFinding('authorization-details.json#$.RoleDetailList[3].CreateDate');
      const coverage = {
        rules: ALL_RULES,
        gaps: [
          gap({ source: 'authorization-details.json', category: 'Malformed', detail: '$.Policies[0].Arn' }),
        ],
      };
      expect(kinds(reconcile([], [before], options({ coverage })).changes)).toEqual(['resolved']);
    });

    it('counts the reads that depend on an unread one as unread', () => {
      expect(withPrerequisites(['authorization-details', 'secrets'])).toEqual([
        'authorization-details',
        'secrets',
        'secret-policies',
        'service-last-accessed',
      ]);
    });
  });

  describe('a credential report without the <root_account> row', () => {
    const noRoot = {
      rules: ALL_RULES,
      gaps: [gap({ source: 'credential-report.csv', category: 'Missing', detail: '<root_account>' })],
    };

    it("holds the root user's findings", () => {
      const rootKey = stored(
        aFinding({
          ruleId: 'root-access-key',
          resourceType: 'access-key',
          resourceArn: ACCOUNT_ARN,
          subResource: 'slot-1',
        }),
      );
      expect(reconcile([], [rootKey], options({ coverage: noRoot })).held.map((h) => h.id)).toEqual([
        rootKey.id,
      ]);
    });

    it('resolves the findings of other users that pass', () => {
      const password = stored(
        aFinding({ ruleId: 'password-unused', resourceType: 'user', resourceArn: USER }),
      );
      const key = stored(keyFinding('AKIAEXAMPLE1'));
      const result = reconcile([], [password, key], options({ coverage: noRoot }));
      expect(result.held).toEqual([]);
      expect(kinds(result.changes)).toEqual(['resolved', 'resolved']);
    });
  });
});

describe('coverage inputs', () => {
  it('maps API operations and export files to data sets', () => {
    expect(dataSetOfSource('iam:GetCredentialReport')).toBe('credential-report');
    expect(dataSetOfSource('credential-report.csv')).toBe('credential-report');
    expect(dataSetOfSource('secret-policies.json')).toBe('secret-policies');
    expect(dataSetOfSource('iam:GenerateServiceLastAccessedDetails')).toBe('service-last-accessed');
    expect(dataSetOfSource('organizations:DescribeOrganization')).toBe('organization');
    expect(dataSetOfSource('organization.json')).toBe('organization');
    expect(dataSetOfSource('s3:ListBuckets')).toBeUndefined();
  });

  it('names the data sets of each kind of finding', () => {
    expect(inputsOf({ ruleId: 'unused-service-permissions', resourceType: 'role' }).sort()).toEqual([
      'authorization-details',
      'service-last-accessed',
    ]);
    expect(inputsOf({ ruleId: 'password-unused', resourceType: 'user' }).sort()).toEqual([
      'authorization-details',
      'credential-report',
    ]);
    expect(
      inputsOf({ ruleId: 'access-key-unused', resourceType: 'access-key', subResource: 'slot-1' }),
    ).toEqual(['credential-report']);
    expect(inputsOf({ ruleId: 'policy-organization-unconfirmed', resourceType: 'secret' }).sort()).toEqual([
      'organization',
      'secret-policies',
      'secrets',
    ]);
    expect(inputsOf({ ruleId: 'policy-organization-unconfirmed', resourceType: 'role' }).sort()).toEqual([
      'authorization-details',
      'organization',
    ]);
  });
});
