import type { AwsClients } from '../adapters/aws/clients';
import { AwsCollector } from '../adapters/aws/collector';
import {
  type CollectOptions,
  type CollectProgress,
  type CollectResult,
  collectAccount,
} from '../use-cases/collect';
import type { CollectedInput } from '../use-cases/run-scan';
import { type AwsConfig, awsClients } from './aws';

/** Live collection of one account, with the clients it needs and their API-call counter. */
export interface LiveCollector {
  collect(options: CollectOptions, progress?: CollectProgress): Promise<CollectResult>;
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

/** A live collection as the scan use case takes it. */
export function collectedInput(result: CollectResult): CollectedInput {
  return { raw: result.raw, origin: 'live', apiCalls: result.apiCalls };
}
