import { describeError } from '../core/describe-error';
import {
  type CollectDeps,
  type CollectOptions,
  type CollectProgress,
  type CollectResult,
  collectAccount,
} from './collect';
import type { LastAccessedCache, ServiceLastAccessedByPrincipal } from './last-accessed-ports';

export interface CachedCollectDeps extends CollectDeps {
  cache: LastAccessedCache;
  /**
   * A cache that cannot be read or written does not fail the collection: it is reported here. A
   * scan without it generates its budget of jobs and reports the principals left without data as
   * a coverage gap, as on a first scan.
   */
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface LastAccessedCacheUse {
  /** Cached results loaded for the account (0 when the cache was not read). */
  loaded: number;
  /** Principals written back: those whose result this collection generated or changed. */
  written: number;
  unchanged: number;
  /** Whether reading or writing the cache failed (then warned). */
  failed: boolean;
}

export interface CachedCollectResult extends CollectResult {
  lastAccessedCache: LastAccessedCacheUse;
}

/**
 * A live collection whose service-last-accessed results survive it: the cache of the account is
 * loaded once the account is identified (and only if the rule needing it is enabled), fresh
 * results are reused, at most `maxJobs` are generated, and everything collected is saved back
 * right after the collection, before the analysis, so jobs already paid for are kept even if the
 * scan fails later. The store writes only the principals whose result changed.
 */
export async function collectWithLastAccessedCache(
  deps: CachedCollectDeps,
  options: CollectOptions,
  progress?: CollectProgress,
): Promise<CachedCollectResult> {
  const cached = lastAccessedCacheSession(deps);
  const result = await collectAccount(
    deps,
    { ...options, serviceLastAccessed: { ...options.serviceLastAccessed, previous: cached.previous } },
    progress,
  );
  await cached.save(result.accountId, result.raw.serviceLastAccessed ?? {});
  return { ...result, lastAccessedCache: cached.use };
}

/** One collection's use of the cache: its loader, its save, and what they did. */
export interface LastAccessedCacheSession {
  /** The collection's `serviceLastAccessed.previous`: the account's cached results, or none. */
  previous(accountId: string): Promise<ServiceLastAccessedByPrincipal>;
  /** Saves what the collection read (nothing when it read nothing). */
  save(accountId: string, collected: ServiceLastAccessedByPrincipal): Promise<void>;
  readonly use: LastAccessedCacheUse;
}

/**
 * Loading and saving for one collection, never failing it: a cache that cannot be read or written
 * is warned about and recorded in `use`. A collection in steps (an organization run's account
 * step) loads in the step that plans its jobs and saves in the one that finishes.
 */
export function lastAccessedCacheSession(
  deps: Pick<CachedCollectDeps, 'cache' | 'warn'>,
): LastAccessedCacheSession {
  const use: LastAccessedCacheUse = { loaded: 0, written: 0, unchanged: 0, failed: false };
  return {
    use,
    async previous(accountId) {
      try {
        const data = await deps.cache.load(accountId);
        use.loaded = Object.keys(data).length;
        return data;
      } catch (error) {
        use.failed = true;
        deps.warn('service-last-accessed cache not read', { accountId, error: describeError(error) });
        return {};
      }
    },
    async save(accountId, collected) {
      if (Object.keys(collected).length === 0) return;
      try {
        const saved = await deps.cache.save(accountId, collected);
        use.written = saved.written;
        use.unchanged = saved.unchanged;
      } catch (error) {
        use.failed = true;
        deps.warn('service-last-accessed cache not saved', { accountId, error: describeError(error) });
      }
    },
  };
}
