import { describe, expect, it } from 'vitest';
import type {
  AccountOutcome,
  MemberAccount,
  OrganizationRun,
} from '../../../functions/core/organization-scan';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import type { AccountSource } from '../../../functions/use-cases/collect';
import {
  aggregateOrganizationRun,
  MAX_RUN_DETAIL_BYTES,
  organizationScanCompletedEvent,
} from '../../../functions/use-cases/org-aggregate';
import { DiscoverError, discoverAccounts } from '../../../functions/use-cases/org-discover';
import type { MemberAccess, RunFiles } from '../../../functions/use-cases/org-run-ports';
import { ScanStepInputError, scanAccountStep, stepError } from '../../../functions/use-cases/org-scan-step';
import { MemberAccessError } from '../../../functions/use-cases/scan-organization';
import { MemoryStore } from '../../support/memory-store';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const A: MemberAccount = {
  id: '111111111111',
  name: 'prod',
  parentId: 'ou-ab12-prod1234',
  ouPath: ['r-ab12', 'ou-ab12-prod1234'],
};
const B: MemberAccount = {
  id: '222222222222',
  name: 'dev',
  parentId: 'ou-ab12-dev12345',
  ouPath: ['r-ab12', 'ou-ab12-dev12345'],
};
const C: MemberAccount = { id: '333333333333', name: 'sandbox', parentId: 'r-ab12', ouPath: ['r-ab12'] };

/** A runs bucket in memory; `broken` keys fail to read. */
function memoryFiles(broken: Record<string, Error> = {}) {
  const files = new Map<string, string>();
  const api: RunFiles & { files: Map<string, string> } = {
    files,
    async putJson(key, value) {
      files.set(key, JSON.stringify(value));
    },
    async getJson(key) {
      const failure = broken[key];
      if (failure) throw failure;
      const text = files.get(key);
      if (text === undefined) throw new Error(`${key} does not exist`);
      return JSON.parse(text);
    },
    async listKeys(prefix) {
      return [...files.keys()].filter((key) => key.startsWith(prefix)).sort();
    },
  };
  return api;
}

describe('discovering the accounts of a run', () => {
  const directory = { listAccounts: async () => [A, B, C] };

  it("writes the selected accounts to the run's account list", async () => {
    const files = memoryFiles();
    const result = await discoverAccounts(
      { directory, files, now: () => NOW },
      { runId: 'run-1', selection: { excludeOus: ['ou-ab12-dev12345'] } },
    );
    expect(result).toEqual({
      runId: 'run-1',
      accountsKey: 'runs/run-1/accounts.json',
      accounts: [A, C],
      startedAt: NOW.toISOString(),
    });
    expect(JSON.parse(files.files.get('runs/run-1/accounts.json')!)).toEqual([A, C]);
  });

  it('keeps only the accounts a rescan names', async () => {
    const files = memoryFiles();
    const result = await discoverAccounts(
      { directory, files, now: () => NOW },
      { runId: 'run-2', selection: {}, accounts: [C.id] },
    );
    expect(result.accounts).toEqual([C]);
  });

  it('refuses a rescan naming an unknown or excluded account, naming each', async () => {
    const run = discoverAccounts(
      { directory, files: memoryFiles(), now: () => NOW },
      { runId: 'run-3', selection: { excludeAccounts: [B.id] }, accounts: [A.id, B.id, '444444444444'] },
    );
    await expect(run).rejects.toThrow(DiscoverError);
    await expect(run).rejects.toThrow(
      /222222222222 is excluded by the account selection.*444444444444 is not an ACTIVE account/,
    );
  });

  it('fails a run with no account to scan instead of reporting an empty success', async () => {
    const files = memoryFiles();
    await expect(
      discoverAccounts(
        { directory, files, now: () => NOW },
        { runId: 'run-4', selection: { includeAccounts: ['999999999999'] } },
      ),
    ).rejects.toThrow(/has no account to scan: the organization lists 3 ACTIVE account\(s\)/);
    expect(files.files.size).toBe(0);
  });
});

