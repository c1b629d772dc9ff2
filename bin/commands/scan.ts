import { readExportDirectory } from '../../functions/adapters/export-reader';
import { checkOutputFile, writeFileAtomic } from '../../functions/adapters/output-file';
import { gapCount } from '../../functions/core/coverage-gaps';
import {
  type AnalysisReport,
  countAtOrAbove,
  formatReport,
  type ReportFormat,
  withMinSeverity,
} from '../../functions/core/report';
import type { Severity } from '../../functions/core/rule';
import type { ScanSettings } from '../../functions/core/settings';
import { analyzeAccount } from '../../functions/use-cases/analyze';
import type { CollectedInput } from '../../functions/use-cases/run-scan';
import { collectLive, type LiveOptions } from './collect';
import { EXIT, fail, type Io, loadSettings, MAX_GAPS_ON_STDERR, noColor } from './io';
import { tableAwsConfig } from './options';

export interface ScanOptions extends LiveOptions {
  export?: string;
  asOf?: Date;
  config?: string;
  format: ReportFormat;
  output?: string;
  failOn?: Severity;
  minSeverity?: Severity;
  /** DynamoDB findings table to store the scan in (lifecycle: opened, resolved, ...). */
  table?: string;
  /** EventBridge bus for FindingOpened / FindingResolved / ScanCompleted (with --table). */
  eventBus?: string;
}

/** `scan`: analyse an export or the live account and report the findings. */
export async function scanCommand(options: ScanOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  if (options.output) await checkOutputFile(options.output);
  if (options.table) return storedScanCommand({ ...options, table: options.table }, settings, io);
  if (options.eventBus) fail('--event-bus publishes what a stored scan changed: add --table NAME');
  if (options.export && (options.profile || options.region?.length || options.endpointUrl)) {
    fail('--profile, --region and --endpoint-url read a live account; they cannot be combined with --export');
  }
  const input = await readInput(options, settings, io);
  const full = analyzeAccount(input.raw, {
    settings,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    now: new Date(),
    ...(input.apiCalls ? { apiCalls: input.apiCalls } : {}),
  });
  await printReport(full, options, io);
  return exitForFindings(full, options.failOn, io);
}

/**
 * `scan --table`: the scan is reconciled with the stored findings and only what changed is written
 * (and published with --event-bus). --profile, --region and --endpoint-url also locate the table.
 */
