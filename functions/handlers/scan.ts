import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { parseScanFunctionConfig, type ScanFunctionConfig } from '../core/scan-function-config';
import { type RunScanDeps, type RunScanResult, runScan } from '../use-cases/run-scan';
import { cachedLiveCollector, collectedInput, lastAccessedCache } from '../wiring/collect';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { scanDeps } from '../wiring/scan';

/**
 * The scan function: invoked on a schedule, scans the account it runs in, stores the findings'
 * lifecycle and publishes FindingOpened / FindingResolved / ScanCompleted. Configuration is parsed
 * on the first invocation (a bad variable fails it, naming the variable); clients are created then
 * and reused while the function is warm.
 */

export interface ScanHandlerDeps {
  config: ScanFunctionConfig;
  scan: RunScanDeps;
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
  return {
    config,
    scan: scanDeps({
      aws: {},
      table: config.findingsTableName,
      eventBus: config.eventBusName,
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
}

/** The handler over dependencies built once, on the first invocation, by `build`. */
export function createHandler(
  build: () => ScanHandlerDeps,
  observability: Observability = createObservability(),
): (event: unknown, context: Context) => Promise<ScanOutcome> {
  const { logger, metrics } = observability;
  let deps: ScanHandlerDeps | undefined;
  return instrument(async () => {
    try {
      deps ??= build();
    } catch (error) {
      logger.error('scan function misconfigured', { error: error as Error });
      throw error;
    }
    const { config, scan } = deps;
    try {
      const result = await runScan(scan, {
        settings: config.settings,
        ...(config.resolvedTtlDays !== undefined ? { resolvedTtlDays: config.resolvedTtlDays } : {}),
      });
      const outcome = summarize(result);
      record(outcome, result, observability);
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

function summarize(result: RunScanResult): ScanOutcome {
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
  };
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