/** A member account that answers every read, empty. */
function emptySource(accountId: string): AccountSource {
  let calls = 0;
  const read = async <T>(data: T) => {
    calls++;
    return { data, gaps: [] };
  };
  return {
    callerIdentity: async () => {
      calls++;
      return { accountId };
    },
    homeRegion: async () => 'eu-west-1',
    organization: () => read({ Organization: null }),
    enabledRegions: () => read(['eu-west-1']),
    authorizationDetails: () =>
      read({ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }),
    credentialReport: () =>
      read({
        content:
          'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n' +
          `<root_account>,arn:aws:iam::${accountId}:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      }),
    accessKeys: () => read({}),
    serverCertificates: () => read({ ServerCertificateMetadataList: [] }),
    secrets: () => read({ SecretList: [] }),
    secretPolicies: () => read([]),
    serviceLastAccessed: () => read({}),
    apiCalls: () => ({ 'iam:Any': calls }),
  };
}

const memberRole = (name: string) => `arn:aws:iam::${A.id}:role/${name}`;

function lastAccessedJob(day: string) {
  return { JobStatus: 'COMPLETED', JobCompletionDate: `${day}T00:00:00.000Z`, ServicesLastAccessed: [] };
}

/** An account of roles each holding a managed policy; records the service-last-accessed jobs asked. */
function rolesHoldingPolicies(accountId: string, names: string[]) {
  const requested: string[][] = [];
  const role = (name: string) => ({
    RoleName: name,
    RoleId: `AROA${name.toUpperCase()}`,
    Arn: memberRole(name),
    Path: '/',
    CreateDate: '2025-01-01T00:00:00Z',
    AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
    AttachedManagedPolicies: [
      { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ],
    RolePolicyList: [],
  });
  const source: AccountSource = {
    ...emptySource(accountId),
    authorizationDetails: async () => ({
      data: { UserDetailList: [], GroupDetailList: [], RoleDetailList: names.map(role), Policies: [] },
      gaps: [],
    }),
    serviceLastAccessed: async (_account, arns) => {
      requested.push([...arns]);
      return { data: Object.fromEntries(arns.map((arn) => [arn, lastAccessedJob('2026-06-01')])), gaps: [] };
    },
  };
  return { source, requested };
}

function stepDeps(files: RunFiles, members: MemberAccess, store = new MemoryStore()) {
  let tick = 0;
  return {
    files,
    members,
    scan: { store, now: () => NOW, randomSuffix: () => 'abcd1234' },
    now: () => NOW,
    // Every look at the clock is one millisecond later.
    clock: () => tick++,
  };
}

const OPTIONS = {
  scan: { settings: DEFAULT_SETTINGS },
  collect: { settings: DEFAULT_SETTINGS },
  budgetMs: 0,
};

describe('the scan-account step', () => {
  const opens = (accountId = A.id): MemberAccess => ({
    open: async () => ({ source: emptySource(accountId), release: () => {} }),
  });

  it('checkpoints and continues until done, then records the outcome', async () => {
    const files = memoryFiles();
    const deps = stepDeps(files, opens());
    let result = await scanAccountStep(deps, { runId: 'r', account: A }, OPTIONS);
    let invocations = 1;
    while (!result.done) {
      expect(result.continuation).toBe(`runs/r/checkpoints/${A.id}.json`);
      result = await scanAccountStep(
        deps,
        { runId: 'r', account: A, continuation: result.continuation! },
        OPTIONS,
      );
      invocations++;
    }
    expect(invocations).toBe(11);
    expect(result.outcome).toMatchObject({
      accountId: A.id,
      accountName: 'prod',
      ouPath: A.ouPath,
      outcome: 'complete',
      scanId: expect.any(String),
    });
    // One call for the identity, then one per phase that reads: not the regions (the home region)
    // nor service-last-accessed (no principal holds a policy).
    expect(result.outcome!.apiCalls).toBe(8);
    expect(JSON.parse(files.files.get(`runs/r/outcomes/${A.id}.json`)!)).toEqual(result.outcome);
  });

  it('plans service-last-accessed jobs from the cache and saves what the last invocation collected', async () => {
    const { source, requested } = rolesHoldingPolicies(A.id, ['fresh', 'new']);
    const cached = { [memberRole('fresh')]: lastAccessedJob('2026-05-30') };
    const loads: string[] = [];
    const saves: Record<string, unknown>[] = [];
    const warnings: string[] = [];
    const cache = {
      load: async (accountId: string) => {
        loads.push(accountId);
        return cached;
      },
      save: async (_accountId: string, data: Record<string, unknown>) => {
        saves.push(data);
        return { written: 1, unchanged: 1 };
      },
    };
    const deps = {
      ...stepDeps(memoryFiles(), { open: async () => ({ source, release: () => {} }) }),
      lastAccessed: { cache, warn: (message: string) => warnings.push(message) },
    };
    let result = await scanAccountStep(deps, { runId: 'r', account: A }, OPTIONS);
    while (!result.done) {
      expect(saves).toEqual([]);
      result = await scanAccountStep(
        deps,
        { runId: 'r', account: A, continuation: result.continuation! },
        OPTIONS,
      );
    }
    // Loaded once, by the invocation that planned the jobs; only the principal without data ran.
    expect(loads).toEqual([A.id]);
    expect(requested).toEqual([[memberRole('new')]]);
    expect(saves).toEqual([
      {
        [memberRole('fresh')]: lastAccessedJob('2026-05-30'),
        [memberRole('new')]: lastAccessedJob('2026-06-01'),
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('scans on without the cache when it cannot be read or written, and warns', async () => {
    const { source, requested } = rolesHoldingPolicies(A.id, ['fresh', 'new']);
    const warnings: string[] = [];
    const unavailable = async (): Promise<never> => {
      throw new Error('table unavailable');
    };
    const deps = {
      ...stepDeps(memoryFiles(), { open: async () => ({ source, release: () => {} }) }),
      lastAccessed: {
        cache: { load: unavailable, save: unavailable },
        warn: (message: string) => warnings.push(message),
      },
    };
    const result = await scanAccountStep(deps, { runId: 'r', account: A }, { ...OPTIONS, budgetMs: 60_000 });
    expect(result.done).toBe(true);
    expect(result.outcome?.outcome).not.toBe('failed');
    expect(requested.flat()).toEqual([memberRole('fresh'), memberRole('new')]);
    expect(warnings).toEqual([
      'service-last-accessed cache not read',
      'service-last-accessed cache not saved',
    ]);
  });

  it('fails the account when the member role cannot be assumed, as an assume denial', async () => {
    const files = memoryFiles();
    const denied = Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
      name: 'AccessDenied',
    });
    const members: MemberAccess = {
      open: async (account) => {
        throw new MemberAccessError('could not assume the member role', account.id, { cause: denied });
      },
    };
    const result = await scanAccountStep(stepDeps(files, members), { runId: 'r', account: B }, OPTIONS);
    expect(result).toMatchObject({
      done: true,
      outcome: { accountId: B.id, outcome: 'failed', reason: 'assume-denied' },
    });
    expect(files.files.has(`runs/r/outcomes/${B.id}.json`)).toBe(true);
  });

  it('fails the account, naming the checkpoint, when its checkpoint cannot be read', async () => {
    const key = `runs/r/checkpoints/${A.id}.json`;
    const files = memoryFiles({ [key]: new Error('s3://runs/x could not be read: InternalError') });
    const result = await scanAccountStep(
      stepDeps(files, opens()),
      { runId: 'r', account: A, continuation: key },
      OPTIONS,
    );
    expect(result.outcome).toMatchObject({ outcome: 'failed', reason: 'error' });
    expect(result.outcome!.detail).toContain(`the checkpoint ${key} cannot be resumed from`);
    expect(result.outcome!.detail).toContain('InternalError');
  });

  it('fails the account when a checkpoint is malformed or holds another account', async () => {
    const key = `runs/r/checkpoints/${A.id}.json`;
    const files = memoryFiles();
    await files.putJson(key, { version: 1, accountId: A.id, collectedAt: NOW.toISOString(), done: [] });
    const malformed = await scanAccountStep(
      stepDeps(files, opens()),
      { runId: 'r', account: A, continuation: key },
      OPTIONS,
    );
    expect(malformed.outcome!.detail).toMatch(
      /cannot be resumed from \(the checkpoint is malformed: \$\.done/,
    );

    const other = memoryFiles();
    const first = await scanAccountStep(stepDeps(other, opens(B.id)), { runId: 'r', account: B }, OPTIONS);
    expect(first.done).toBe(false);
    await files.putJson(key, await other.getJson(first.continuation!));
    const foreign = await scanAccountStep(
      stepDeps(files, opens()),
      { runId: 'r', account: A, continuation: key },
      OPTIONS,
    );
    expect(foreign.outcome!.detail).toContain(
      `the checkpoint ${key} cannot be resumed from (it holds account ${B.id})`,
    );
  });

  it('fails the account when the member role answers for another account, before storing anything', async () => {
    const store = new MemoryStore();
    const result = await scanAccountStep(
      stepDeps(memoryFiles(), opens(C.id), store),
      { runId: 'r', account: A },
      OPTIONS,
    );
    expect(result.outcome).toMatchObject({ outcome: 'failed', reason: 'error' });
    expect(result.outcome!.detail).toContain(`answered for account ${C.id}, not ${A.id}`);
  });

  it("refuses a continuation that is not the account's checkpoint", async () => {
    await expect(
      scanAccountStep(
        stepDeps(memoryFiles(), opens()),
        { runId: 'r', account: A, continuation: 'runs/other/secret.json' },
        OPTIONS,
      ),
    ).rejects.toThrow(ScanStepInputError);
  });

  it.each([
    [
      { Error: 'States.Timeout', Cause: 'The task timed out.' },
      'timed-out',
      'States.Timeout: The task timed out.',
    ],
    [
      {
        Error: 'Sandbox.Timedout',
        Cause: JSON.stringify({
          errorType: 'Sandbox.Timedout',
          errorMessage: 'Task timed out after 900.00 seconds',
        }),
      },
      'timed-out',
      'Sandbox.Timedout: Task timed out after 900.00 seconds',
    ],
    [
      {
        Error: 'States.TaskFailed',
        Cause: JSON.stringify({ errorType: 'ThrottlingException', errorMessage: 'Rate exceeded' }),
      },
      'throttled',
      'ThrottlingException: Rate exceeded',
    ],
    [
      {
        Error: 'AccessDeniedException',
        Cause: JSON.stringify({
          errorType: 'AccessDeniedException',
          errorMessage: 'explicit deny in a service control policy',
        }),
      },
      'scp-denied',
      'AccessDeniedException: explicit deny in a service control policy',
    ],
    [
      { Error: 'Lambda.Unknown', Cause: 'The cause could not be determined' },
      'error',
      'Lambda.Unknown: The cause could not be determined',
    ],
  ])('records a caught failure %j as %s', async (error, reason, detail) => {
    const files = memoryFiles();
    const result = await scanAccountStep(
      stepDeps(files, opens()),
      { runId: 'r', account: A, error },
      OPTIONS,
    );
    expect(result.outcome).toMatchObject({ accountId: A.id, outcome: 'failed', reason, detail });
    expect(JSON.parse(files.files.get(`runs/r/outcomes/${A.id}.json`)!)).toEqual(result.outcome);
  });

  it('reads the error type and message of a Lambda error from its cause', () => {
    const error = stepError({ Error: 'Error', Cause: '{"errorType":"RunScanError","errorMessage":"boom"}' });
    expect([error.name, error.message]).toEqual(['RunScanError', 'boom']);
    expect(stepError({ Error: 'X', Cause: 'x'.repeat(5000) }).message).toHaveLength(1003);
  });
});

function outcome(account: MemberAccount, kind: AccountOutcome['outcome']): AccountOutcome {
  return {
    accountId: account.id,
    accountName: account.name,
    outcome: kind,
    ...(kind === 'failed' ? { reason: 'assume-denied' as const, detail: 'AccessDenied' } : {}),
    apiCalls: 10,
    findings: 2,
    opened: 1,
    resolved: 0,
    held: 0,
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
  };
}

describe('aggregating a run', () => {
  function recorder() {
    const runs: OrganizationRun[] = [];
    return {
      runs,
      recordOrganizationRun: async (run: OrganizationRun) => void runs.push(run),
      latestOrganizationRun: async () => runs.at(-1),
    };
  }

  it('fails the accounts whose outcome is missing, unreadable or about another account, and publishes one event', async () => {
    const files = memoryFiles({
      [`runs/r/outcomes/${C.id}.json`]: new Error('s3://runs/x could not be read: SlowDown'),
    });
    await files.putJson('runs/r/accounts.json', [A, B, C]);
    await files.putJson(`runs/r/outcomes/${A.id}.json`, outcome(A, 'complete'));
    await files.putJson(`runs/r/outcomes/${B.id}.json`, outcome(A, 'complete'));
    await files.putJson(`runs/r/outcomes/${C.id}.json`, outcome(C, 'complete'));
    await files.putJson(
      'runs/r/outcomes/999999999999.json',
      outcome({ id: '999999999999', name: 'stray' }, 'complete'),
    );
    const store = recorder();
    const published: unknown[] = [];
    const result = await aggregateOrganizationRun(
      {
        files,
        store,
        events: {
          publish: async (events) => {
            published.push(...events);
            return {
              events: events.length,
              published: events.length,
              failed: [],
              requests: 1,
              failedEntryCount: 0,
            };
          },
        },
        now: () => NOW,
      },
      { runId: 'r', accountsKey: 'runs/r/accounts.json', startedAt: '2026-06-01T11:00:00.000Z' },
    );
    expect(result.run.counts).toEqual({ total: 3, complete: 1, partial: 0, failed: 2 });
    expect(result.run.outcomes.map((o) => o.detail)).toEqual([
      undefined,
      `the outcome file runs/r/outcomes/${B.id}.json is about account ${A.id}, not ${B.id}`,
      `the outcome file runs/r/outcomes/${C.id}.json could not be read: s3://runs/x could not be read: SlowDown`,
    ]);
    expect(store.runs).toEqual([result.run]);
    expect(JSON.parse(files.files.get('runs/r/run.json')!)).toEqual(result.run);
    expect(published).toEqual([
      {
        detailType: 'OrganizationScanCompleted',
        detail: expect.objectContaining({
          version: 1,
          runId: 'r',
          counts: result.run.counts,
          outcomes: result.run.outcomes,
        }),
      },
    ]);
  });

  it("refuses an account list that is not the run's, or is malformed", async () => {
    const files = memoryFiles();
    await files.putJson('runs/r/accounts.json', [A, { id: '12', name: 'short' }]);
    const deps = { files, store: recorder(), now: () => NOW };
    await expect(
      aggregateOrganizationRun(deps, {
        runId: 'r',
        accountsKey: 'runs/q/accounts.json',
        startedAt: NOW.toISOString(),
      }),
    ).rejects.toThrow(/is not the account list of run r/);
    await expect(
      aggregateOrganizationRun(deps, {
        runId: 'r',
        accountsKey: 'runs/r/accounts.json',
        startedAt: NOW.toISOString(),
      }),
    ).rejects.toThrow(
      'the account list runs/r/accounts.json is malformed at $.1.id: an account id is 12 digits',
    );
  });

  it("keeps an event of a large run within EventBridge's limit, failed accounts first", () => {
    const accounts = Array.from({ length: 2000 }, (_, i) => ({
      id: String(100000000000 + i),
      name: `account-${i}`,
    }));
    const outcomes = accounts.map((account, i) => outcome(account, i % 100 === 99 ? 'failed' : 'complete'));
    const run: OrganizationRun = {
      runId: 'r',
      startedAt: NOW.toISOString(),
      finishedAt: NOW.toISOString(),
      counts: { total: 2000, complete: 1980, partial: 0, failed: 20 },
      outcomes,
    };
    const event = organizationScanCompletedEvent(run, 'runs/r/run.json');
    const detail = event.detail as unknown as {
      outcomes: AccountOutcome[];
      outcomesOmitted: number;
      runKey: string;
    };
    expect(Buffer.byteLength(JSON.stringify(detail))).toBeLessThanOrEqual(MAX_RUN_DETAIL_BYTES);
    expect(detail.outcomes.slice(0, 20).every((o) => o.outcome === 'failed')).toBe(true);
    expect(detail.outcomes.length + detail.outcomesOmitted).toBe(2000);
    expect(detail.outcomesOmitted).toBeGreaterThan(0);
    expect(detail.runKey).toBe('runs/r/run.json');
  });
});
