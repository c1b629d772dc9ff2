import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readExportDirectory } from '../../functions/adapters/export-reader';
import type { RawAccountData } from '../../functions/core/raw';
import { ARCHIVED_REPORT_FORMAT, type ArchivableReportFormat } from '../../functions/core/report-archive';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { runScan, type ScanEvent } from '../../functions/use-cases/run-scan';
import { scanDeps } from '../../functions/wiring/scan';
import { findingsStore } from '../../functions/wiring/stores';
import { createMotoKmsKey } from '../support/moto-kms';
import { useMotoWithTable } from '../support/moto-table';

/**
 * The scan with a reports bucket, over the real SDK against moto's S3, KMS, DynamoDB and
 * EventBridge: each configured format lands at its key, encrypted with the given key; a bucket that cannot be
 * written costs a warning, and the findings are stored all the same.
 */

const TABLE = 'iam-posture-findings';
const BUS = 'iam-posture';
const BUCKET = 'iam-posture-reports';
const ACCOUNT = '111122223333';

let s3: S3Client;
let keyArn: string;
let demo: RawAccountData;

const env = useMotoWithTable(TABLE);

beforeAll(async () => {
  s3 = new S3Client({ ...env.moto.clientConfig, forcePathStyle: true });
  demo = await readExportDirectory('examples/demo-account');
});

beforeEach(async () => {
  await new EventBridgeClient(env.moto.clientConfig).send(new CreateEventBusCommand({ Name: BUS }));
  keyArn = await createMotoKmsKey(env.moto);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

/** The scan as the scan function wires it, with the events it publishes recorded on the way. */
function scanWithReports(bucket: string, formats?: ArchivableReportFormat[]) {
  const deps = scanDeps({
    aws: { ...env.moto.clientConfig, maxAttempts: 1 },
    table: TABLE,
    eventBus: BUS,
    reports: { bucket, kmsKeyArn: keyArn, ...(formats ? { formats } : {}) },
    collect: async () => ({ raw: demo, origin: 'export' }),
  });
  const sent: ScanEvent[] = [];
  const bus = deps.events!;
  deps.events = {
    publish: async (events) => {
      sent.push(...events);
      return bus.publish(events);
    },
  };
  return { deps, sent };
}

describe('archived scan reports (moto)', () => {
  it('writes the report under reports/<account>/<date>/<scanId> with SSE-KMS, its type and size', async () => {
    const { deps, sent } = scanWithReports(BUCKET);
    const result = await runScan(deps, { settings: DEFAULT_SETTINGS });

    const day = result.record.startedAt.slice(0, 10).replaceAll('-', '/');
    const key = `reports/${ACCOUNT}/${day}/${result.scanId}.${ARCHIVED_REPORT_FORMAT.extension}`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(keyArn);
    expect(head.ContentType).toBe(ARCHIVED_REPORT_FORMAT.contentType);
    expect(head.ContentDisposition).toBe(
      `attachment; filename="iam-posture-${ACCOUNT}-${result.scanId}.${ARCHIVED_REPORT_FORMAT.extension}"`,
    );
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    ).Body!.transformToString();
    expect(head.ContentLength).toBe(Buffer.byteLength(body));
    expect(result.report.findings.length).toBeGreaterThan(5);
    for (const finding of result.report.findings) expect(body).toContain(finding.id);

    const location = {
      bucket: BUCKET,
      key,
      region: env.moto.clientConfig.region,
      contentType: ARCHIVED_REPORT_FORMAT.contentType,
      bytes: Buffer.byteLength(body),
    };
    expect(result.archivedReport).toEqual(location);
    expect(sent.find((event) => event.detailType === 'ScanCompleted')?.detail.report).toEqual(location);
    expect(result.warnings).toEqual([]);
  });

  it('writes one object per configured format, each with its content type and SSE-KMS', async () => {
    const { deps, sent } = scanWithReports(BUCKET, ['html', 'sarif', 'ocsf']);
    const result = await runScan(deps, { settings: DEFAULT_SETTINGS });

    const day = result.record.startedAt.slice(0, 10).replaceAll('-', '/');
    const base = `reports/${ACCOUNT}/${day}/${result.scanId}`;
    const expected = [
      { key: `${base}.html`, contentType: 'text/html; charset=utf-8' },
      { key: `${base}.sarif`, contentType: 'application/sarif+json' },
      { key: `${base}.ocsf.jsonl`, contentType: 'application/x-ndjson' },
    ];
    const bodies: string[] = [];
    for (const { key, contentType } of expected) {
      const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(object.ServerSideEncryption).toBe('aws:kms');
      expect(object.SSEKMSKeyId).toBe(keyArn);
      expect(object.ContentType).toBe(contentType);
      const body = await object.Body!.transformToString();
      expect(object.ContentLength).toBe(Buffer.byteLength(body));
      for (const finding of result.report.findings) expect(body).toContain(finding.id);
      bodies.push(body);
    }
    const sarif = JSON.parse(bodies[1]!) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(0);
    for (const line of bodies[2]!.trim().split('\n')) expect(JSON.parse(line)).toHaveProperty('class_uid');

    expect(result.archivedReports?.map(({ key, contentType }) => ({ key, contentType }))).toEqual(expected);
    expect(result.archivedReport?.key).toBe(`${base}.html`);
    const completed = sent.find((event) => event.detailType === 'ScanCompleted');
    expect(completed?.detail.report).toEqual(result.archivedReport);
    expect(completed?.detail.reports).toEqual(result.archivedReports);
    expect(result.warnings).toEqual([]);
  });

  it('stores the findings and warns when the report cannot be written', async () => {
    const { deps, sent } = scanWithReports('no-such-reports-bucket');
    const result = await runScan(deps, { settings: DEFAULT_SETTINGS });

    expect(result.outcome).toBe('completed');
    expect(result.archivedReport).toBeUndefined();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(
      new RegExp(
        `^the html report of scan ${result.scanId} was not archived: ReportArchiveError: s3://no-such-reports-bucket/reports/${ACCOUNT}/.+ could not be written: NoSuchBucket`,
      ),
    );
    const stored = await findingsStore({ ...env.moto.clientConfig }, TABLE).loadAccount(ACCOUNT);
    expect(stored.findings.map((f) => f.id).sort()).toEqual(result.report.findings.map((f) => f.id).sort());
    const completed = sent.find((event) => event.detailType === 'ScanCompleted');
    expect(completed?.detail.scanId).toBe(result.scanId);
    expect(completed?.detail).not.toHaveProperty('report');
  });
});
