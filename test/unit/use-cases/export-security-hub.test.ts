import { describe, expect, it } from 'vitest';
import type { FindingChange } from '../../../functions/core/lifecycle';
import type { AsffFinding } from '../../../functions/core/report/asff';
import {
  type BatchImportResult,
  batchItemFailures,
  type ExportSecurityHubDeps,
  exportToSecurityHub,
  type SecurityHubImporter,
} from '../../../functions/use-cases/export-security-hub';
import { asffProblems } from '../../support/asff-model';
import { aStoredFinding, envelope, messagesOf, scanEventsOf } from '../../support/finding-events';
import { aFinding } from '../report/fixtures';

const ASOF = new Date('2025-06-02T08:00:00.000Z');

/** An importer that answers each call from a script, recording what it was sent. */
class ScriptedImporter implements SecurityHubImporter {
  readonly calls: AsffFinding[][] = [];
  constructor(private readonly script: ((findings: readonly AsffFinding[]) => BatchImportResult)[] = []) {}
  async importBatch(findings: readonly AsffFinding[]): Promise<BatchImportResult> {
    this.calls.push([...findings]);
    const next = this.script.shift();
    return next ? next(findings) : { outcome: 'done', failed: [] };
  }
}

function depsWith(importers: Record<string, SecurityHubImporter>) {
  const sleeps: number[] = [];
  const deps: ExportSecurityHubDeps = {
    region: 'eu-west-1',
    importerFor: async (accountId) => {
      const importer = importers[accountId];
      if (!importer) throw new Error(`no role in ${accountId}`);
      return importer;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { deps, sleeps };
}

function opened(n: number, accountId = '111122223333'): FindingChange[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'opened' as const,
    after: aStoredFinding(aFinding({ id: `f${String(i).padStart(4, '0')}`, accountId }), {
      firstSeenAt: ASOF.toISOString(),
    }),
  }));
}

function resolvedChange(): FindingChange {
  const before = aStoredFinding(aFinding());
  return {
    kind: 'resolved',
    before,
    after: { ...before, status: 'resolved', resolvedAt: ASOF.toISOString(), version: 2 },
  };
}

