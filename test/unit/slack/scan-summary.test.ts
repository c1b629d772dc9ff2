import { describe, expect, it } from 'vitest';
import {
  newFindingCount,
  reportFetchCommand,
  type ScanCompletedDetail,
  ScanCompletedDetailSchema,
  scanSummaryMessage,
} from '../../../functions/core/slack/scan-summary';
import { reportConsoleUrl } from '../../../functions/use-cases/notify-scan';

/** The per-scan summary: counts, changes, coverage, and where the archived report is. */

const REPORT = {
  bucket: 'iampostures-reportsbucket-1a2b3c',
  key: 'reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001.html',
  region: 'eu-west-1',
  contentType: 'text/html; charset=utf-8',
  bytes: 48_213,
};

function detail(overrides: Record<string, unknown> = {}): ScanCompletedDetail {
  return ScanCompletedDetailSchema.parse({
    version: 1,
    eventId: 'e',
    scanId: '20250603T000000.000Z-beef0001',
    accountId: '111122223333',
    outcome: 'completed',
    origin: 'live',
    findings: {
      total: 7,
      bySeverity: { critical: 1, high: 2, medium: 3, low: 1, informational: 0 },
      suppressed: 1,
      errors: 0,
    },
    changes: {
      opened: 3,
      reopened: 1,
      resolved: 2,
      'severity-changed': 0,
      suppressed: 0,
      'suppression-changed': 0,
      unsuppressed: 1,
    },
    unchanged: 4,
    held: 0,
    coverageGaps: 0,
    ...overrides,
  });
}

const texts = (message: ReturnType<typeof scanSummaryMessage>) =>
  message.blocks.flatMap((block) => {
    if (block.type === 'section') return [block.text.text, ...(block.fields ?? []).map((f) => f.text)];
    if (block.type === 'context') return block.elements.map((e) => e.text);
    if (block.type === 'header') return [block.text.text];
    return [];
  });

describe('scan summary message', () => {
  it('counts open findings by severity, new and resolved ones, and says everything was read', () => {
    const message = scanSummaryMessage(detail());
    const all = texts(message);
    expect(all[0]).toBe('Scan completed');
    expect(all[1]).toBe(
      ':red_circle: critical: *1*   :large_orange_circle: high: *2*   :large_yellow_circle: medium: *3*   :large_blue_circle: low: *1*   :white_circle: informational: *0*',
    );
    expect(all.slice(2, 6)).toEqual([
      '*Account*\n`111122223333`',
      '*Open findings*\n7',
      '*New*\n5',
      '*Resolved*\n2',
    ]);
    expect(all).toContain('Everything the rules need was read.');
    expect(message.text).toBe(
      'Scan of account 111122223333 completed: 7 open (critical 1, high 2, medium 3, low 1), 5 new, 2 resolved, 0 coverage gaps.',
    );
    expect(JSON.stringify(message.blocks)).not.toContain('"actions"');
    expect(JSON.stringify(message.blocks)).not.toContain('s3://');
  });

  it('reports coverage gaps and findings held on unread input', () => {
    const all = texts(scanSummaryMessage(detail({ coverageGaps: 3, held: 1 })));
    expect(all).toContain(
      ':warning: 3 coverage gaps: part of the account could not be read, and nothing there is reported healthy. 1 finding on unread input was left as it was.',
    );
  });

  it('names the one report ScanCompleted points at when several formats were archived', () => {
    const sarif = { ...REPORT, key: REPORT.key.replace(/\.html$/, '.sarif') };
    const message = scanSummaryMessage(detail({ report: REPORT, reports: [sarif, REPORT] }), {});
    const reports = texts(message).filter((t) => t.startsWith('*Report*'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain(`s3://${REPORT.bucket}/${REPORT.key}\``);
    expect(reports[0]).not.toContain('.sarif');
  });

  it('says where the archived report is and how to fetch it, with no public or presigned link', () => {
    const message = scanSummaryMessage(detail({ report: REPORT }), {
      accountName: 'prod <payments>',
      reportConsoleUrl: reportConsoleUrl(REPORT),
    });
    const report = texts(message).find((t) => t.startsWith('*Report*'));
    expect(report).toBe(
      [
        '*Report*',
        `\`s3://${REPORT.bucket}/${REPORT.key}\``,
        'Fetch it with:',
        `\`\`\`aws s3 cp s3://${REPORT.bucket}/${REPORT.key} ./report.html --region eu-west-1\`\`\``,
        `<https://console.aws.amazon.com/s3/object/${REPORT.bucket}?region=eu-west-1&amp;bucketType=general&amp;prefix=reports%2F111122223333%2F2025%2F06%2F03%2F20250603T000000.000Z-beef0001.html|Open in the S3 console>`,
      ].join('\n'),
    );
    expect(texts(message)[2]).toBe('*Account*\n`111122223333` (prod &lt;payments&gt;)');
    expect(message.text).toContain(`Report: s3://${REPORT.bucket}/${REPORT.key}`);
    const json = JSON.stringify(message);
    expect(json).not.toMatch(
      /X-Amz-Signature|X-Amz-Credential|\.s3\.amazonaws\.com|s3\.[a-z0-9-]+\.amazonaws\.com/,
    );
  });

  it('names a superseded scan as such', () => {
    const all = texts(scanSummaryMessage(detail({ outcome: 'superseded' })));
    expect(all[0]).toBe('Scan superseded');
    expect(all).toContain('A scan of newer data was stored first: this scan changed nothing.');
  });

  it('counts reopened and unsuppressed findings as new', () => {
    expect(newFindingCount(detail())).toBe(5);
  });
});

describe('report fetch command and console link', () => {
  it('keeps the report extension in the local file name', () => {
    expect(reportFetchCommand({ bucket: 'b-1', key: 'reports/1/2/3.json', region: 'us-east-1' })).toBe(
      'aws s3 cp s3://b-1/reports/1/2/3.json ./report.json --region us-east-1',
    );
    expect(
      reportFetchCommand({
        bucket: 'b-1',
        key: 'reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001.ocsf.jsonl',
        region: 'us-east-1',
      }),
    ).toBe(
      'aws s3 cp s3://b-1/reports/111122223333/2025/06/03/20250603T000000.000Z-beef0001.ocsf.jsonl ./report.ocsf.jsonl --region us-east-1',
    );
  });

  it('opens the console of the bucket partition', () => {
    expect(reportConsoleUrl({ bucket: 'b-1', key: 'k', region: 'cn-north-1' })).toBe(
      'https://console.amazonaws.cn/s3/object/b-1?region=cn-north-1&bucketType=general&prefix=k',
    );
    expect(reportConsoleUrl({ bucket: 'b-1', key: 'k', region: 'us-gov-west-1' })).toBe(
      'https://console.amazonaws-us-gov.com/s3/object/b-1?region=us-gov-west-1&bucketType=general&prefix=k',
    );
  });
});

describe('ScanCompleted detail', () => {
  it('rejects a detail without the counts, naming the field', () => {
    const result = ScanCompletedDetailSchema.safeParse({
      scanId: 's',
      accountId: '111122223333',
      outcome: 'completed',
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['findings', 'changes']);
  });

  it('rejects a report location that is not a bucket and region', () => {
    const result = ScanCompletedDetailSchema.safeParse({
      ...detail(),
      report: { bucket: 'https://evil.example/x', key: 'k', region: 'eu-west-1' },
    });
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'report.bucket: must be an S3 bucket name',
    ]);
  });
});
