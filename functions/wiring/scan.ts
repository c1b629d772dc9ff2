import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoJitStore } from '../adapters/dynamo-jit-store';
import {
  GOVERNANCE_METRIC_DIMENSION,
  type GovernanceMetric,
  type GovernanceMetricsSink,
  governanceMetrics,
} from '../core/governance';
import type { JitStateInput } from '../core/normalize/jit';
import type { ReviewStateInput } from '../core/normalize/review';
import type { ArchivableReportFormat } from '../core/report-archive';
import type { DrainOutboxDeps } from '../use-cases/drain-outbox';
import { readJitScanState } from '../use-cases/read-jit-state';
import { readReviewScanState } from '../use-cases/read-review-state';
import type { CollectedInput, RunScanDeps, RunScanResult } from '../use-cases/run-scan';
import { type AwsConfig, sdkConfig } from './aws';
import { archiveDeps } from './reports';
import { eventOutbox, eventPublisher, findingsStore, reviewStore } from './stores';

export interface ScanWiringConfig {
  /** Where the findings table (and the event bus) are. */
  aws: AwsConfig;
  table: string;
  /** FindingOpened / FindingResolved / ScanCompleted go here; no events without it. */
  eventBus?: string;
  /** The scan's input: a live collection or an export directory. */
  collect(): Promise<CollectedInput>;
  /** The reports bucket, its key and the formats; each scan's report is archived there when set. */
  reports?: { bucket: string; kmsKeyArn: string; formats?: readonly ArchivableReportFormat[] };
  /**
   * The report carries the account's measures over its last scans (the HTML "Over time" charts).
   * Default: when reports are archived.
   */
  trend?: boolean;
  /** Reads the just-in-time eligibilities and break-glass elevations from the table (elevation deployed). */
  readJitState?: boolean;
  /** Reads the review campaigns and attestations from the table (entitlement reviews enabled). */
  readReviewState?: boolean;
}

/** What the scan use case needs to store one scan: the table, the bus, the clock, the scan id suffix. */
export function scanDeps(config: ScanWiringConfig): RunScanDeps {
  const store = findingsStore(config.aws, config.table);
  return {
    collect: config.collect,
    store,
    ...((config.trend ?? config.reports !== undefined) ? { history: store } : {}),
    ...(config.eventBus
      ? { events: eventPublisher(config.aws, config.eventBus), outbox: eventOutbox(config.aws, config.table) }
      : {}),
    ...(config.reports ? archiveDeps(config.aws, config.reports) : {}),
    ...(config.readJitState ? { jitState: jitStateReader(config.aws, config.table) } : {}),
    ...(config.readReviewState ? { reviewState: reviewStateReader(config.aws, config.table) } : {}),
    now: () => new Date(),
    randomSuffix: () => randomBytes(4).toString('hex'),
  };
}

/**
 * Reads one account's just-in-time state from the findings table. A stored item that cannot be
 * read is named in the result and the others are kept; a failed query fails the read (the scan
 * records a coverage gap).
 */
export function jitStateReader(aws: AwsConfig, table: string): (accountId: string) => Promise<JitStateInput> {
  const client = new DynamoDBClient(sdkConfig(aws));
  return async (accountId) => {
    const unreadable: { item: string; reason: string }[] = [];
    const store = new DynamoJitStore(client, table, {
      onMalformed: (item) =>
        unreadable.push({ item: `${item.key.PK} / ${item.key.SK}`, reason: item.issues.join('; ') }),
    });
    return readJitScanState(store, accountId, () => unreadable);
  };
}

/** Reads one account's review standings and attestations from the findings table. */
export function reviewStateReader(
  aws: AwsConfig,
  table: string,
): (accountId: string, now: Date) => Promise<ReviewStateInput> {
  const store = reviewStore(aws, table);
  return (accountId, now) => readReviewScanState(store, accountId, now);
}

/**
 * What `drainOutbox` needs: the outbox in the table and the bus. For the scan function, and for any
 * scheduled function that sends what the bus refused without waiting for the next scan.
 */
export function drainOutboxDeps(aws: AwsConfig, table: string, eventBus: string): DrainOutboxDeps {
  return { outbox: eventOutbox(aws, table), events: eventPublisher(aws, eventBus) };
}

/**
 * Governance metrics through Powertools, one EMF document per scan: the function's namespace and
 * service (`POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_SERVICE_NAME`) plus the scanned account as a
 * dimension. A Metrics instance of their own keeps the account dimension off the function's
 * operational metrics, and publishing at once keeps one scan's values together.
 */
export function powertoolsGovernanceMetrics(
  create: () => Metrics = () => new Metrics(),
): GovernanceMetricsSink {
  return {
    publish(accountId: string, metrics: readonly GovernanceMetric[]): void {
      const sink = create();
      sink.setDefaultDimensions({ [GOVERNANCE_METRIC_DIMENSION]: accountId });
      for (const metric of metrics) {
        sink.addMetric(
          metric.name,
          metric.unit === 'Count' ? MetricUnit.Count : MetricUnit.NoUnit,
          metric.value,
        );
      }
      sink.publishStoredMetrics();
    },
  };
}

/**
 * A scan's governance measures as metrics, dimensioned by account. A superseded scan has none (its
 * data is older than what is stored). Metrics are a view of what is stored: failing to send them is
 * logged, never a failed scan.
 */
export function publishGovernanceMetrics(
  sink: GovernanceMetricsSink | undefined,
  result: Pick<RunScanResult, 'accountId' | 'record'>,
  logger: Pick<Logger, 'warn'>,
): void {
  const governance = result.record.governance;
  if (!sink || !governance) return;
  try {
    sink.publish(result.accountId, governanceMetrics(governance));
  } catch (error) {
    logger.warn('governance metrics not published', { accountId: result.accountId, error: error as Error });
  }
}
