import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../../functions/adapters/export-reader';
import type { MemberAccount } from '../../../functions/core/organization-scan';
import type { RawAccountData } from '../../../functions/core/raw';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import type { RunScanDeps } from '../../../functions/use-cases/run-scan';
import {
  type AccountScanDeps,
  MemberAccessError,
  scanOrganization,
} from '../../../functions/use-cases/scan-organization';
import { MemoryStore } from '../../support/memory-store';

const NOW = new Date('2025-06-03T00:00:00.000Z');
const DEMO_ACCOUNT = '111122223333';
let demo: RawAccountData;
/** The demo account with every source read: its organization known, no policy document missing. */
let complete: RawAccountData;

beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
  const pages = demo.authorizationDetails as { RoleDetailList?: { RoleName?: string }[] }[];
  complete = {
    ...demo,
    organization: { Organization: null },
    authorizationDetails: pages.map((page) => ({
      ...page,
      RoleDetailList: (page.RoleDetailList ?? []).filter(
        (role) => role.RoleName !== 'vendor-security-scanner',
      ),
    })),
  };
});

class AwsError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

function scanDeps(store: MemoryStore, collect: RunScanDeps['collect']): RunScanDeps {
  return { collect, store, now: () => NOW, randomSuffix: () => 'beef0001', sleep: async () => {} };
}

const account = (id: string, name: string): MemberAccount => ({
  id,
  name,
  parentId: 'r-ab12',
  ouPath: ['r-ab12'],
});

describe('scanOrganization', () => {
  it('gives every account an outcome: one broken account never hides the others', async () => {
    const stores = new Map<string, MemoryStore>();
    const released: string[] = [];
    const accounts = [
      account(DEMO_ACCOUNT, 'demo'),
      account('222222222222', 'no-role'),
      account('333333333333', 'throttled'),
      account('444444444444', 'wrong-credentials'),
    ];
    const plans: Record<string, () => AccountScanDeps> = {
      [DEMO_ACCOUNT]: () => ({
        scan: scanDeps(store(DEMO_ACCOUNT), async () => ({ raw: complete, origin: 'live' })),
      }),
      '222222222222': () => {
        throw new MemberAccessError(
          'could not assume arn:aws:iam::222222222222:role/IamPostureScanner',
          '222222222222',
          { cause: new AwsError('AccessDenied', 'not authorized to perform: sts:AssumeRole') },
        );
      },
      '333333333333': () => ({
        scan: scanDeps(store('333333333333'), async () => {
          throw new AwsError('ThrottlingException', 'Rate exceeded');
        }),
        release: () => released.push('333333333333'),
      }),
      // Credentials that reach another account: its data must not be stored as this one's.
      '444444444444': () => ({
        scan: scanDeps(store('444444444444'), async () => ({ raw: demo, origin: 'live' })),
        release: () => released.push('444444444444'),
      }),
    };
    function store(id: string): MemoryStore {
      const created = new MemoryStore();
      stores.set(id, created);
      return created;
    }
    const started: string[] = [];
    const done: string[] = [];
    const { run, results } = await scanOrganization(
      { accountDeps: async (member) => plans[member.id]!(), now: () => NOW },
      accounts,
      {
        runId: 'run-1',
        settings: DEFAULT_SETTINGS,
        concurrency: 2,
        onAccountStart: (member) => started.push(member.id),
        onAccountDone: (outcome) => done.push(`${outcome.accountId}:${outcome.outcome}`),
      },
    );

    expect(run.outcomes[0]?.unreadSources).toBeUndefined();
    expect(run.counts).toEqual({ total: 4, complete: 1, partial: 0, failed: 3 });
    expect(run.outcomes.map((o) => [o.accountId, o.outcome, o.reason])).toEqual([
      [DEMO_ACCOUNT, 'complete', undefined],
      ['222222222222', 'failed', 'assume-denied'],
      ['333333333333', 'failed', 'throttled'],
      ['444444444444', 'failed', 'error'],
    ]);
    expect(run.outcomes[1]?.detail).toBe(
      'AccessDenied: could not assume arn:aws:iam::222222222222:role/IamPostureScanner',
    );
    expect(run.outcomes[3]?.detail).toContain(`answered for account ${DEMO_ACCOUNT}, not 444444444444`);
    expect(run.outcomes[0]).toMatchObject({
      accountName: 'demo',
      ouPath: ['r-ab12'],
      scanId: results.get(DEMO_ACCOUNT)?.scanId,
    });
    expect(run.outcomes[0]?.findings).toBe(results.get(DEMO_ACCOUNT)?.record.findings.total);
    expect(stores.get(DEMO_ACCOUNT)?.findings.size).toBeGreaterThan(0);
    expect(stores.get('333333333333')?.records).toEqual([]);
    expect(released.sort()).toEqual(['333333333333', '444444444444']);
    expect(started.sort()).toEqual(accounts.map((a) => a.id).sort());
    expect(done).toHaveLength(4);
  });

  it('reports an account whose sources were not all read as partial, naming them', async () => {
    const { credentialReport: _omitted, ...withoutReport } = complete;
    const { run } = await scanOrganization(
      {
        accountDeps: async () => ({
          scan: scanDeps(new MemoryStore(), async () => ({ raw: withoutReport, origin: 'export' })),
        }),
        now: () => NOW,
      },
      [account(DEMO_ACCOUNT, 'demo')],
      { runId: 'run-2', settings: DEFAULT_SETTINGS },
    );
    expect(run.outcomes[0]).toMatchObject({ outcome: 'partial' });
    expect(run.outcomes[0]?.unreadSources).toEqual(['access-keys', 'credential-report']);
    expect(run.outcomes[0]?.detail).toBe('not fully read: access-keys, credential-report');
  });

  it('names a missing policy document and an unknown organization among the sources not read', async () => {
    const { run } = await scanOrganization(
      {
        accountDeps: async () => ({
          scan: scanDeps(new MemoryStore(), async () => ({ raw: demo, origin: 'export' })),
        }),
        now: () => NOW,
      },
      [account(DEMO_ACCOUNT, 'demo')],
      { runId: 'run-5', settings: DEFAULT_SETTINGS },
    );
    expect(run.outcomes[0]?.unreadSources).toEqual(['authorization-details.json', 'organization']);
  });

  it("leaves a failed account's stored findings as they were", async () => {
    const memory = new MemoryStore();
    await scanOrganization(
      {
        accountDeps: async () => ({ scan: scanDeps(memory, async () => ({ raw: demo, origin: 'live' })) }),
        now: () => NOW,
      },
      [account(DEMO_ACCOUNT, 'demo')],
      { runId: 'run-3', settings: DEFAULT_SETTINGS },
    );
    const before = structuredClone([...memory.findings.values()]);
    expect(before.length).toBeGreaterThan(0);

    const { run } = await scanOrganization(
      {
        accountDeps: async () => ({
          scan: scanDeps(memory, async () => {
            throw new AwsError('AccessDeniedException', 'explicit deny in a service control policy');
          }),
        }),
        now: () => NOW,
      },
      [account(DEMO_ACCOUNT, 'demo')],
      { runId: 'run-4', settings: DEFAULT_SETTINGS },
    );
    expect(run.outcomes[0]).toMatchObject({ outcome: 'failed', reason: 'scp-denied' });
    expect([...memory.findings.values()]).toEqual(before);
    expect(before.every((finding) => finding.status !== 'resolved')).toBe(true);
  });
});

