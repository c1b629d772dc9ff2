/**
 * The scan's read of the just-in-time state, against the findings table on moto: eligibilities and
 * break-glass elevations as the JIT store writes them, read by the scan function's reader, and the
 * findings a scan makes of them.
 */
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoJitStore } from '../../functions/adapters/dynamo-jit-store';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { ElevationRequest, Eligibility } from '../../functions/core/jit/types';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { runScan } from '../../functions/use-cases/run-scan';
import { jitStateReader } from '../../functions/wiring/scan';
import { MemoryStore } from '../support/memory-store';
import { useMotoWithTable } from '../support/moto-table';

const TABLE = 'iam-posture-findings';
const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const AS_OF = new Date('2025-06-02T08:00:00.000Z');
const before = (days: number) => new Date(AS_OF.getTime() - days * 86_400_000).toISOString();
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deployer`;

const env = useMotoWithTable(TABLE);

function eligibility(overrides: Partial<Eligibility> = {}): Eligibility {
  return {
    principalArn: ROLE,
    profile: 'prod-admin',
    accountId: ACCOUNT,
    grantedBy: { kind: 'slack', id: 'U0APPROVER', teamId: 'T0TEAM' },
    createdAt: before(200),
    sourceRequestId: 'req-1',
    ...overrides,
  };
}

function elevation(overrides: Partial<ElevationRequest> = {}): ElevationRequest {
  const requestedAt = before(4);
  return {
    grantId: 'g0001',
    accountId: ACCOUNT,
    profile: 'prod-admin',
    principalArn: ROLE,
    principalKind: 'role',
    requestedBy: { kind: 'slack', id: 'U0ONCALL', teamId: 'T0TEAM' },
    requestedAt,
    reason: 'the database is down and the runbook needs admin',
    startsAt: requestedAt,
    endsAt: before(3),
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    grantHash: 'a'.repeat(64),
    breakGlass: true,
    requiredApprovals: 1,
    approvals: [],
    state: 'approved',
    expiresAt: before(3),
    policyName: 'iam-posture-jit-g0001',
    ...overrides,
  };
}

describe('the scan reading the just-in-time state from the table', () => {
  it('reads the account’s eligibilities and its break-glass elevations, and nothing of other accounts', async () => {
    const store = new DynamoJitStore(env.dynamo, TABLE);
    await store.putEligibility(eligibility());
    await store.putEligibility(
      eligibility({ accountId: OTHER, principalArn: `arn:aws:iam::${OTHER}:role/x` }),
    );
    await store.create(elevation());
    await store.transition('g0001', 'approved', 'granted', { grantedAt: before(4) });
    await store.create(elevation({ grantId: 'g0002', breakGlass: false, state: 'requested' }));
    await store.create(
      elevation({ grantId: 'g0003', accountId: OTHER, principalArn: `arn:aws:iam::${OTHER}:role/x` }),
    );

    const state = await jitStateReader(env.aws(), TABLE)(ACCOUNT);
    expect(state.read).toBe(true);
    if (!state.read) return;
    expect(state.eligibilities.map((e) => [e.principalArn, e.profile])).toEqual([[ROLE, 'prod-admin']]);
    expect(state.breakGlass.map((r) => [r.grantId, r.state])).toEqual([['g0001', 'granted']]);
    expect(state.unreadable).toBeUndefined();
  });

  it('names a stored item it cannot read and keeps the rest', async () => {
    const store = new DynamoJitStore(env.dynamo, TABLE);
    await store.putEligibility(eligibility());
    await DynamoDBDocumentClient.from(env.dynamo).send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          PK: `JITELIGIBLE#${ACCOUNT}`,
          SK: `${ROLE}#db-admin`,
          principalArn: ROLE,
          profile: 'db-admin',
        },
      }),
    );
    const state = await jitStateReader(env.aws(), TABLE)(ACCOUNT);
    expect(state.read && state.eligibilities.map((e) => e.profile)).toEqual(['prod-admin']);
    expect(state.read && state.unreadable?.map((u) => u.item)).toEqual([
      `JITELIGIBLE#${ACCOUNT} / ${ROLE}#db-admin`,
    ]);
  });

  it('gives a scan its findings, and a coverage gap instead when the table cannot be read', async () => {
    const store = new DynamoJitStore(env.dynamo, TABLE);
    await store.putEligibility(eligibility());
    await store.create(elevation());
    const demo = await readExportDirectory('examples/demo-account');
    const findings = new MemoryStore();
    let n = 0;
    const scan = (table: string) =>
      runScan(
        {
          collect: async () => ({ raw: demo, origin: 'live' }),
          store: findings,
          jitState: jitStateReader({ ...env.aws(), maxAttempts: 1 }, table),
          now: () => new Date('2025-06-03T00:00:00.000Z'),
          randomSuffix: () => (++n).toString(16).padStart(8, '0'),
          sleep: async () => {},
        },
        { settings: DEFAULT_SETTINGS },
      );
    const first = await scan(TABLE);
    expect(
      first.report.findings
        .filter((f) => f.ruleId.startsWith('jit-'))
        .map((f) => [f.ruleId, f.subResource])
        .sort(),
    ).toEqual([
      ['jit-break-glass-used', 'g0001'],
      ['jit-eligibility-unused', 'prod-admin'],
    ]);

    const failing = await scan('no-such-table');
    expect(failing.report.coverage.map((gap) => [gap.source, gap.category])).toContainEqual([
      'iam-posture:jit-state',
      'ReadFailed',
    ]);
    expect(failing.report.coverage.find((gap) => gap.source === 'iam-posture:jit-state')?.reason).toContain(
      'ResourceNotFoundException',
    );
    expect(failing.held.map((h) => h.ruleId).sort()).toEqual([
      'jit-break-glass-used',
      'jit-eligibility-unused',
    ]);
    expect(failing.changes.filter((c) => c.kind === 'resolved')).toEqual([]);
  });
});
