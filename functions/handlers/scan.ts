import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type AwsClients, createAwsClients } from '../adapters/aws/clients';
import { AwsCollector } from '../adapters/aws/collector';
import { DynamoFindingsStore } from '../adapters/dynamo-findings-store';
import { EventBridgePublisher } from '../adapters/event-publisher';
import { parseScanFunctionConfig, type ScanFunctionConfig } from '../core/scan-function-config';
import { collectAccount } from '../use-cases/collect';
import { type CollectedInput, type RunScanDeps, type RunScanResult, runScan } from '../use-cases/run-scan';

/**
 * The scan function: invoked on a schedule, scans the account it runs in, stores the findings'
 * lifecycle and publishes FindingOpened / FindingResolved / ScanCompleted. Configuration is parsed
 * on the first invocation (a bad variable fails it, naming the variable); clients are created then
 * and reused while the function is warm.
 */

const logger = new Logger({ serviceName: 'iam-posture-scan' });
const metrics = new Metrics({ namespace: 'IamPosture', serviceName: 'iam-posture-scan' });

interface Dependencies {
  config: ScanFunctionConfig;
  aws: AwsClients;
  collector: AwsCollector;
  store: DynamoFindingsStore;
  events: EventBridgePublisher;
}

let dependencies: Dependencies | undefined;

function build(): Dependencies {
  if (dependencies) return dependencies;
  const config = parseScanFunctionConfig(process.env);
  const aws = createAwsClients({});
  dependencies = {
    config,
    aws,
    collector: new AwsCollector(aws),
    store: new DynamoFindingsStore(new DynamoDBClient({}), config.findingsTableName),
    events: new EventBridgePublisher(new EventBridgeClient({}), { eventBusName: config.eventBusName }),
  };
  return dependencies;
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

export async function handler(): Promise<ScanOutcome> {
  let deps: Dependencies;
  try {
    deps = build();
  } catch (error) {
    logger.error('scan function misconfigured', { error: error as Error });
    throw error;
  }
  const { config } = deps;
  const scanDeps: RunScanDeps = {
    collect: () => collectLive(deps),
    store: deps.store,
    events: deps.events,
    now: () => new Date(),
    randomSuffix: () => randomBytes(4).toString('hex'),
  };
  try {
    const result = await runScan(scanDeps, {
      settings: config.settings,
      ...(config.resolvedTtlDays !== undefined ? { resolvedTtlDays: config.resolvedTtlDays } : {}),
    });
    const outcome = summarize(result);
    record(outcome, result);
    return outcome;
  } catch (error) {
    metrics.addMetric('ScanFailed', MetricUnit.Count, 1);
    logger.error('scan failed', { error: error as Error });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}

/** A live collection with this invocation's API calls (the clients, and their counter, outlive it). */
async function collectLive(deps: Dependencies): Promise<CollectedInput> {
  const before = deps.aws.apiCalls.snapshot();
  const collected = await collectAccount(
    { source: deps.collector, now: () => new Date() },
    {
      settings: deps.config.settings,
      ...(deps.config.secretsRegions !== undefined ? { regions: deps.config.secretsRegions } : {}),
    },
  );
  const apiCalls: Record<string, number> = {};
  for (const [operation, count] of Object.entries(deps.aws.apiCalls.snapshot())) {
    const calls = count - (before[operation] ?? 0);
    if (calls > 0) apiCalls[operation] = calls;
  }
  return { raw: collected.raw, origin: 'live', apiCalls };
}

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

function record(outcome: ScanOutcome, result: RunScanResult): void {
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