describe('environments mapped by OU in an organization scan', () => {
  it('finds the environment of the scanned account and of the accounts it trusts from their OU paths', async () => {
    const prod = 'ou-ab12-prod0001';
    const staging = 'ou-ab12-stag0001';
    const inOu = (id: string, ou: string): MemberAccount => ({
      id,
      name: id,
      parentId: ou,
      ouPath: ['r-ab12', ou],
    });
    const settings = {
      ...DEFAULT_SETTINGS,
      environments: { accounts: {}, ous: { [prod]: 'prod', [staging]: 'staging' }, production: ['prod'] },
    };
    const { results } = await scanOrganization(
      {
        accountDeps: async (member) => {
          if (member.id !== DEMO_ACCOUNT) throw new MemberAccessError('not scanned here', member.id);
          return { scan: scanDeps(new MemoryStore(), async () => ({ raw: complete, origin: 'live' })) };
        },
        now: () => NOW,
      },
      // The demo's metrics role trusts 444455556666 (production) and 666677778888 (staging).
      [inOu(DEMO_ACCOUNT, prod), inOu('444455556666', prod), inOu('666677778888', staging)],
      { runId: 'run-env', settings },
    );
    const crossings = results
      .get(DEMO_ACCOUNT)!
      .report.findings.filter((f) => f.ruleId === 'trust-cross-environment');
    expect(crossings.map((f) => [f.resourceArn, f.evidence.environmentSource])).toEqual([
      [`arn:aws:iam::${DEMO_ACCOUNT}:role/cross-account-metrics-publisher`, `ou:${prod}`],
    ]);
    expect((crossings[0]!.evidence.crossings as Record<string, unknown>[]).map((c) => c.account)).toEqual([
      '666677778888',
    ]);
  });
});
