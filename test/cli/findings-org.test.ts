import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFindingsStore } from '../../functions/adapters/dynamo-findings-store';
import { type AccountOutcome, organizationRun } from '../../functions/core/organization-scan';
import { SEVERITIES } from '../../functions/core/rule';
import { DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';
import { MOTO_REGION, type MotoServer, startMoto } from '../support/moto';

/**
 * `findings --org` against moto: one row per account, whether an organization run scanned it,
 * failed it, or it was only ever scanned on its own; filtered by account and by OU.
 */

const TABLE = 'posture-findings';
/** The demo export's account: scanned on its own, never by an organization run. */
const DEMO_ACCOUNT = '111122223333';
const BROKEN = '222233334444';
const CLEAN = '333344445555';

let moto: MotoServer;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  moto = await startMoto();
  dynamo = new DynamoDBClient({ ...moto.clientConfig });
}, 60_000);

afterAll(async () => {
  dynamo?.destroy();
  await moto?.stop();
});

const cli = (args: string[]) =>
  runCli([...args, '--endpoint-url', moto.endpoint, '--region', MOTO_REGION], {
    env: {
      AWS_ACCESS_KEY_ID: moto.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.clientConfig.credentials.secretAccessKey,
      AWS_PROFILE: '',
    },
  });

function outcome(
  overrides: Partial<AccountOutcome> & Pick<AccountOutcome, 'accountId' | 'accountName'>,
): AccountOutcome {
  return {
    outcome: 'complete',
    apiCalls: 7,
    findings: 0,
    opened: 0,
    resolved: 0,
    held: 0,
    startedAt: '2024-06-01T00:00:00.000Z',
    finishedAt: '2024-06-01T00:03:00.000Z',
    ...overrides,
  };
}

// The tests only read: the table is filled once.
beforeAll(async () => {
  expect((await cli(['table', 'create', '--table', TABLE])).code).toBe(0);
  const scanned = await cli([
    'scan',
    '--export',
    DEMO_EXPORT,
    '--config',
    DEMO_CONFIG,
    '--table',
    TABLE,
    '--quiet',
  ]);
  expect([0, 1], scanned.stderr).toContain(scanned.code);
  const outcomes = [
    outcome({
      accountId: BROKEN,
      accountName: 'broken <prod>',
      parentId: 'ou-bbbb-22222222',
      ouPath: ['r-ab12', 'ou-bbbb-22222222'],
      outcome: 'failed',
      reason: 'assume-denied',
      detail: 'AccessDenied: not authorized to perform sts:AssumeRole',
      apiCalls: 0,
    }),
    outcome({
      accountId: CLEAN,
      accountName: 'clean',
      parentId: 'ou-aaaa-11111111',
      ouPath: ['r-ab12', 'ou-cccc-33333333', 'ou-aaaa-11111111'],
      scanId: '20240601T000000.000Z-00000001',
    }),
  ];
  await new DynamoFindingsStore(dynamo, TABLE).recordOrganizationRun(
    organizationRun({
      runId: 'run-1',
      startedAt: '2024-06-01T00:00:00.000Z',
      finishedAt: '2024-06-01T00:05:00.000Z',
      accounts: outcomes.map((o) => ({ id: o.accountId, name: o.accountName })),
      outcomes,
    }),
  );
}, 60_000);

interface Row {
  accountId: string;
  accountName?: string;
  parentId?: string;
  openFindings: Record<string, number>;
  latestScan?: { outcome: string; reason?: string; detail?: string; source: string; at: string };
}

