import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { GovernanceMetricsSink } from '../core/governance';
import { parseScanFunctionConfig, type ScanFunctionConfig } from '../core/scan-function-config';
import { type DrainOutboxDeps, drainOutbox } from '../use-cases/drain-outbox';
import { type RunScanDeps, type RunScanResult, runScan } from '../use-cases/run-scan';
import { cachedLiveCollector, collectedInput, lastAccessedCache } from '../wiring/collect';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { reviewsAfterScanIn, startReviewsAfterScan } from '../wiring/review';
import {
  drainOutboxDeps,
  powertoolsGovernanceMetrics,
  publishGovernanceMetrics,
  scanDeps,
} from '../wiring/scan';

/**
 * The scan function: invoked on a schedule, scans the account it runs in, stores the findings'
 * lifecycle and publishes FindingOpened / FindingResolved / ScanCompleted. Before it collects, it
 * sends the events earlier scans of its account could not (the outbox), so a scan that then fails
 * still delivers them. Configuration is parsed
 * on the first invocation (a bad variable fails it, naming the variable); clients are created then
 * and reused while the function is warm.
 */

export interface ScanHandlerDeps {
  config: ScanFunctionConfig;
  scan: RunScanDeps;
  /** The outbox and the bus; without them nothing is drained before the scan. */
  drain?: DrainOutboxDeps;
  /** Where each scan's governance measures go as metrics; without it they are only stored. */
  governanceMetrics?: GovernanceMetricsSink;
  /** Entitlement reviews (`REVIEWS` enabled): starts the campaigns due, from what the scan read. */
  startDueReviews?: (result: RunScanResult) => Promise<{ campaign: { campaignId: string } }[]>;
}

/**
 * The function's dependencies from its environment: the Lambda's own role, region and table.
 * Service-last-accessed results are cached in the findings table: each scan generates at most
 * `SERVICE_LAST_ACCESSED_MAX_JOBS` jobs and saves what it collected right after collecting.
 */
export function scanHandlerDeps(
  env: NodeJS.ProcessEnv,
  logger?: Pick<Logger, 'warn' | 'info'>,
): ScanHandlerDeps {
  const config = parseScanFunctionConfig(env);
  const warn = (message: string, fields: Record<string, unknown>) => logger?.warn(message, fields);
  const collector = cachedLiveCollector(
    {},
    {
      cache: lastAccessedCache({}, config.findingsTableName, {
        onWarning: (message, warning) => warn(message, { ...warning }),
      }),
      maxJobs: config.serviceLastAccessedMaxJobs,
      warn,
    },
  );
  const collectOptions = {
    settings: config.settings,
    ...(config.secretsRegions !== undefined ? { regions: config.secretsRegions } : {}),
  };
  const startReviews = reviewsAfterScanIn({}, env, config);
  return {
    ...(startReviews ? { startDueReviews: startReviews } : {}),
    config,
    governanceMetrics: powertoolsGovernanceMetrics(),
    drain: drainOutboxDeps({}, config.findingsTableName, config.eventBusName),
    scan: scanDeps({
      aws: {},
      table: config.findingsTableName,
      eventBus: config.eventBusName,
      ...(config.reports ? { reports: config.reports } : {}),
      ...(config.readJitState ? { readJitState: true } : {}),
      // Where reviews are enabled, the scan reports identities whose review is overdue.
      ...(startReviews ? { readReviewState: true } : {}),
      collect: async () => {
        const result = await collector.collect(collectOptions);
        logger?.info('service last accessed', {
          accountId: result.accountId,
          ...result.serviceLastAccessed,
          cache: result.lastAccessedCache,
        });
        return collectedInput(result);
      },
    }),
  };
}

