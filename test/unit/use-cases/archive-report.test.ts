import { beforeAll, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../../functions/adapters/export-reader';
import type { RawAccountData } from '../../../functions/core/raw';
import {
  ARCHIVED_REPORT_FORMAT,
  type ArchivableReportFormat,
  type ReportLocation,
} from '../../../functions/core/report-archive';
import { DEFAULT_SETTINGS } from '../../../functions/core/settings';
import type { ArchivedObject, ReportArchive } from '../../../functions/use-cases/report-archive-ports';
import {
  type EventsOutcome,
  type RunScanDeps,
  runScan,
  type ScanEvent,
} from '../../../functions/use-cases/run-scan';
import { MemoryStore } from '../../support/memory-store';

/** The scan's report, written to an archive once the findings are stored; a failed write costs a warning only. */

const NOW = new Date('2025-06-03T00:00:00.000Z');

class MemoryArchive implements ReportArchive {
  readonly objects: ArchivedObject[] = [];
  failure: Error | undefined;
  /** Keys ending in one of these fail; the others are written. */
  failingExtensions: string[] = [];
  async put(object: ArchivedObject): Promise<ReportLocation> {
    if (this.failure) throw this.failure;
    if (this.failingExtensions.some((extension) => object.key.endsWith(`.${extension}`))) {
      throw Object.assign(new Error(`s3://reports-bucket/${object.key} could not be written: SlowDown`), {
        name: 'ReportArchiveError',
      });
    }
    this.objects.push(object);
    return {
      bucket: 'reports-bucket',
      key: object.key,
      region: 'eu-west-1',
      contentType: object.contentType,
      bytes: Buffer.byteLength(object.body),
    };
  }
}

class RecordedEvents {
  readonly sent: ScanEvent[] = [];
  async publish(events: readonly ScanEvent[]): Promise<EventsOutcome> {
    this.sent.push(...events);
    return { events: events.length, published: events.length, failed: [], requests: 1, failedEntryCount: 0 };
  }
}

let demo: RawAccountData;
beforeAll(async () => {
  demo = await readExportDirectory('examples/demo-account');
});

function deps(
  store: MemoryStore,
  events: RecordedEvents,
  reports: MemoryArchive,
  reportFormats?: ArchivableReportFormat[],
): RunScanDeps {
  return {
    collect: async () => ({ raw: demo, origin: 'export' }),
    store,
    events,
    reports,
    ...(reportFormats ? { reportFormats } : {}),
    now: () => NOW,
    randomSuffix: () => 'beef0001',
  };
}

const scanCompleted = (events: RecordedEvents) => events.sent.find((e) => e.detailType === 'ScanCompleted');

describe('runScan with a report archive', () => {
  it('writes the report at its key and announces where it is in ScanCompleted', async () => {
    const [store, events, archive] = [new MemoryStore(), new RecordedEvents(), new MemoryArchive()];
    const result = await runScan(deps(store, events, archive), { settings: DEFAULT_SETTINGS });

    expect(archive.objects).toHaveLength(1);
    const [object] = archive.objects;
    expect(object!.key).toBe(
      `reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001.${ARCHIVED_REPORT_FORMAT.extension}`,
    );
    expect(object!.contentType).toBe(ARCHIVED_REPORT_FORMAT.contentType);
    expect(object!.fileName).toBe(
      `iam-posture-111122223333-20250603T000000.000Z-beef0001.${ARCHIVED_REPORT_FORMAT.extension}`,
    );
    expect(result.report.findings.length).toBeGreaterThan(0);
    for (const finding of result.report.findings) expect(object!.body).toContain(finding.id);

    const location = {
      bucket: 'reports-bucket',
      key: object!.key,
      region: 'eu-west-1',
      contentType: ARCHIVED_REPORT_FORMAT.contentType,
      bytes: Buffer.byteLength(object!.body),
    };
    expect(result.archivedReport).toEqual(location);
    expect(scanCompleted(events)?.detail.report).toEqual(location);
    expect(scanCompleted(events)?.detail.reports).toEqual([location]);
    expect(result.warnings).toEqual([]);
  });

  it('writes one object per configured format, and ScanCompleted still points at the HTML one', async () => {
    const [store, events, archive] = [new MemoryStore(), new RecordedEvents(), new MemoryArchive()];
    const result = await runScan(deps(store, events, archive, ['sarif', 'json', 'html', 'csv', 'ocsf']), {
      settings: DEFAULT_SETTINGS,
    });

    const base = 'reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001';
    expect(archive.objects.map((object) => [object.key, object.contentType, object.fileName])).toEqual([
      [
        `${base}.sarif`,
        'application/sarif+json',
        'iam-posture-111122223333-20250603T000000.000Z-beef0001.sarif',
      ],
      [`${base}.json`, 'application/json', 'iam-posture-111122223333-20250603T000000.000Z-beef0001.json'],
      [
        `${base}.html`,
        'text/html; charset=utf-8',
        'iam-posture-111122223333-20250603T000000.000Z-beef0001.html',
      ],
      [
        `${base}.csv`,
        'text/csv; charset=utf-8',
        'iam-posture-111122223333-20250603T000000.000Z-beef0001.csv',
      ],
      [
        `${base}.ocsf.jsonl`,
        'application/x-ndjson',
        'iam-posture-111122223333-20250603T000000.000Z-beef0001.ocsf.jsonl',
      ],
    ]);
    expect((JSON.parse(archive.objects[0]!.body) as { version: string }).version).toBe('2.1.0');
    for (const object of archive.objects) {
      for (const finding of result.report.findings) expect(object.body).toContain(finding.id);
    }
    expect(result.archivedReport?.key).toBe(`${base}.html`);
    expect(result.archivedReports?.map((location) => location.key)).toEqual(
      archive.objects.map((o) => o.key),
    );
    const detail = scanCompleted(events)?.detail;
    expect(detail?.report).toEqual(result.archivedReport);
    expect(detail?.reports).toEqual(result.archivedReports);
    expect(result.warnings).toEqual([]);
  });

  it('writes the other formats when one fails, with a warning naming the format', async () => {
    const [store, events, archive] = [new MemoryStore(), new RecordedEvents(), new MemoryArchive()];
    archive.failingExtensions = ['html'];
    const result = await runScan(deps(store, events, archive, ['html', 'sarif', 'ocsf']), {
      settings: DEFAULT_SETTINGS,
    });

    const base = 'reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001';
    expect(result.outcome).toBe('completed');
    expect(store.findings.size).toBe(result.report.findings.length);
    expect(archive.objects.map((object) => object.key)).toEqual([`${base}.sarif`, `${base}.ocsf.jsonl`]);
    expect(result.warnings).toEqual([
      `the html report of scan 20250603T000000.000Z-beef0001 was not archived: ReportArchiveError: s3://reports-bucket/${base}.html could not be written: SlowDown`,
    ]);
    // Without the HTML report, the first format written is the one announced.
    expect(result.archivedReport?.key).toBe(`${base}.sarif`);
    expect(scanCompleted(events)?.detail.report).toEqual(result.archivedReport);
    expect(scanCompleted(events)?.detail.reports).toHaveLength(2);
  });

  it('keeps the scan and its findings when the report cannot be written, with a warning', async () => {
    const [store, events, archive] = [new MemoryStore(), new RecordedEvents(), new MemoryArchive()];
    archive.failure = Object.assign(
      new Error('s3://reports-bucket/reports/... could not be written: AccessDenied'),
      {
        name: 'ReportArchiveError',
      },
    );
    const result = await runScan(deps(store, events, archive), { settings: DEFAULT_SETTINGS });

    expect(result.outcome).toBe('completed');
    expect(store.findings.size).toBe(result.report.findings.length);
    expect(result.archivedReport).toBeUndefined();
    expect(result.archivedReports).toBeUndefined();
    expect(result.warnings).toEqual([
      'the html report of scan 20250603T000000.000Z-beef0001 was not archived: ReportArchiveError: s3://reports-bucket/reports/... could not be written: AccessDenied',
    ]);
    const completed = scanCompleted(events);
    expect(completed?.detail.scanId).toBe(result.scanId);
    expect(completed?.detail).not.toHaveProperty('report');
  });

  it('writes nothing and announces no report without an archive', async () => {
    const [store, events] = [new MemoryStore(), new RecordedEvents()];
    const { reports: _unused, ...withoutArchive } = deps(store, events, new MemoryArchive());
    const result = await runScan(withoutArchive, { settings: DEFAULT_SETTINGS });
    expect(result.archivedReport).toBeUndefined();
    expect(scanCompleted(events)?.detail).not.toHaveProperty('report');
  });
});