describe('exportToSecurityHub', () => {
  it('imports an opened finding with its first-seen time, not the time of the event or import', async () => {
    const importer = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': importer });
    const change: FindingChange = { kind: 'reopened', after: aStoredFinding(aFinding(), { reopenCount: 1 }) };
    const report = await exportToSecurityHub(deps, messagesOf(scanEventsOf([change], ASOF)));

    expect(report).toMatchObject({ imported: 1, failed: [], skipped: [], calls: 1 });
    const [sent] = importer.calls.flat();
    expect(sent).toMatchObject({
      Id: 'iam-posture/111122223333/eu-west-1/0123456789abcdef0123456789abcdef',
      CreatedAt: '2025-03-01T10:00:00.000Z',
      FirstObservedAt: '2025-03-01T10:00:00.000Z',
      UpdatedAt: '2025-06-02T08:00:00.000Z',
      LastObservedAt: '2025-06-02T08:00:00.000Z',
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    });
    expect(asffProblems(sent as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('archives a resolved finding whose event says its input was fully read', async () => {
    const importer = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': importer });
    const events = scanEventsOf([resolvedChange()], ASOF);
    expect(events[0]?.detail).toMatchObject({
      observedAt: ASOF.toISOString(),
      coverage: { fullyRead: true, inputs: ['credential-report', 'access-keys'] },
    });
    const report = await exportToSecurityHub(deps, messagesOf(events));
    expect(report.imported).toBe(1);
    expect(importer.calls[0]?.[0]).toMatchObject({
      RecordState: 'ARCHIVED',
      Workflow: { Status: 'RESOLVED' },
      Compliance: { Status: 'PASSED' },
      CreatedAt: '2025-03-01T10:00:00.000Z',
      UpdatedAt: ASOF.toISOString(),
    });
  });

  it('leaves a resolution alone when the event does not say its input was fully read', async () => {
    const importer = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': importer });
    const event = scanEventsOf([resolvedChange()], ASOF)[0]!;
    const { coverage: _coverage, ...detail } = event.detail;
    const report = await exportToSecurityHub(deps, [
      { messageId: 'old', body: JSON.stringify(envelope({ ...event, detail: { ...detail, version: 1 } })) },
    ]);
    expect(importer.calls).toEqual([]);
    expect(report.skipped).toEqual([
      {
        messageId: 'old',
        reason:
          'FindingResolved of finding 0123456789abcdef0123456789abcdef does not say its input was fully read; it is not archived',
      },
    ]);
    expect(batchItemFailures(report)).toEqual([]);
  });

  it('sends at most 100 findings per call', async () => {
    const importer = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': importer });
    const report = await exportToSecurityHub(deps, messagesOf(scanEventsOf(opened(250), ASOF)));
    expect(importer.calls.map((call) => call.length)).toEqual([100, 100, 50]);
    expect(new Set(importer.calls.flat().map((f) => f.Id)).size).toBe(250);
    expect(report).toMatchObject({ imported: 250, calls: 3, failed: [] });
  });

  it('backs off on throttling and sends the same findings again', async () => {
    const throttled = (): BatchImportResult => ({ outcome: 'throttled' });
    const importer = new ScriptedImporter([throttled, throttled]);
    const { deps, sleeps } = depsWith({ '111122223333': importer });
    const report = await exportToSecurityHub(deps, messagesOf(scanEventsOf(opened(3), ASOF)));
    expect(sleeps).toEqual([500, 1000]);
    expect(importer.calls.map((call) => call.map((f) => f.GeneratorId).length)).toEqual([3, 3, 3]);
    expect(report).toMatchObject({ imported: 3, calls: 3, throttled: 2, failed: [] });
  });

  it('reports every message of a batch that stays throttled, for the queue to deliver again', async () => {
    const importer = new ScriptedImporter(
      Array.from({ length: 10 }, () => () => ({ outcome: 'throttled' as const })),
    );
    const { deps, sleeps } = depsWith({ '111122223333': importer });
    const report = await exportToSecurityHub(deps, messagesOf(scanEventsOf(opened(2), ASOF)), {
      maxAttempts: 3,
    });
    expect(importer.calls).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
    expect(batchItemFailures(report)).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(report.failed[0]?.reason).toBe('BatchImportFindings was throttled (after 3 attempts)');
  });

  it('retries the findings that failed for a passing reason and reports the ones Security Hub refused', async () => {
    const importer = new ScriptedImporter([
      (findings) => ({
        outcome: 'done',
        failed: [
          { id: findings[0]!.Id, errorCode: 'InternalFailure' },
          { id: findings[1]!.Id, errorCode: 'InvalidInput', errorMessage: 'Resources is invalid' },
        ],
      }),
    ]);
    const { deps, sleeps } = depsWith({ '111122223333': importer });
    const report = await exportToSecurityHub(deps, messagesOf(scanEventsOf(opened(3), ASOF)));
    expect(importer.calls.map((call) => call.map((f) => f.ProductFields['iam-posture/FindingId']))).toEqual([
      ['f0000', 'f0001', 'f0002'],
      ['f0000'],
    ]);
    expect(sleeps).toEqual([500]);
    expect(report.imported).toBe(2);
    expect(report.failed).toEqual([
      {
        messageId: 'm2',
        reason:
          'Security Hub refused finding iam-posture/111122223333/eu-west-1/f0001: InvalidInput: Resources is invalid',
      },
    ]);
    expect(batchItemFailures(report)).toEqual([{ itemIdentifier: 'm2' }]);
  });

  it('reports a message that is not a finding event, and imports the rest', async () => {
    const importer = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': importer });
    const [good] = messagesOf(scanEventsOf(opened(1), ASOF));
    const bad = envelope(scanEventsOf(opened(1), ASOF)[0]!);
    (bad.detail as { finding: { severity: string } }).finding.severity = 'urgent';
    const report = await exportToSecurityHub(deps, [
      good!,
      { messageId: 'not-json', body: '{"detail-type"' },
      { messageId: 'bad-severity', body: JSON.stringify(bad) },
    ]);
    expect(report.imported).toBe(1);
    expect(report.failed.map((f) => f.messageId)).toEqual(['not-json', 'bad-severity']);
    expect(report.failed[0]?.reason).toBe('the message body is not JSON');
    expect(report.failed[1]?.reason).toMatch(
      /^the message is not a finding event: detail\.finding\.severity/,
    );
  });

  it('imports each account into its own Security Hub and reports an account it cannot reach', async () => {
    const central = new ScriptedImporter();
    const member = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': central, '444455556666': member });
    const events = [
      ...scanEventsOf(opened(2), ASOF),
      ...scanEventsOf(opened(1, '444455556666'), ASOF),
      ...scanEventsOf(opened(1, '777788889999'), ASOF),
    ];
    const report = await exportToSecurityHub(deps, messagesOf(events));
    expect(central.calls.flat().map((f) => f.AwsAccountId)).toEqual(['111122223333', '111122223333']);
    expect(member.calls.flat().map((f) => [f.AwsAccountId, f.ProductArn])).toEqual([
      ['444455556666', 'arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default'],
    ]);
    expect(report.failed).toEqual([
      { messageId: 'm4', reason: 'cannot import into account 777788889999: Error: no role in 777788889999' },
    ]);
  });

  it('imports only the newest state of a finding that two events of the batch carry', async () => {
    const importer = new ScriptedImporter();
    const { deps } = depsWith({ '111122223333': importer });
    const resolved = scanEventsOf([resolvedChange()], ASOF);
    const reopened = scanEventsOf(
      [{ kind: 'reopened', after: aStoredFinding(aFinding(), { reopenCount: 1 }) }],
      new Date('2025-06-09T08:00:00.000Z'),
    );
    const report = await exportToSecurityHub(deps, messagesOf([...reopened, ...resolved]));
    expect(importer.calls).toHaveLength(1);
    expect(importer.calls[0]?.map((f) => f.RecordState)).toEqual(['ACTIVE']);
    expect(report.skipped).toEqual([
      { messageId: 'm2', reason: 'a newer event of the same finding is in the batch' },
    ]);
  });

  it('reports every message of a call that failed outright', async () => {
    const importer: SecurityHubImporter = {
      importBatch: async () => {
        throw new Error('AccessDeniedException: not subscribed');
      },
    };
    const { deps } = depsWith({ '111122223333': importer });
    const report = await exportToSecurityHub(deps, messagesOf(scanEventsOf(opened(2), ASOF)));
    expect(batchItemFailures(report)).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(report.failed[0]?.reason).toBe(
      'BatchImportFindings failed: Error: AccessDeniedException: not subscribed',
    );
  });
});
