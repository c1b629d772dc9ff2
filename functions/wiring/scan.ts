import { randomBytes } from 'node:crypto';
import type { DrainOutboxDeps } from '../use-cases/drain-outbox';
import type { CollectedInput, RunScanDeps } from '../use-cases/run-scan';
import type { AwsConfig } from './aws';
import { reportArchive } from './reports';
import { eventOutbox, eventPublisher, findingsStore } from './stores';

export interface ScanWiringConfig {
  /** Where the findings table (and the event bus) are. */
  aws: AwsConfig;
  table: string;
  /** FindingOpened / FindingResolved / ScanCompleted go here; no events without it. */
  eventBus?: string;
  /** The scan's input: a live collection or an export directory. */
  collect(): Promise<CollectedInput>;
  /** The reports bucket and its key; each scan's report is archived there when set. */
  reports?: { bucket: string; kmsKeyArn: string };
}

/** What the scan use case needs to store one scan: the table, the bus, the clock, the scan id suffix. */
export function scanDeps(config: ScanWiringConfig): RunScanDeps {
  return {
    collect: config.collect,
    store: findingsStore(config.aws, config.table),
    ...(config.eventBus
      ? { events: eventPublisher(config.aws, config.eventBus), outbox: eventOutbox(config.aws, config.table) }
      : {}),
    ...(config.reports ? { reports: reportArchive(config.aws, config.reports) } : {}),
    now: () => new Date(),
    randomSuffix: () => randomBytes(4).toString('hex'),
  };
}

/**
 * What `drainOutbox` needs: the outbox in the table and the bus. For the scan function, and for any
 * scheduled function that sends what the bus refused without waiting for the next scan.
 */
export function drainOutboxDeps(aws: AwsConfig, table: string, eventBus: string): DrainOutboxDeps {
  return { outbox: eventOutbox(aws, table), events: eventPublisher(aws, eventBus) };
}
