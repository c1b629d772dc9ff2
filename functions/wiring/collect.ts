import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '../adapters/aws/clients';
import { AwsCollector } from '../adapters/aws/collector';
import {
  DynamoLastAccessedCache,
  type DynamoLastAccessedCacheOptions,
} from '../adapters/dynamo-last-accessed-cache';
import {
  type CollectOptions,
  type CollectProgress,
  type CollectResult,
  collectAccount,
} from '../use-cases/collect';
import { type CachedCollectResult, collectWithLastAccessedCache } from '../use-cases/collect-with-cache';
import type { LastAccessedCache } from '../use-cases/last-accessed-ports';
import type { CollectedInput } from '../use-cases/run-scan';
import { type AwsConfig, awsClients, sdkConfig } from './aws';

/** Live collection of one account, with the clients it needs and their API-call counter. */
export interface LiveCollector<R extends CollectResult = CollectResult> {
  collect(options: CollectOptions, progress?: CollectProgress): Promise<R>;
  /** The region IAM and STS are called in; the default secrets region. */
  homeRegion(): Promise<string>;
  /** Closes the clients' connections. */
  destroy(): void;
}

/** The collector for the account `aws` reaches; clients are created on first use, then reused. */
export function liveCollector(aws: AwsConfig, clients: AwsClients = awsClients(aws)): LiveCollector {
  const source = new AwsCollector(clients);
  return {
    collect: (options, progress) => collectAccount({ source, now: () => new Date() }, options, progress),
    homeRegion: () => clients.homeRegion(),
    destroy: () => clients.destroy(),
  };
}

export interface CachedCollectorConfig {
  /** Where service-last-accessed results are kept between scans (see `lastAccessedCache`). */
  cache: LastAccessedCache;
  /** Service-last-accessed jobs per collection; the collector's default (100) otherwise. */
  maxJobs?: number;
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * The collector for the account `aws` reaches, with service-last-accessed results cached between
 * collections. The cache lives with the findings table, which may be in another account than the
 * one collected (an organization's member account): it is built from its own config.
 */
export function cachedLiveCollector(
  aws: AwsConfig,
  config: CachedCollectorConfig,
  clients: AwsClients = awsClients(aws),
): LiveCollector<CachedCollectResult> {
  const source = new AwsCollector(clients);
  const warn = config.warn ?? (() => {});
  return {
    collect: (options, progress) =>
      collectWithLastAccessedCache(
        { source, now: () => new Date(), cache: config.cache, warn },
        config.maxJobs === undefined
          ? options
          : { ...options, serviceLastAccessed: { ...options.serviceLastAccessed, maxJobs: config.maxJobs } },
        progress,
      ),
    homeRegion: () => clients.homeRegion(),
    destroy: () => clients.destroy(),
  };
}

/** The service-last-accessed cache in the findings table `table` (reached with `aws`). */
export function lastAccessedCache(
  aws: AwsConfig,
  table: string,
  options: DynamoLastAccessedCacheOptions = {},
): DynamoLastAccessedCache {
  return new DynamoLastAccessedCache(new DynamoDBClient(sdkConfig(aws)), table, options);
}

/** A live collection as the scan use case takes it. */
export function collectedInput(result: CollectResult): CollectedInput {
  return { raw: result.raw, origin: 'live', apiCalls: result.apiCalls };
}
