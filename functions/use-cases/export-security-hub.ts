import { type BackoffPolicy, backoffDelay, type Sleep } from '../core/backoff';
import { ASFF_BATCH_LIMIT, type AsffFinding, inBatches } from '../core/report/asff';
import { eventImport, parseFindingEvent } from '../core/report/asff-event';
import type { BatchImportResult, FailedImport, SecurityHubImporter } from './export-security-hub-ports';

export type { BatchImportResult, FailedImport, SecurityHubImporter };

/**
 * Security Hub export: `FindingOpened` / `FindingResolved` events, delivered in batches from a
 * queue, imported with `BatchImportFindings` into the Security Hub of the finding's account.
 *
 * Each call carries at most 100 findings. A throttled call waits (exponential backoff) and is sent
 * again; findings Security Hub could not take for a passing reason are sent again the same way; any
 * other failure is reported by message id, so the queue delivers that message again and, after its
 * last attempt, moves it to the dead-letter queue. Nothing is acknowledged that was not imported or
 * deliberately left out.
 */

/** One queue message: its id (what a batch item failure names) and its body, an EventBridge event. */
export interface ExportMessage {
  messageId: string;
  body: string;
}

export interface ExportSecurityHubDeps {
  /** The importer of an account's findings: the exporter's own, or through the account's import role. */
  importerFor(accountId: string): Promise<SecurityHubImporter>;
  /** The region findings are imported into. */
  region: string;
  sleep: Sleep;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
}

export interface ExportSecurityHubOptions {
  /** Calls per batch, throttled ones and retries of failed findings included. Default 6. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
}

/** Between calls of a batch that was throttled or partly failed: 500 ms doubling to 8 s, plus up to 250 ms. */
export const IMPORT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 8000, jitterMs: 250 };

/**
 * `FailedFindings` error codes that say nothing about the finding itself: sending it again later
 * can succeed. Any other code (invalid input, access denied) is reported for the queue to retry
 * and, failing that, to keep in the dead-letter queue.
 */
export const RETRYABLE_IMPORT_CODES: ReadonlySet<string> = new Set([
  'InternalException',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
]);

export interface ExportSecurityHubReport {
  /** Findings Security Hub took. */
  imported: number;
  /** Messages done without an import, and why (a resolution on unconfirmed input, a newer event in the batch). */
  skipped: { messageId: string; reason: string }[];
  /** Messages to deliver again, and why. */
  failed: { messageId: string; reason: string }[];
  /** `BatchImportFindings` calls made, and how many of them were throttled. */
  calls: number;
  throttled: number;
}

interface Pending {
  messageId: string;
  accountId: string;
  finding: AsffFinding;
}

export async function exportToSecurityHub(
  deps: ExportSecurityHubDeps,
  messages: readonly ExportMessage[],
  options: ExportSecurityHubOptions = {},
): Promise<ExportSecurityHubReport> {
  const report: ExportSecurityHubReport = { imported: 0, skipped: [], failed: [], calls: 0, throttled: 0 };
  const latest = new Map<string, Pending>();
  for (const message of messages) {
    const pending = toPending(message, deps.region, report);
    if (!pending) continue;
    const earlier = latest.get(pending.finding.Id);
    // One call cannot carry a finding twice: the newer state is imported, the older is done.
    if (earlier && Date.parse(earlier.finding.UpdatedAt) > Date.parse(pending.finding.UpdatedAt)) {
      report.skipped.push({
        messageId: pending.messageId,
        reason: 'a newer event of the same finding is in the batch',
      });
      continue;
    }
    if (earlier) {
      report.skipped.push({
        messageId: earlier.messageId,
        reason: 'a newer event of the same finding is in the batch',
      });
    }
    latest.set(pending.finding.Id, pending);
  }

  const byAccount = new Map<string, Pending[]>();
  for (const pending of latest.values()) {
    const list = byAccount.get(pending.accountId);
    if (list) list.push(pending);
    else byAccount.set(pending.accountId, [pending]);
  }
  for (const [accountId, pendings] of byAccount) {
    let importer: SecurityHubImporter;
    try {
      importer = await deps.importerFor(accountId);
    } catch (error) {
      const reason = `cannot import into account ${accountId}: ${errorText(error)}`;
      for (const pending of pendings) report.failed.push({ messageId: pending.messageId, reason });
      continue;
    }
    for (const batch of inBatches(pendings, ASFF_BATCH_LIMIT)) {
      await importBatch(importer, batch, deps, options, report);
    }
  }
  return report;
}

/** The batch item failures of a report, in the shape an SQS event source mapping reads. */
export function batchItemFailures(report: ExportSecurityHubReport): { itemIdentifier: string }[] {
  return [...new Set(report.failed.map((failed) => failed.messageId))].map((itemIdentifier) => ({
    itemIdentifier,
  }));
}

function toPending(
  message: ExportMessage,
  region: string,
  report: ExportSecurityHubReport,
): Pending | undefined {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    report.failed.push({ messageId: message.messageId, reason: 'the message body is not JSON' });
    return undefined;
  }
  const parsed = parseFindingEvent(body);
  if (!parsed.ok) {
    report.failed.push({
      messageId: message.messageId,
      reason: `the message is not a finding event: ${parsed.issues.slice(0, 5).join('; ')}`,
    });
    return undefined;
  }
  try {
    const decided = eventImport(parsed.event, region);
    if (decided.action === 'skip') {
      report.skipped.push({ messageId: message.messageId, reason: decided.reason });
      return undefined;
    }
    return { messageId: message.messageId, accountId: decided.accountId, finding: decided.finding };
  } catch (error) {
    report.failed.push({ messageId: message.messageId, reason: errorText(error) });
    return undefined;
  }
}

async function importBatch(
  importer: SecurityHubImporter,
  batch: readonly Pending[],
  deps: ExportSecurityHubDeps,
  options: ExportSecurityHubOptions,
  report: ExportSecurityHubReport,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 6;
  const policy = options.backoff ?? IMPORT_BACKOFF;
  let pending = [...batch];
  let lastReason = '';
  for (let attempt = 1; pending.length > 0 && attempt <= maxAttempts; attempt++) {
    if (attempt > 1) await deps.sleep(backoffDelay(attempt - 1, policy, deps.random?.() ?? 0));
    report.calls++;
    let result: BatchImportResult;
    try {
      result = await importer.importBatch(pending.map((p) => p.finding));
    } catch (error) {
      const reason = `BatchImportFindings failed: ${errorText(error)}`;
      for (const p of pending) report.failed.push({ messageId: p.messageId, reason });
      return;
    }
    if (result.outcome === 'throttled') {
      report.throttled++;
      lastReason = 'BatchImportFindings was throttled';
      continue;
    }
    const failedById = new Map(result.failed.map((failed) => [failed.id, failed]));
    const retry: Pending[] = [];
    for (const p of pending) {
      const failed = failedById.get(p.finding.Id);
      if (!failed) {
        report.imported++;
      } else if (RETRYABLE_IMPORT_CODES.has(failed.errorCode)) {
        retry.push(p);
        lastReason = describeFailure(failed);
      } else {
        report.failed.push({ messageId: p.messageId, reason: describeFailure(failed) });
      }
    }
    pending = retry;
  }
  for (const p of pending) {
    report.failed.push({ messageId: p.messageId, reason: `${lastReason} (after ${maxAttempts} attempts)` });
  }
}

function describeFailure(failed: FailedImport): string {
  return `Security Hub refused finding ${failed.id}: ${failed.errorCode}${failed.errorMessage ? `: ${failed.errorMessage}` : ''}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
