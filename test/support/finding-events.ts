import type { Finding } from '../../functions/core/finding';
import type { FindingChange, StoredFinding } from '../../functions/core/lifecycle';
import type { ExportMessage } from '../../functions/use-cases/export-security-hub';
import { findingEvents, type ScanEvent } from '../../functions/use-cases/run-scan';

/**
 * Finding events as the Security Hub exporter's queue delivers them: what `runScan` publishes,
 * in the EventBridge envelope the rule forwards to SQS.
 */

export function aStoredFinding(finding: Finding, overrides: Partial<StoredFinding> = {}): StoredFinding {
  return {
    ...finding,
    status: 'open',
    firstSeenAt: '2025-03-01T10:00:00.000Z',
    firstSeenScanId: '20250301T100000.000Z-aaaa0001',
    lastChangedAt: '2025-03-01T10:00:05.000Z',
    lastChangedScanId: '20250301T100000.000Z-aaaa0001',
    reopenCount: 0,
    version: 1,
    ...overrides,
  };
}

/** The events `runScan` sends for `changes`, observed at `asOf`. */
export function scanEventsOf(changes: FindingChange[], asOf: Date, scanId = '20250602T080000.000Z-beef0001') {
  const accountId = changes[0]?.after.accountId ?? '111122223333';
  return findingEvents(changes, scanId, accountId, asOf);
}

/** An event as the rule hands it to the queue: the EventBridge envelope around the detail. */
export function envelope(event: ScanEvent, time = '2025-06-02T08:05:00Z'): Record<string, unknown> {
  const detail = event.detail as { eventId?: string; accountId?: string };
  return {
    version: '0',
    id: detail.eventId ?? 'event',
    'detail-type': event.detailType,
    source: 'iam-posture',
    account: detail.accountId ?? '111122223333',
    time,
    region: 'us-east-1',
    resources: event.resources ?? [],
    detail: event.detail,
  };
}

/** Queue messages for `events`, with ids `m1`, `m2`, ... */
export function messagesOf(events: readonly ScanEvent[], time?: string): ExportMessage[] {
  return events.map((event, index) => ({
    messageId: `m${index + 1}`,
    body: JSON.stringify(envelope(event, time)),
  }));
}
