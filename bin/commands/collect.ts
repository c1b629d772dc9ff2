import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkExportDestination, writeExportDirectory } from '../../functions/adapters/export-writer';
import { createStatusLine } from '../../functions/adapters/status-line';
import type { ScanSettings } from '../../functions/core/settings';
import { apiCallSummary } from '../../functions/use-cases/analyze';
import type { CollectResult } from '../../functions/use-cases/collect';
import { EXIT, type Io, loadSettings, MAX_GAPS_ON_STDERR } from './io';
import { type AwsOptions, liveAwsConfig, parseRegions } from './options';

/** The flags of a live collection (`collect`, and `scan` without `--export`). */
export interface LiveOptions extends AwsOptions {
  /** Every `--region` value; each may be a comma list, or `all`. */
  region?: string[];
  quiet?: boolean;
  /** Service-last-accessed jobs to generate at most; the collector's default otherwise. */
  serviceLastAccessedJobs?: number;
}

export interface CollectCommandOptions extends LiveOptions {
  out: string;
  config?: string;
}

/** `collect`: the live account into an export directory that `scan --export` reads. */
export async function collectCommand(options: CollectCommandOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  await checkExportDestination(options.out);
  const started = Date.now();
  const previous = await previousServiceLastAccessed(options.out);
  const result = await collectLive(options, settings, io, previous);
  const files = await writeExportDirectory(options.out, result.raw);
  io.stdout.write(collectSummary(result, options.out, files, Date.now() - started));
  return EXIT.ok;
}

/**
 * Collects the live account: the standard credential chain (or `--profile`), adaptive retries,
 * progress on a terminal's stderr unless `--quiet`.
 */
export async function collectLive(
  options: LiveOptions,
  settings: ScanSettings,
  io: Io,
  previousLastAccessed?: Record<string, unknown>,
): Promise<CollectResult> {
  const regions = parseRegions(options.region ?? []);
  // The AWS SDK loads only for commands that call AWS: an offline scan starts without it.
  const { liveCollector } = await import('../../functions/wiring/collect');
  const collector = liveCollector(liveAwsConfig(options, regions));
  const status = createStatusLine(io.stderr, { enabled: !options.quiet });
  try {
    return await collector.collect(
      {
        ...(regions ? { regions } : {}),
        settings,
        serviceLastAccessed: {
          ...(previousLastAccessed ? { previous: previousLastAccessed } : {}),
          ...(options.serviceLastAccessedJobs !== undefined
            ? { maxJobs: options.serviceLastAccessedJobs }
            : {}),
        },
      },
      (event) =>
        status.update(
          `iam-posture: ${event.message}${event.total === undefined ? '' : ` (${event.done ?? 0}/${event.total})`}`,
        ),
    );
  } finally {
    status.done();
    collector.destroy();
  }
}

/** Service-last-accessed results of the export being replaced: fresh ones need no new job. */
async function previousServiceLastAccessed(dir: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'service-last-accessed.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function collectSummary(result: CollectResult, dir: string, files: string[], elapsedMs: number): string {
  const calls = apiCallSummary(result.apiCalls);
  const lastAccessed = result.serviceLastAccessed;
  const lines = [
    `Collected account ${result.accountId} into ${dir} (${files.length} files) in ${(elapsedMs / 1000).toFixed(1)} s`,
    `  secrets regions: ${result.regions.join(', ')}`,
    `  service last accessed: ${lastAccessed.generated} generated, ${lastAccessed.reused} reused, ${lastAccessed.deferred} deferred`,
    `  coverage gaps: ${result.coverageGaps.length}`,
    ...result.coverageGaps
      .slice(0, MAX_GAPS_ON_STDERR)
      .map((gap) => `    ${gap.source}${gap.detail ? ` (${gap.detail})` : ''}: ${gap.reason}`),
    ...(result.coverageGaps.length > MAX_GAPS_ON_STDERR
      ? [
          `    ... and ${result.coverageGaps.length - MAX_GAPS_ON_STDERR} more (scan the export to see them all)`,
        ]
      : []),
    `  API calls: ${calls.total}`,
    ...Object.entries(calls.byOperation).map(([operation, count]) => `    ${operation.padEnd(44)} ${count}`),
  ];
  return `${lines.join('\n')}\n`;
}
