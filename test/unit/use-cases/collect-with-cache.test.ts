import { describe, expect, it } from 'vitest';
import type { AccountSource, SourceRead } from '../../../functions/use-cases/collect';
import { collectWithLastAccessedCache } from '../../../functions/use-cases/collect-with-cache';
import type {
  LastAccessedCache,
  LastAccessedSaveResult,
  ServiceLastAccessedByPrincipal,
} from '../../../functions/use-cases/last-accessed-ports';

const ACCOUNT_ID = '111122223333';
const DAY_MS = 86_400_000;
const START = Date.parse('2024-06-01T06:00:00Z');

function roleArn(index: number): string {
  return `arn:aws:iam::${ACCOUNT_ID}:role/workload-${String(index).padStart(4, '0')}`;
}

/** An account of `roles` roles, each holding a managed policy; jobs complete at the clock's time. */
function fakeAccount(roles: number) {
  const clock = { now: new Date(START) };
  const jobs: string[][] = [];
  const details = {
    UserDetailList: [],
    GroupDetailList: [],
    Policies: [],
    RoleDetailList: Array.from({ length: roles }, (_, i) => ({
      RoleName: `workload-${i}`,
      Arn: roleArn(i),
      Path: '/',
      RolePolicyList: [],
      AttachedManagedPolicies: [
        { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      ],
    })),
  };
  const empty = <T>(data: T): Promise<SourceRead<T>> => Promise.resolve({ data, gaps: [] });
  const source: AccountSource = {
    callerIdentity: async () => ({ accountId: ACCOUNT_ID }),
    homeRegion: async () => 'eu-west-1',
    organization: () => empty({ Organization: null }),
    enabledRegions: () => empty(['eu-west-1']),
    authorizationDetails: () => empty(details),
    credentialReport: async () => ({ gaps: [] }),
    accessKeys: () => empty({}),
    serverCertificates: () => empty({ ServerCertificateMetadataList: [] }),
    secrets: () => empty({ SecretList: [] }),
    secretPolicies: () => empty([]),
    serviceLastAccessed: async (_account, principalArns) => {
      jobs.push([...principalArns]);
      const completed = clock.now.toISOString();
      return {
        data: Object.fromEntries(
          principalArns.map((arn) => [
            arn,
            {
              JobStatus: 'COMPLETED',
              JobType: 'SERVICE_LEVEL',
              JobCreationDate: completed,
              JobCompletionDate: completed,
              ServicesLastAccessed: [{ ServiceName: 'Amazon S3', ServiceNamespace: 's3' }],
            },
          ]),
        ),
        gaps: [],
      };
    },
    apiCalls: () => ({}),
  };
  return { source, clock, jobs };
}

/** The cache port in memory, as the DynamoDB adapter behaves: it writes only what changed. */
class MemoryCache implements LastAccessedCache {
  readonly items = new Map<string, string>();
  readonly writes: number[] = [];
  loads = 0;
  failLoad = false;
  failSave = false;

  async load(accountId: string): Promise<ServiceLastAccessedByPrincipal> {
    this.loads++;
    if (this.failLoad) throw new Error('ProvisionedThroughputExceededException: slow down');
    const data: ServiceLastAccessedByPrincipal = {};
    for (const [key, json] of this.items) {
      const [account, arn] = key.split('\n') as [string, string];
      if (account === accountId) data[arn] = JSON.parse(json);
    }
    return data;
  }

  async save(accountId: string, data: ServiceLastAccessedByPrincipal): Promise<LastAccessedSaveResult> {
    if (this.failSave) throw new Error('ResourceNotFoundException: no table');
    let written = 0;
    let unchanged = 0;
    for (const [arn, output] of Object.entries(data)) {
      const key = `${accountId}\n${arn}`;
      const json = JSON.stringify(output);
      if (this.items.get(key) === json) {
        unchanged++;
      } else {
        this.items.set(key, json);
        written++;
      }
    }
    this.writes.push(written);
    return { written, unchanged };
  }
}

function scanOn(
  account: ReturnType<typeof fakeAccount>,
  cache: LastAccessedCache,
  day: number,
  maxJobs: number,
) {
  account.clock.now = new Date(START + (day - 1) * DAY_MS);
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  return collectWithLastAccessedCache(
    {
      source: account.source,
      now: () => account.clock.now,
      cache,
      warn: (message, fields) => warnings.push({ message, fields }),
    },
    { settings: { disabledRules: [] }, serviceLastAccessed: { maxJobs } },
  ).then((result) => ({ result, warnings }));
}

function jobCapGaps(result: { coverageGaps: { source: string; detail?: string }[] }) {
  return result.coverageGaps.filter((gap) => gap.detail === 'job-cap');
}

describe('service last accessed with a cache', () => {
  it('covers 5,000 roles at 1,000 jobs a day after 5 daily scans, then refreshes the stalest first', async () => {
    const account = fakeAccount(5000);
    const cache = new MemoryCache();
    const all = Array.from({ length: 5000 }, (_, i) => roleArn(i));
    const covered = new Set<string>();

    for (let day = 1; day <= 5; day++) {
      const { result, warnings } = await scanOn(account, cache, day, 1000);
      const slice = account.jobs.at(-1)!;
      // Principals without data go first, in ARN order: day d generates the d-th thousand.
      expect(slice).toEqual(all.slice((day - 1) * 1000, day * 1000));
      for (const arn of slice) covered.add(arn);
      expect(result.serviceLastAccessed).toEqual({
        generated: 1000,
        reused: (day - 1) * 1000,
        deferred: 5000 - day * 1000,
      });
      expect(result.lastAccessedCache).toEqual({
        loaded: (day - 1) * 1000,
        written: 1000,
        unchanged: (day - 1) * 1000,
        failed: false,
      });
      // Until every principal has data, the ones without are a coverage gap, never silently healthy.
      expect(jobCapGaps(result)).toHaveLength(day < 5 ? 1 : 0);
      expect(Object.keys(result.raw.serviceLastAccessed ?? {})).toHaveLength(day * 1000);
      expect(warnings).toEqual([]);
    }
    expect(covered.size).toBe(5000);
    expect(cache.writes).toEqual([1000, 1000, 1000, 1000, 1000]);

    // Day 6: every result is at most 5 days old (the default reuse window is 7): no job, no write.
    const day6 = await scanOn(account, cache, 6, 1000);
    expect(account.jobs).toHaveLength(5);
    expect(day6.result.serviceLastAccessed).toEqual({ generated: 0, reused: 5000, deferred: 0 });
    expect(day6.result.lastAccessedCache).toMatchObject({ written: 0, unchanged: 5000 });

    // Day 9: day 1's results are 8 days old, day 2's exactly 7: only day 1's slice is refreshed.
    const day9 = await scanOn(account, cache, 9, 1000);
    expect(account.jobs.at(-1)).toEqual(all.slice(0, 1000));
    expect(day9.result.serviceLastAccessed).toEqual({ generated: 1000, reused: 4000, deferred: 0 });
    expect(day9.result.lastAccessedCache).toMatchObject({ written: 1000, unchanged: 4000 });

    // Day 11 with room for 500: days 2 and 3 are stale; the 500 stalest (day 2's, by ARN) go first.
    const day11 = await scanOn(account, cache, 11, 500);
    expect(account.jobs.at(-1)).toEqual(all.slice(1000, 1500));
    expect(day11.result.serviceLastAccessed).toEqual({ generated: 500, reused: 3000, deferred: 1500 });
    // Deferred principals keep their older data: no gap, since nobody is left without any.
    expect(jobCapGaps(day11.result)).toEqual([]);
    const kept = day11.result.raw.serviceLastAccessed![all[2500]!] as { JobCompletionDate: string };
    expect(kept.JobCompletionDate).toBe(new Date(START + 2 * DAY_MS).toISOString());
  });

  it('collects without the cache when it cannot be read, and warns', async () => {
    const account = fakeAccount(3);
    const cache = new MemoryCache();
    cache.failLoad = true;
    const { result, warnings } = await scanOn(account, cache, 1, 2);
    expect(result.serviceLastAccessed).toEqual({ generated: 2, reused: 0, deferred: 1 });
    expect(jobCapGaps(result)).toHaveLength(1);
    expect(result.lastAccessedCache).toEqual({ loaded: 0, written: 2, unchanged: 0, failed: true });
    expect(warnings).toEqual([
      {
        message: 'service-last-accessed cache not read',
        fields: { accountId: ACCOUNT_ID, error: 'Error: ProvisionedThroughputExceededException: slow down' },
      },
    ]);
  });

  it('returns the collection when the cache cannot be written, and warns', async () => {
    const account = fakeAccount(2);
    const cache = new MemoryCache();
    cache.failSave = true;
    const { result, warnings } = await scanOn(account, cache, 1, 10);
    expect(Object.keys(result.raw.serviceLastAccessed ?? {})).toEqual([roleArn(0), roleArn(1)]);
    expect(result.lastAccessedCache).toEqual({ loaded: 0, written: 0, unchanged: 0, failed: true });
    expect(warnings.map((w) => w.message)).toEqual(['service-last-accessed cache not saved']);
  });

  it('neither reads nor writes the cache when the rule needing it is disabled', async () => {
    const account = fakeAccount(2);
    const cache = new MemoryCache();
    account.clock.now = new Date(START);
    const result = await collectWithLastAccessedCache(
      { source: account.source, now: () => account.clock.now, cache, warn: () => {} },
      { settings: { disabledRules: ['unused-service-permissions'] } },
    );
    expect(cache.loads).toBe(0);
    expect(cache.writes).toEqual([]);
    expect(account.jobs).toEqual([]);
    expect(result.lastAccessedCache).toEqual({ loaded: 0, written: 0, unchanged: 0, failed: false });
  });
});
