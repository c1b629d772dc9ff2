import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseSecurityHubExporterConfig } from '../core/report/asff-exporter-config';
import {
  batchItemFailures,
  type ExportSecurityHubDeps,
  exportToSecurityHub,
} from '../use-cases/export-security-hub';
import { createObservability, instrument, type Observability } from '../wiring/powertools';
import { securityHubExportDeps } from '../wiring/security-hub';

/**
 * The Security Hub exporter: reads `FindingOpened` / `FindingResolved` events from its queue and
 * imports them with `BatchImportFindings`. Messages that could not be imported are returned as
 * batch item failures, so the queue delivers only those again (and then to its dead-letter queue).
 */

export function securityHubExportHandlerDeps(env: NodeJS.ProcessEnv): ExportSecurityHubDeps {
  return securityHubExportDeps({}, parseSecurityHubExporterConfig(env));
}

export function createHandler(
  build: () => ExportSecurityHubDeps,
  observability: Observability = createObservability(),
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = observability;
  let deps: ExportSecurityHubDeps | undefined;
  return instrument(async (event: SQSEvent) => {
    deps ??= build();
    const messages = event.Records.map((record) => ({ messageId: record.messageId, body: record.body }));
    const report = await exportToSecurityHub(deps, messages);
    for (const skipped of report.skipped) {
      logger.info('finding event not imported', { messageId: skipped.messageId, reason: skipped.reason });
    }
    for (const failed of report.failed) {
      logger.error('finding event import failed', { messageId: failed.messageId, reason: failed.reason });
    }
    metrics.addMetric('FindingsImported', 'Count', report.imported);
    metrics.addMetric('FindingImportsFailed', 'Count', report.failed.length);
    metrics.addMetric('ImportCallsThrottled', 'Count', report.throttled);
    return { batchItemFailures: batchItemFailures(report) };
  }, observability);
}

export const handler = createHandler(() => securityHubExportHandlerDeps(process.env));