async function storedScanCommand(
  options: ScanOptions & { table: string },
  settings: ScanSettings,
  io: Io,
): Promise<number> {
  const aws = await tableAwsConfig(options);
  const [{ runScan }, { scanDeps }] = await Promise.all([
    import('../../functions/use-cases/run-scan'),
    import('../../functions/wiring/scan'),
  ]);
  const result = await runScan(
    scanDeps({
      aws,
      table: options.table,
      ...(options.eventBus ? { eventBus: options.eventBus } : {}),
      collect: () => readInput(options, settings, io),
    }),
    { settings, ...(options.asOf ? { asOf: options.asOf } : {}) },
  );
  await printReport(result.report, options, io);
  const { record, writes } = result;
  if (record.outcome === 'superseded') {
    io.stderr.write(
      `iam-posture: warning: scan ${record.scanId} changed nothing in table ${options.table}: ` +
        `it already holds a scan of newer data than ${record.evaluatedAt} (recorded as superseded)\n`,
    );
  } else {
    const c = record.changes;
    io.stderr.write(
      `iam-posture: stored scan ${record.scanId} of account ${record.accountId} in table ${options.table}: ` +
        `${c.opened} opened, ${c.reopened} reopened, ${c.resolved} resolved, ${c['severity-changed']} severity changed, ` +
        `${c.suppressed + c['suppression-changed'] + c.unsuppressed} suppression changes, ${record.unchanged} unchanged, ` +
        `${record.held} held (not fully read)${record.unread?.length ? `, not read: ${record.unread.join(', ')}` : ''}; ${writes.writeRequests} write request${writes.writeRequests === 1 ? '' : 's'}, ` +
        `${writes.estimatedWcu} write units\n`,
    );
  }
  for (const warning of result.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
  return exitForFindings(result.report, options.failOn, io);
}

/** Where the raw AWS documents come from: an export directory, else the live account. */
async function readInput(options: ScanOptions, settings: ScanSettings, io: Io): Promise<CollectedInput> {
  if (options.export) return { raw: await readExportDirectory(options.export), origin: 'export' };
  const result = await collectLive(options, settings, io);
  const { collectedInput } = await import('../../functions/wiring/collect');
  return collectedInput(result);
}

/** The report (cut to `--min-severity`) on stdout or in `--output`, then its coverage gaps on stderr. */
async function printReport(
  full: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output' | 'minSeverity'>,
  io: Io,
): Promise<void> {
  const report = options.minSeverity ? withMinSeverity(full, options.minSeverity) : full;
  await emitReport(report, options, io);
  warnAboutCoverage(full, options, io);
}

/** Formats the report for stdout (a terminal gets colour) or for `--output` (atomically written). */
async function emitReport(
  report: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output'>,
  io: Io,
): Promise<void> {
  const terminal = !options.output && io.stdout.isTTY === true;
  const text = formatReport(report, options.format, {
    color: terminal && !noColor(io.env),
    ...(terminal && io.stdout.columns ? { width: io.stdout.columns } : {}),
  });
  if (!options.output) {
    io.stdout.write(text);
    return;
  }
  await writeFileAtomic(options.output, text);
  io.stderr.write(
    `iam-posture: wrote ${options.format} report to ${options.output} (${report.summary.total} findings)\n`,
  );
}

/** Coverage gaps are never silent: their count and where they are go to stderr. */
function warnAboutCoverage(
  report: AnalysisReport,
  options: Pick<ScanOptions, 'format' | 'output'>,
  io: Io,
): void {
  const gaps = report.coverage;
  if (gaps.length === 0) return;
  const bySource = new Map<string, number>();
  for (const gap of gaps) bySource.set(gap.source, (bySource.get(gap.source) ?? 0) + 1);
  const where = [...bySource].map(([source, count]) => `${source} (${count})`).join(', ');
  const occurrences = gaps.reduce((sum, gap) => sum + gapCount(gap), 0);
  const seen = occurrences > gaps.length ? ` (seen ${occurrences} times)` : '';
  const listedInOutput = options.format === 'table' && !options.output;
  io.stderr.write(
    `iam-posture: warning: ${gaps.length} coverage gap${gaps.length === 1 ? '' : 's'}${seen} in ${where}; ` +
      `findings there may be incomplete${listedInOutput ? ' (listed above)' : ''}\n`,
  );
  if (listedInOutput) return;
  const shown = gaps.slice(0, MAX_GAPS_ON_STDERR);
  for (const gap of shown) {
    const times = gap.count === undefined ? '' : `, ${gap.count} times`;
    io.stderr.write(`  ${gap.source}${gap.detail ? ` ${gap.detail}` : ''}${times}: ${gap.reason}\n`);
  }
  if (gaps.length > shown.length) {
    io.stderr.write(`  ... and ${gaps.length - shown.length} more (see "coverage" in --format json)\n`);
  }
}

/**
 * 1 when an unsuppressed finding is at or above `--fail-on`, whatever `--min-severity` hides; one
 * line on stderr says how many.
 */
function exitForFindings(report: AnalysisReport, failOn: Severity | undefined, io: Io): number {
  if (!failOn) return EXIT.ok;
  const count = countAtOrAbove(report, failOn);
  if (count === 0) return EXIT.ok;
  io.stderr.write(
    `iam-posture: ${count} unsuppressed finding${count === 1 ? '' : 's'} at or above ${failOn} (--fail-on ${failOn})\n`,
  );
  return EXIT.findings;
}
