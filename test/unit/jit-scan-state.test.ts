/**
 * The just-in-time state in a scan: read through the scan's port, normalized into snapshots for
 * the JIT rules, and reconciled with the partial-read invariant: a failed read holds their findings
 * open (a coverage gap says why), recovery settles them, and an offline scan leaves them alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import { findingId } from '../../functions/core/finding';
import type { ElevationRequest, Eligibility } from '../../functions/core/jit/types';
import type { StoredFinding } from '../../functions/core/lifecycle';
import { emptyInventory } from '../../functions/core/model';
import { type JitStateInput, withJitState } from '../../functions/core/normalize/jit';
import type { RawAccountData } from '../../functions/core/raw';
import { JIT_STATE_SOURCE } from '../../functions/core/raw';
import { COVERAGE_GAP_RULE } from '../../functions/core/reconcile';
import { DEFAULT_SETTINGS, type ScanSettings } from '../../functions/core/settings';
import { type RunScanResult, runScan } from '../../functions/use-cases/run-scan';
import { MemoryStore } from '../support/memory-store';

const ACCOUNT = '111122223333';
const AS_OF = new Date('2025-06-02T08:00:00.000Z');
const DAY = 86_400_000;
const daysBefore = (days: number, from = AS_OF) => new Date(from.getTime() - days * DAY).toISOString();
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deployer`;
const USER = `arn:aws:iam::${ACCOUNT}:user/alice`;

let demo: RawAccountData;
beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
});

function anEligibility(overrides: Partial<Eligibility> = {}): Eligibility {
  return {
    principalArn: ROLE,
    profile: 'prod-admin',
    accountId: ACCOUNT,
    grantedBy: { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM' },
    createdAt: daysBefore(200),
    sourceRequestId: 'req-1',
    ...overrides,
  };
}

function aBreakGlassGrant(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  const requestedAt = overrides.requestedAt ?? daysBefore(5);
  return {
    grantId: 'g0001',
    accountId: ACCOUNT,
    profile: 'prod-admin',
    principalArn: USER,
    principalKind: 'user',
    requestedBy: { kind: 'slack', id: 'U0ONCALL', teamId: 'T0TEAM' },
    requestedAt,
    reason: 'the database is down and the runbook needs admin',
    startsAt: requestedAt,
    endsAt: new Date(Date.parse(requestedAt) + 3_600_000).toISOString(),
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    grantHash: 'a'.repeat(64),
    breakGlass: true,
    requiredApprovals: 1,
    approvals: [],
    state: 'revoked',
    expiresAt: requestedAt,
    policyName: 'iam-posture-jit-g0001',
    ...overrides,
  };
}

const eligibilityId = findingId(ACCOUNT, 'jit-eligibility-unused', ROLE, 'prod-admin');
const breakGlassId = findingId(ACCOUNT, 'jit-break-glass-used', USER, 'g0001');

let suffix = 0;
function scan(
  store: MemoryStore,
  jit: (() => Promise<JitStateInput>) | undefined,
  options: { asOf?: Date; settings?: ScanSettings } = {},
): Promise<RunScanResult> {
  return runScan(
    {
      collect: async () => ({ raw: demo, origin: 'live' }),
      store,
      now: () => new Date('2025-06-03T00:00:00.000Z'),
      randomSuffix: () => (++suffix).toString(16).padStart(8, '0'),
      sleep: async () => {},
      ...(jit ? { jitState: jit } : {}),
    },
    { settings: options.settings ?? DEFAULT_SETTINGS, ...(options.asOf ? { asOf: options.asOf } : {}) },
  );
}

const healthy =
  (state: { eligibilities?: Eligibility[]; breakGlass?: ElevationRequest[] } = {}) =>
  async () =>
    ({
      read: true,
      eligibilities: state.eligibilities ?? [anEligibility()],
      breakGlass: state.breakGlass ?? [aBreakGlassGrant()],
    }) as const;

const statusOf = (store: MemoryStore, id: string) => store.findings.get(id)?.status;
const jitGap = (store: MemoryStore): StoredFinding | undefined =>
  [...store.findings.values()].find(
    (f) => f.ruleId === COVERAGE_GAP_RULE && f.subResource?.startsWith(JIT_STATE_SOURCE),
  );

describe('just-in-time state in a scan', () => {
  it('opens one finding per unused eligibility (by profile) and per break-glass elevation (by grant id)', async () => {
    const store = new MemoryStore();
    const result = await scan(
      store,
      healthy({
        eligibilities: [anEligibility(), anEligibility({ profile: 'db-admin', createdAt: daysBefore(10) })],
        breakGlass: [aBreakGlassGrant(), aBreakGlassGrant({ grantId: 'g0002' })],
      }),
    );
    const jit = result.report.findings.filter((f) => f.ruleId.startsWith('jit-'));
    expect(jit.map((f) => [f.ruleId, f.resourceArn, f.subResource]).sort()).toEqual([
      ['jit-break-glass-used', USER, 'g0001'],
      ['jit-break-glass-used', USER, 'g0002'],
      ['jit-eligibility-unused', ROLE, 'prod-admin'],
    ]);
    expect(statusOf(store, eligibilityId)).toBe('open');
    expect(statusOf(store, breakGlassId)).toBe('open');
    expect(result.record.unread).not.toContain('jit-state');
  });

  it('holds the findings open while the read fails, with a coverage gap, and settles them once it recovers', async () => {
    const store = new MemoryStore();
    await scan(store, healthy());

    const failed = await scan(store, async () => {
      throw Object.assign(new Error('User is not authorized to perform dynamodb:Query'), {
        name: 'AccessDeniedException',
      });
    });
    expect(statusOf(store, eligibilityId)).toBe('open');
    expect(statusOf(store, breakGlassId)).toBe('open');
    expect(failed.held.map((h) => h.id).sort()).toEqual([eligibilityId, breakGlassId].sort());
    expect(failed.changes.filter((c) => c.kind === 'resolved')).toEqual([]);
    const gap = jitGap(store);
    expect(gap?.status).toBe('open');
    expect(gap?.reason).toContain('AccessDeniedException: User is not authorized to perform dynamodb:Query');

    // A read reported as failed by the port is the same.
    const reported = await scan(store, async () => ({ read: false, reason: 'throttled' }));
    expect(reported.held.map((h) => h.id).sort()).toEqual([eligibilityId, breakGlassId].sort());

    // Recovered: the eligibility was used since (resolved), the break-glass still waits for review.
    const recovered = await scan(
      store,
      healthy({ eligibilities: [anEligibility({ lastUsedAt: daysBefore(2) })] }),
    );
    expect(statusOf(store, eligibilityId)).toBe('resolved');
    expect(statusOf(store, breakGlassId)).toBe('open');
    expect(jitGap(store)?.status).toBe('resolved');
    expect(recovered.held).toEqual([]);
  });

  it('leaves the findings as they are in a scan that does not read the state at all', async () => {
    const store = new MemoryStore();
    await scan(store, healthy());
    const offline = await scan(store, undefined);
    expect(offline.report.findings.filter((f) => f.ruleId.startsWith('jit-'))).toEqual([]);
    expect(offline.record.unread).toContain('jit-state');
    expect(statusOf(store, eligibilityId)).toBe('open');
    expect(statusOf(store, breakGlassId)).toBe('open');
    expect(offline.report.summary.ruleResults?.['jit-eligibility-unused']?.evaluated).toBe(0);
  });

  it('resolves a break-glass finding when it ages out of the review window, or an eligibility that is gone', async () => {
    const store = new MemoryStore();
    await scan(store, healthy());
    await scan(store, healthy({ eligibilities: [] }), { asOf: new Date(AS_OF.getTime() + 84 * DAY) });
    expect(statusOf(store, eligibilityId)).toBe('resolved');
    expect(statusOf(store, breakGlassId)).toBe('open');
    await scan(store, healthy({ eligibilities: [] }), { asOf: new Date(AS_OF.getTime() + 85 * DAY) });
    expect(statusOf(store, breakGlassId)).toBe('resolved');
  });

  it('closes one reviewed break-glass elevation with an exemption naming its grant id, and no other', async () => {
    const store = new MemoryStore();
    const state = healthy({ breakGlass: [aBreakGlassGrant(), aBreakGlassGrant({ grantId: 'g0002' })] });
    await scan(store, state);
    const settings: ScanSettings = {
      ...DEFAULT_SETTINGS,
      exemptions: [
        {
          ruleId: 'jit-break-glass-used',
          resource: `${USER}#g0001`,
          reason: 'reviewed: database outage INC-42, actions matched the runbook',
          owner: 'security',
          expires: '2099-01-01',
        },
      ],
    };
    await scan(store, state, { settings });
    expect(statusOf(store, breakGlassId)).toBe('suppressed');
    expect(statusOf(store, findingId(ACCOUNT, 'jit-break-glass-used', USER, 'g0002'))).toBe('open');
  });
});

describe('withJitState', () => {
  const inventory = () => emptyInventory(ACCOUNT);

  it('changes nothing without an input', () => {
    const before = inventory();
    expect(withJitState(before, undefined)).toBe(before);
  });

  it('records a failed read as an account-wide coverage gap', () => {
    const result = withJitState(inventory(), { read: false, reason: 'ThrottlingException: slow down' });
    expect(result.jit).toEqual({ read: false, reason: 'ThrottlingException: slow down' });
    expect(result.coverageGaps).toEqual([
      {
        kind: 'coverage-gap',
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        accountId: ACCOUNT,
        source: JIT_STATE_SOURCE,
        reason:
          'The just-in-time eligibilities and break-glass elevations could not be read: ThrottlingException: slow down',
        category: 'ReadFailed',
      },
    ]);
  });

  it('names a record with an unreadable date and keeps the others; ignores elevations that are not break-glass', () => {
    const result = withJitState(inventory(), {
      read: true,
      eligibilities: [anEligibility({ createdAt: 'yesterday' }), anEligibility({ profile: 'db-admin' })],
      breakGlass: [
        aBreakGlassGrant({ grantId: 'g0009', endsAt: 'soon' }),
        aBreakGlassGrant(),
        aBreakGlassGrant({ grantId: 'g0003', breakGlass: false }),
      ],
    });
    expect(result.jit?.read && result.jit.eligibilities.map((e) => e.profile)).toEqual(['db-admin']);
    expect(result.jit?.read && result.jit.breakGlass.map((g) => g.grantId)).toEqual(['g0001']);
    expect(result.coverageGaps.map((g) => [g.arn, g.category, g.detail, g.reason])).toEqual([
      [
        ROLE,
        'Malformed',
        'eligibility prod-admin.createdAt',
        `The eligibility of ${ROLE} for profile prod-admin has an unreadable createdAt ("yesterday").`,
      ],
      [
        USER,
        'Malformed',
        'grant g0009.endsAt',
        `Break-glass elevation g0009 of ${USER} has an unreadable endsAt ("soon").`,
      ],
    ]);
  });
});