async function view(args: string[] = []): Promise<Row[]> {
  const result = await cli(['findings', '--org', '--table', TABLE, '--json', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).accounts;
}

describe('iam-posture findings --org', () => {
  it('shows every account: scanned alone, failed by the run with no findings, and complete', async () => {
    const rows = await view();
    expect(rows.map((r) => r.accountId)).toEqual([DEMO_ACCOUNT, BROKEN, CLEAN]);

    const listed = await cli(['findings', '--table', TABLE, '--account', DEMO_ACCOUNT, '--json']);
    const open = JSON.parse(listed.stdout).findings as { severity: string }[];
    const demo = rows[0]!;
    expect(open.length).toBeGreaterThan(0);
    expect(demo.openFindings).toEqual({
      ...Object.fromEntries(SEVERITIES.map((s) => [s, open.filter((f) => f.severity === s).length])),
      total: open.length,
    });
    expect(demo.accountName).toBeUndefined();
    expect(demo.latestScan).toMatchObject({ source: 'scan' });
    expect(['complete', 'partial']).toContain(demo.latestScan!.outcome);

    expect(rows[1]).toEqual({
      accountId: BROKEN,
      accountName: 'broken <prod>',
      parentId: 'ou-bbbb-22222222',
      ouPath: ['r-ab12', 'ou-bbbb-22222222'],
      openFindings: { critical: 0, high: 0, medium: 0, low: 0, informational: 0, total: 0 },
      latestScan: {
        outcome: 'failed',
        reason: 'assume-denied',
        detail: 'AccessDenied: not authorized to perform sts:AssumeRole',
        at: '2024-06-01T00:03:00.000Z',
        source: 'organization-run',
        runId: 'run-1',
      },
    });
    expect(rows[2]!.latestScan).toMatchObject({ outcome: 'complete', source: 'organization-run' });
  });

  it('filters by account (repeated or comma-separated) and by OU, parent or ancestor', async () => {
    expect((await view(['--account', `${DEMO_ACCOUNT},${CLEAN}`])).map((r) => r.accountId)).toEqual([
      DEMO_ACCOUNT,
      CLEAN,
    ]);
    expect((await view(['--account', BROKEN, '--account', CLEAN])).map((r) => r.accountId)).toEqual([
      BROKEN,
      CLEAN,
    ]);
    expect((await view(['--ou', 'ou-bbbb-22222222'])).map((r) => r.accountId)).toEqual([BROKEN]);
    expect((await view(['--ou', 'ou-cccc-33333333'])).map((r) => r.accountId)).toEqual([CLEAN]);
    expect((await view(['--ou', 'r-ab12'])).map((r) => r.accountId)).toEqual([BROKEN, CLEAN]);
    expect(await view(['--ou', 'r-ab12', '--account', DEMO_ACCOUNT])).toEqual([]);
  });

  it('prints a table with the outcome, its reason and a summary', async () => {
    const result = await cli(['findings', '--org', '--table', TABLE]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ACCOUNT\s+NAME\s+OU\s+CRITICAL\s+HIGH\s+MEDIUM\s+LOW\s+INFO\s+LATEST SCAN\s+FINISHED\s+REASON$/,
    );
    expect(lines[2]).toMatch(
      /^222233334444\s+broken <prod>\s+ou-bbbb-22222222\s+0\s+0\s+0\s+0\s+0\s+failed\s+2024-06-01T00:03:00Z\s+assume-denied: AccessDenied: not authorized to perform sts:AssumeRole$/,
    );
    expect(lines.at(-1)).toMatch(/^3 accounts: \d complete, \d partial, 1 failed; \d+ open findings$/);
  });

  it('refuses bad filters with one line naming the flag', async () => {
    const badOu = await cli(['findings', '--org', '--table', TABLE, '--ou', 'ou-nope']);
    expect(badOu.code).toBe(2);
    expect(badOu.stderr).toContain('--ou ou-nope is not an OU id');
    const noOrg = await cli(['findings', '--table', TABLE, '--ou', 'r-ab12']);
    expect(noOrg.code).toBe(2);
    expect(noOrg.stderr).toContain('--ou filters the organization view: add --org');
    const badAccount = await cli(['findings', '--org', '--table', TABLE, '--account', '1234,222233334444']);
    expect(badAccount.code).toBe(2);
    expect(badAccount.stderr).toContain('--account 1234 is not a 12-digit AWS account id');
    const severity = await cli(['findings', '--org', '--table', TABLE, '--severity', 'high']);
    expect(severity.code).toBe(2);
    expect(severity.stderr).toContain('--severity does not apply');
  });
});