export interface ScanOutcome {
  scanId: string;
  accountId: string;
  outcome: RunScanResult['outcome'];
  findings: number;
  opened: number;
  resolved: number;
  held: number;
  coverageGaps: number;
  apiCalls: number;
  writeRequests: number;
  estimatedWcu: number;
  eventsFailed: number;
  /** Events of earlier scans sent before this one collected. */
  outboxSent: number;
  /** Events of this scan the bus refused, kept in the outbox for the next scan. */
  outboxKept: number;
}

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => ScanHandlerDeps,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<ScanOutcome> {
  const { logger, metrics } = observability;
  let deps: ScanHandlerDeps | undefined;
  return instrument(async (_event: unknown, context: Context) => {
    try {
      deps ??= build();
    } catch (error) {
      logger.error('scan function misconfigured', { error: error as Error });
      throw error;
    }
    const { config, scan } = deps;
    const outboxSent = await drainFirst(deps, accountOfFunction(context), observability);
    try {
      const result = await runScan(scan, {
        settings: config.settings,
        ...(config.resolvedTtlDays !== undefined ? { resolvedTtlDays: config.resolvedTtlDays } : {}),
      });
      const outcome = summarize(result, outboxSent);
      record(outcome, result, observability);
      publishGovernanceMetrics(deps.governanceMetrics, result, observability.logger);
      await startDueReviews(deps, result, observability);
      return outcome;
    } catch (error) {
      metrics.addMetric('ScanFailed', MetricUnit.Count, 1);
      logger.error('scan failed', { error: error as Error });
      throw error;
    }
  }, observability);
}

const observability = createObservability();
export const handler = createHandler(() => scanHandlerDeps(process.env, observability.logger), observability);

/** The account a function runs in, from its ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
function accountOfFunction(context: Context): string | undefined {
  const account = context.invokedFunctionArn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * Sends what earlier scans of the account left in the outbox. A failure here is logged, never
 * thrown: the scan itself tries the outbox again before it publishes.
 */
async function drainFirst(
  deps: ScanHandlerDeps,
  accountId: string | undefined,
  { logger }: Observability,
): Promise<number> {
  if (!deps.drain || accountId === undefined) return 0;
  try {
    const drained = await drainOutbox(deps.drain, { accountId });
    if (drained.sent + drained.failed + drained.dropped > 0) {
      logger.info('outbox drained', {
        accountId,
        sent: drained.sent,
        failed: drained.failed,
        dropped: drained.dropped,
      });
    }
    return drained.sent;
  } catch (error) {
    logger.warn('outbox could not be drained', { accountId, error: error as Error });
    return 0;
  }
}

function summarize(result: RunScanResult, drainedFirst: number): ScanOutcome {
  const { record } = result;
  return {
    scanId: result.scanId,
    accountId: result.accountId,
    outcome: result.outcome,
    findings: record.findings.total,
    opened: record.changes.opened + record.changes.reopened + record.changes.unsuppressed,
    resolved: record.changes.resolved,
    held: record.held,
    coverageGaps: record.coverageGapCount,
    apiCalls: record.apiCalls.total,
    writeRequests: result.writes.writeRequests,
    estimatedWcu: result.writes.estimatedWcu,
    eventsFailed: result.events?.failed.length ?? 0,
    outboxSent: drainedFirst + (result.outbox?.drained?.sent ?? 0),
    outboxKept: result.outbox?.kept ?? 0,
  };
}

/** Starts the entitlement review campaigns that are due; a failure is a warning, never a failed scan. */
async function startDueReviews(
  deps: ScanHandlerDeps,
  result: RunScanResult,
  { logger }: Observability,
): Promise<void> {
  const start = deps.startDueReviews;
  if (start) await startReviewsAfterScan(result, () => start(result), logger);
}

function record(outcome: ScanOutcome, result: RunScanResult, { logger, metrics }: Observability): void {
  metrics.addMetric('FindingsOpen', MetricUnit.Count, outcome.findings);
  metrics.addMetric('FindingsOpened', MetricUnit.Count, outcome.opened);
  metrics.addMetric('FindingsResolved', MetricUnit.Count, outcome.resolved);
  metrics.addMetric('FindingsHeld', MetricUnit.Count, outcome.held);
  metrics.addMetric('CoverageGaps', MetricUnit.Count, outcome.coverageGaps);
  metrics.addMetric('ApiCalls', MetricUnit.Count, outcome.apiCalls);
  metrics.addMetric('DynamoWriteRequests', MetricUnit.Count, outcome.writeRequests);
  metrics.addMetric('EventsFailed', MetricUnit.Count, outcome.eventsFailed);
  metrics.addMetric('OutboxEventsSent', MetricUnit.Count, outcome.outboxSent);
  metrics.addMetric('OutboxEventsKept', MetricUnit.Count, outcome.outboxKept);
  if (outcome.outcome === 'superseded') {
    logger.warn('scan superseded by a scan of newer data', {
      scanId: outcome.scanId,
      accountId: outcome.accountId,
    });
  } else {
    logger.info('scan completed', { ...outcome, changes: result.record.changes });
  }
  for (const warning of result.warnings) logger.warn('scan warning', { scanId: outcome.scanId, warning });
}
