import { createHash } from 'node:crypto';
import { type BackoffPolicy, backoffDelay, type Sleep, sleep as timerSleep } from '../core/backoff';
import { describeError } from '../core/describe-error';
import type { AccountOuPaths } from '../core/environments';
import {
  makeScanId,
  SCAN_RECORD_LIMITS,
  SCAN_RECORD_TTL_DAYS,
  type ScanRecord,
} from '../core/findings-table';
import {
  computeGovernance,
  DEFAULT_REMEDIATION_WINDOW_DAYS,
  findingsAfter,
  type GovernanceMeasures,
} from '../core/governance';
import { accountTrend } from '../core/governance-trend';
import { CHANGE_KINDS, type ChangeKind, type FindingChange, type StoredFinding } from '../core/lifecycle';
import type { Inventory } from '../core/model';
import { normalize } from '../core/normalize';
import { type JitStateInput, withJitState } from '../core/normalize/jit';
import { type ReviewStateInput, withReviewState } from '../core/normalize/review';
import type { RawAccountData } from '../core/raw';
import {
  accountDataSets,
  type DataSet,
  type HeldFinding,
  inputsOf,
  type ReconcileResult,
  reconcile,
  withPrerequisites,
} from '../core/reconcile';
import type { AnalysisReport } from '../core/report/types';
import {
  type ArchivableReportFormat,
  primaryReportLocation,
  type ReportLocation,
} from '../core/report-archive';
import { RULES } from '../core/rules';
import type { ScanSettings } from '../core/settings';
import { analyzeInventory, apiCallSummary } from './analyze';
import { archiveReport } from './archive-report';
import { type DrainedAccount, drainOutbox, UNDELIVERABLE_CODES } from './drain-outbox';
import type { EventOutbox, EventsOutcome, ScanEvent, ScanEventPublisher } from './event-ports';
import type { MalformedItem, ScanStore, StoreStats } from './findings-ports';
import type { ReportArchive } from './report-archive-ports';
import { RunScanError } from './run-scan-error';
import type { ScanHistoryReader } from './trend-ports';

export { RunScanError };

/**
 * One scan of one account, for the CLI and the scan Lambda alike:
 * collect -> analyze -> reconcile with the stored findings -> persist the changes -> publish events.
 *
 * Persisting is optimistic: the scan reads the account's findings, reconciles, and commits on
 * condition that nothing changed since it read. When another scan (or a remediation) changed the
 * account in between, it reads again and reconciles against what is now stored, so two scans
 * racing on one account end where one scan would. A scan of data older than what is stored
 * (an old export) changes nothing and is recorded as superseded.
 */

export const SCAN_EVENT_VERSION = 1;
export const DEFAULT_RESOLVED_TTL_DAYS = 90;

/** What the collect step produced: the raw documents, and where they came from. */
export interface CollectedInput {
  raw: RawAccountData;
  /** `live`: read from AWS now; `export`: an export directory (an absent optional file was not read). */
  origin: 'live' | 'export';
  /** Requests sent by a live collection, by operation. */
  apiCalls?: Record<string, number>;
  /** The just-in-time state, when it was read (see `RunScanDeps.jitState`); absent: not read. */
  jit?: JitStateInput;
  /** The entitlement review state, when it was read (see `RunScanDeps.reviewState`); absent: not read. */
  reviews?: ReviewStateInput;
}

export type { EventsOutcome, ScanEvent, ScanEventPublisher };

/** Scans a report's trend covers, this one included. */
export const TREND_SCANS = 12;

export interface RunScanDeps {
  collect(): Promise<CollectedInput>;
  store: ScanStore;
  /** Without a publisher, no events are sent. */
  events?: ScanEventPublisher;
  /**
   * Keeps the events the bus refused, for the next scan (or a drain) to send. With it, the scan
   * first sends what earlier scans of the account left there; without it, a refused event is only
   * reported as a warning.
   */
  outbox?: EventOutbox;
  /** Where each scan's report is written once its findings are stored; without it, nowhere. */
  reports?: ReportArchive;
  /** The formats written to `reports`, one object each; default HTML only. */
  reportFormats?: readonly ArchivableReportFormat[];
  /**
   * The account's stored scans, read once this scan is stored: the report then carries the
   * measures over the last `TREND_SCANS` scans (the HTML report's "Over time" charts). A failed
   * read is a warning and a report without them.
   */
  history?: Pick<ScanHistoryReader, 'scanHistory'>;
  now(): Date;
  /** Random suffix of the scan id (hex). */
  randomSuffix(): string;
  sleep?: Sleep;
  /**
   * Reads the account's just-in-time eligibilities and break-glass elevations, where elevation is
   * deployed. Without it the rules on them are not applicable and their stored findings are held.
   * A read that fails (returned as `read: false`, or thrown) is a coverage gap, never a pass.
   */
  jitState?: (accountId: string) => Promise<JitStateInput>;
  /**
   * Reads the account's review campaigns and attestations, where entitlement reviews are enabled.
   * Without it `review-overdue` is not applicable and its stored findings are held. A read that
   * fails (returned as `read: false`, or thrown) is a coverage gap, never a pass.
   */
  reviewState?: (accountId: string, now: Date) => Promise<ReviewStateInput>;
}

export interface RunScanOptions {
  settings: ScanSettings;
  /** Evaluate as of this instant; default the data's collection time, else now. */
  asOf?: Date;
  /** Resolved findings expire this many days after resolution. Default 90. */
  resolvedTtlDays?: number;
  /** Times the scan re-reads and reconciles after a concurrent change. Default 8. */
  maxAttempts?: number;
  /** OU paths of known accounts (organization mode), for environments mapped by OU. */
  accountOuPaths?: AccountOuPaths;
}

export interface RunScanResult {
  scanId: string;
  accountId: string;
  outcome: ScanRecord['outcome'];
  /** What the analysis found (every current finding, coverage, counts). */
  report: AnalysisReport;
  /** What the rules evaluated: the account as read, with iam-posture's own state when read. */
  inventory: Inventory;
  /** The stored scan record. */
  record: ScanRecord;
  /** Changes this scan wrote. */
  changes: FindingChange[];
  /** Findings this scan could not settle, because their input was not fully read (see `HeldFinding`). */
  held: HeldFinding[];
  /** Stored items that could not be read, and events that could not be sent. */
  warnings: string[];
  /** Store requests and write units this scan used. */
  writes: StoreStats;
  events?: EventsOutcome;
  /** What the scan did with the outbox: earlier events it sent, and its own events it kept there. */
  outbox?: ScanOutboxOutcome;
  /** Where the report was archived; absent without an archive or when the write failed (see `warnings`). */
  archivedReport?: ReportLocation;
  /** Every format archived, in the configured order; absent when none was written. */
  archivedReports?: ReportLocation[];
}

export interface ScanOutboxOutcome {
  /** The account's earlier events, sent before this scan's own; undefined when the drain failed. */
  drained?: DrainedAccount;
  /** This scan's events the bus refused and the outbox now holds. */
  kept: number;
}

const ACCOUNT_ID = /^\d{12}$/;
const DAY_MS = 86_400_000;
/** Between attempts to commit a scan that lost to a concurrent writer: 100 ms doubling to 5 s, plus up to 100 ms. */
export const COMMIT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 5000, jitterMs: 100 };

export async function runScan(deps: RunScanDeps, options: RunScanOptions): Promise<RunScanResult> {
  const startedAt = deps.now();
  const collected = await deps.collect();
  // The inventory is kept for the governance measures, which count what the rules do not report.
  const normalized = normalize(collected.raw);
  const input: CollectedInput = {
    ...collected,
    ...(deps.jitState ? { jit: await readOwnState(() => deps.jitState!(normalized.accountId)) } : {}),
    ...(deps.reviewState
      ? { reviews: await readOwnState(() => deps.reviewState!(normalized.accountId, startedAt)) }
      : {}),
  };
  const inventory = withReviewState(withJitState(normalized, input.jit), input.reviews, startedAt);
  const report = analyzeInventory(inventory, {
    settings: options.settings,
    ...(options.asOf ? { asOf: options.asOf } : {}),
    now: startedAt,
    ...(input.apiCalls ? { apiCalls: input.apiCalls } : {}),
    ...(options.accountOuPaths ? { accountOuPaths: options.accountOuPaths } : {}),
  });
  const accountId = report.summary.accountId;
  if (!ACCOUNT_ID.test(accountId)) {
    throw new RunScanError(
      `the scanned data names no account id (got "${accountId}"), so its findings cannot be stored; add account.json to the export`,
    );
  }
  const asOf = new Date(report.summary.evaluatedAt);
  const scanId = makeScanId(startedAt, deps.randomSuffix());
  const ttlDays = options.resolvedTtlDays ?? DEFAULT_RESOLVED_TTL_DAYS;
  const maxAttempts = options.maxAttempts ?? 8;
  const sleep = deps.sleep ?? timerSleep;
  const disabled = new Set(options.settings.disabledRules);
  const coverage = {
    rules: RULES.filter((rule) => !disabled.has(rule.meta.id)).map((rule) => ({ id: rule.meta.id })),
    gaps: report.coverage,
    unread: withPrerequisites(unreadDataSets(input, options.settings)),
  };
  const statsBefore = deps.store.stats();

  const applied: FindingChange[] = [];
  let record: ScanRecord | undefined;
  let last: ReconcileResult | undefined;
  let warnings: string[] = [];
  for (let attempt = 1; !record; attempt++) {
    const loaded = await deps.store.loadAccount(accountId);
    warnings = loaded.malformed.map(describeMalformed);
    const base = {
      scanId,
      accountId,
      origin: input.origin,
      startedAt,
      asOf,
      report,
      apiCalls: input.apiCalls ?? {},
      unread: coverage.unread,
      warnings,
      attempts: attempt,
    };
    if (loaded.state && Date.parse(loaded.state.observedAt) > asOf.getTime()) {
      const superseded = scanRecord({
        ...base,
        finishedAt: deps.now(),
        outcome: 'superseded',
        changes: applied,
      });
      await deps.store.recordScan(superseded);
      record = superseded;
      break;
    }
    const now = deps.now();
    last = reconcile(report.findings, loaded.findings, {
      scanId,
      now,
      asOf,
      ttlDays,
      coverage,
      unreadable: new Set(loaded.malformed.flatMap((item) => (item.findingId ? [item.findingId] : []))),
    });
    const governance = computeGovernance({
      inventory,
      findings: report.findings,
      thresholds: options.settings.thresholds,
      disabledRules: options.settings.disabledRules,
      asOf,
      // Where just-in-time elevation or reviews are not deployed there is no state to read: its
      // absence leaves their rules not applicable and makes no measure partial. A failed read
      // where it is deployed is a coverage gap, and counts.
      coverage: {
        gaps: coverage.gaps,
        unread: accountDataSets(coverage.unread, [
          ...(deps.jitState ? (['jit-state'] as const) : []),
          ...(deps.reviewState ? (['review-state'] as const) : []),
        ]),
      },
      lifecycle: {
        findings: findingsAfter(loaded.findings, last.changes),
        changes: [...applied, ...last.changes],
        malformed: loaded.malformed.length,
        held: last.held.length,
        windowDays: Math.min(DEFAULT_REMEDIATION_WINDOW_DAYS, ttlDays),
      },
    });
    const candidate = scanRecord({
      ...base,
      finishedAt: now,
      outcome: 'completed',
      changes: [...applied, ...last.changes],
      unchanged: last.unchanged,
      held: last.held,
      governance,
    });
    const commit = await deps.store.commitScan({
      accountId,
      ...(loaded.state ? { expected: loaded.state } : {}),
      asOf,
      now,
      changes: last.changes,
      scanRecord: candidate,
    });
    applied.push(...commit.applied);
    if (commit.outcome === 'committed') {
      record = candidate;
      break;
    }
    if (attempt >= maxAttempts) {
      // What was written stays written and is announced; the next scan completes the rest.
      await publishDurably(deps, accountId, findingEvents(applied, scanId, accountId, asOf), [], now);
      throw new RunScanError(
        `scan ${scanId} of account ${accountId} could not be stored: the account kept changing during ${attempt} attempts`,
      );
    }
    await sleep(backoffDelay(attempt, COMMIT_BACKOFF, Math.random()));
  }

  const writes = diffStats(deps.store.stats(), statsBefore);
  if (deps.history) {
    try {
      const history = await deps.history.scanHistory(accountId, TREND_SCANS);
      report.trend = [accountTrend(accountId, history.records, { superseded: history.superseded })];
    } catch (error) {
      warnings.push(`the scan history for the report's trend could not be read: ${describeError(error)}`);
    }
  }
  const archivedReports = deps.reports
    ? await archiveReport(
        deps.reports,
        { accountId, scanId, startedAt, report },
        warnings,
        deps.reportFormats,
      )
    : [];
  const archivedReport = primaryReportLocation(archivedReports);
  const { events, outbox } = await publishDurably(
    deps,
    accountId,
    [...findingEvents(applied, scanId, accountId, asOf), scanCompletedEvent(record, writes, archivedReports)],
    warnings,
    deps.now(),
  );
  return {
    scanId,
    accountId,
    outcome: record.outcome,
    report,
    inventory,
    record,
    changes: applied,
    held: last?.held ?? [],
    warnings,
    writes,
    ...(events ? { events } : {}),
    ...(outbox ? { outbox } : {}),
    ...(archivedReport ? { archivedReport, archivedReports } : {}),
  };
}

/**
 * Data sets the scan did not read at all. An export may leave out optional files; a live
 * collection reads everything it can (what fails is a coverage gap, and a read that depends on a
 * failed one is not attempted: see `withPrerequisites`), but leaves out service-last-accessed data
 * when no principal needed it. The account's organization counts as read when the settings name it.
 * The just-in-time state is read only by a scan given a way to read it (a deployment with profiles).
 */
export function unreadDataSets(
  input: CollectedInput,
  settings: Pick<ScanSettings, 'organization'>,
): DataSet[] {
  const { raw } = input;
  const unread: DataSet[] = [];
  if (raw.authorizationDetails.length === 0) unread.push('authorization-details');
  if (raw.credentialReport === undefined) unread.push('credential-report');
  if (raw.accessKeys === undefined) unread.push('access-keys');
  if (raw.secrets === undefined) unread.push('secrets');
  if (raw.secretPolicies === undefined) unread.push('secret-policies');
  if (raw.serverCertificates === undefined) unread.push('server-certificates');
  if (raw.serviceLastAccessed === undefined && input.origin === 'export')
    unread.push('service-last-accessed');
  if (raw.organization === undefined && settings.organization.id === undefined) unread.push('organization');
  if (input.jit === undefined) unread.push('jit-state');
  if (input.reviews === undefined) unread.push('review-state');
  return unread;
}

/** iam-posture's own stored state, or why it could not be read: a thrown error is a failed read too. */
async function readOwnState<T>(read: () => Promise<T>): Promise<T | { read: false; reason: string }> {
  try {
    return await read();
  } catch (error) {
    return { read: false, reason: errorText(error) };
  }
}

interface RecordInput {
  scanId: string;
  accountId: string;
  origin: CollectedInput['origin'];
  outcome: ScanRecord['outcome'];
  startedAt: Date;
  finishedAt: Date;
  asOf: Date;
  report: AnalysisReport;
  changes: readonly FindingChange[];
  unchanged?: number;
  held?: readonly HeldFinding[];
  apiCalls: Record<string, number>;
  unread: readonly DataSet[];
  warnings: readonly string[];
  attempts: number;
  governance?: GovernanceMeasures;
}

function scanRecord(input: RecordInput): ScanRecord {
  const { summary, coverage } = input.report;
  const changes = Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, 0])) as Record<ChangeKind, number>;
  for (const change of input.changes) changes[change.kind]++;
  const held = input.held ?? [];
  return {
    scanId: input.scanId,
    accountId: input.accountId,
    outcome: input.outcome,
    origin: input.origin,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    evaluatedAt: input.asOf.toISOString(),
    findings: {
      total: summary.total,
      bySeverity: { ...summary.bySeverity },
      suppressed: summary.suppressed,
      errors: summary.errors,
    },
    changes,
    unchanged: input.unchanged ?? 0,
    held: held.length,
    unread: [...input.unread],
    heldFindingIds: held.slice(0, SCAN_RECORD_LIMITS.heldFindingIds).map((finding) => finding.id),
    coverageGapCount: coverage.length,
    coverageGaps: coverage.slice(0, SCAN_RECORD_LIMITS.coverageGaps).map((gap) => ({
      arn: gap.arn,
      source: gap.source,
      category: gap.category,
      reason: gap.reason.slice(0, 500),
      ...(gap.detail !== undefined ? { detail: gap.detail.slice(0, 500) } : {}),
    })),
    apiCalls: apiCallSummary(input.apiCalls),
    warnings: input.warnings.slice(0, SCAN_RECORD_LIMITS.warnings),
    attempts: input.attempts,
    ...(input.governance ? { governance: input.governance } : {}),
    ttl: Math.floor((input.finishedAt.getTime() + SCAN_RECORD_TTL_DAYS * DAY_MS) / 1000),
  };
}

function describeMalformed(item: MalformedItem): string {
  const what = item.findingId ? `finding ${item.findingId}` : `item ${item.key.PK} / ${item.key.SK}`;
  return `stored ${what} is malformed and was left as it is: ${item.issues.slice(0, 3).join('; ')}`;
}

// ------------------------------------------------------------------------------------------ events

/** Detail of a finding event larger than this loses its evidence (EventBridge takes 256 KB per request). */
const MAX_DETAIL_BYTES = 200_000;

const OPENING_CHANGES: ReadonlySet<ChangeKind> = new Set(['opened', 'reopened', 'unsuppressed']);

/**
 * The events of a scan's changes. `asOf`, the time the scan's data describes, is the event's
 * `observedAt`: consumers date the sighting by it rather than by when the event was sent.
 */
export function findingEvents(
  changes: readonly FindingChange[],
  scanId: string,
  accountId: string,
  asOf?: Date,
): ScanEvent[] {
  const events: ScanEvent[] = [];
  for (const change of changes) {
    if (OPENING_CHANGES.has(change.kind)) {
      events.push(findingEvent('FindingOpened', change, scanId, accountId, asOf));
    } else if (change.kind === 'resolved') {
      events.push(findingEvent('FindingResolved', change, scanId, accountId, asOf));
    }
  }
  return events;
}

/**
 * The id of an event, the same on every send of it: events are delivered at least once (a resend
 * from the outbox, EventBridge's own retries), and a consumer drops an id it has seen.
 */
export function scanEventId(detailType: ScanEvent['detailType'], scanId: string, subject = ''): string {
  return createHash('sha256').update(`${detailType}\n${scanId}\n${subject}`).digest('hex').slice(0, 32);
}

function findingEvent(
  detailType: 'FindingOpened' | 'FindingResolved',
  change: FindingChange,
  scanId: string,
  accountId: string,
  asOf: Date | undefined,
): ScanEvent {
  const detail = {
    version: SCAN_EVENT_VERSION,
    eventId: scanEventId(detailType, scanId, change.after.id),
    scanId,
    accountId,
    change: change.kind,
    ...(asOf ? { observedAt: asOf.toISOString() } : {}),
    // Reconcile resolves a finding only when the scan fully read every input of its rule for it
    // (a finding whose input was unread or had a gap is held open and sends no event). The event
    // says so, with the inputs, so a consumer that closes findings elsewhere can rely on it.
    ...(change.kind === 'resolved' ? { coverage: { fullyRead: true, inputs: inputsOf(change.after) } } : {}),
    finding: eventFinding(change.after),
  };
  if (Buffer.byteLength(JSON.stringify(detail)) > MAX_DETAIL_BYTES) {
    detail.finding = { ...detail.finding, evidence: { truncated: 'the evidence is too large for an event' } };
  }
  return { detailType, detail, resources: [change.after.resourceArn] };
}

function eventFinding(finding: StoredFinding): Record<string, unknown> {
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    title: finding.title,
    status: finding.status,
    severity: finding.severity,
    baseSeverity: finding.baseSeverity,
    riskScore: finding.riskScore,
    resourceType: finding.resourceType,
    resourceArn: finding.resourceArn,
    ...(finding.subResource !== undefined ? { subResource: finding.subResource } : {}),
    ...(finding.region !== undefined ? { region: finding.region } : {}),
    reason: finding.reason,
    evidence: finding.evidence,
    compliance: finding.compliance,
    remediation: finding.remediation,
    result: finding.result,
    firstSeenAt: finding.firstSeenAt,
    reopenCount: finding.reopenCount,
    ...(finding.resolvedAt !== undefined ? { resolvedAt: finding.resolvedAt } : {}),
  };
}

export function scanCompletedEvent(
  record: ScanRecord,
  writes: StoreStats,
  archivedReports: readonly ReportLocation[] = [],
): ScanEvent {
  // `report` stays the one report it always was (HTML when archived); `reports` lists every format.
  const archivedReport = primaryReportLocation(archivedReports);
  return {
    detailType: 'ScanCompleted',
    detail: {
      version: SCAN_EVENT_VERSION,
      eventId: scanEventId('ScanCompleted', record.scanId),
      scanId: record.scanId,
      accountId: record.accountId,
      outcome: record.outcome,
      origin: record.origin,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      evaluatedAt: record.evaluatedAt,
      findings: record.findings,
      changes: record.changes,
      unchanged: record.unchanged,
      held: record.held,
      coverageGaps: record.coverageGapCount,
      apiCalls: record.apiCalls.total,
      writes: { requests: writes.writeRequests, items: writes.itemWrites, estimatedWcu: writes.estimatedWcu },
      ...(archivedReport ? { report: archivedReport, reports: [...archivedReports] } : {}),
    },
  };
}

/**
 * Sends the account's earlier events left in the outbox, then this scan's, and keeps in the outbox
 * what the bus refused. Nothing here fails the scan: its findings are stored already. What cannot
 * be sent nor kept is reported in `warnings`.
 */
async function publishDurably(
  deps: RunScanDeps,
  accountId: string,
  events: ScanEvent[],
  warnings: string[],
  now: Date,
): Promise<{ events?: EventsOutcome; outbox?: ScanOutboxOutcome }> {
  const publisher = deps.events;
  if (!publisher) return {};
  let drained: DrainedAccount | undefined;
  if (deps.outbox) {
    try {
      drained = (await drainOutbox({ outbox: deps.outbox, events: publisher }, { accountId })).accounts[0];
      for (const failed of drained?.failed.slice(0, 1) ?? []) {
        warnings.push(`events kept from an earlier scan are still not published: ${failed.errorCode}`);
      }
    } catch (error) {
      warnings.push(`events kept from an earlier scan could not be read: ${errorText(error)}`);
    }
  }
  if (events.length === 0) return deps.outbox ? { outbox: { ...(drained ? { drained } : {}), kept: 0 } } : {};
  if (deps.outbox && drained?.more) {
    // Earlier events are still waiting: this scan's go behind them, so none overtakes them.
    try {
      const kept = (await deps.outbox.add(accountId, events, now)).length;
      warnings.push(`${kept} events were kept in the outbox behind earlier events the bus has not taken`);
      return { outbox: { drained, kept } };
    } catch (error) {
      // Sent out of order rather than not at all.
      warnings.push(`events could not be kept behind the earlier ones, sent now: ${errorText(error)}`);
    }
  }
  const outcome = await publisher.publish(events);
  const refused = [...outcome.failed]
    .sort((a, b) => a.index - b.index)
    .filter((failed) => !UNDELIVERABLE_CODES.has(failed.errorCode))
    .map((failed) => events[failed.index])
    .filter((event): event is ScanEvent => event !== undefined);
  let kept = 0;
  if (deps.outbox && refused.length > 0) {
    try {
      kept = (await deps.outbox.add(accountId, refused, now)).length;
    } catch (error) {
      warnings.push(`${refused.length} events could not be kept for a later publish: ${errorText(error)}`);
    }
  }
  for (const failed of outcome.failed) {
    const keptNote = kept > 0 && !UNDELIVERABLE_CODES.has(failed.errorCode) ? ' (kept in the outbox)' : '';
    warnings.push(`event ${failed.detailType} was not published: ${failed.errorCode}${keptNote}`);
  }
  return { events: outcome, ...(deps.outbox ? { outbox: { ...(drained ? { drained } : {}), kept } } : {}) };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function diffStats(after: StoreStats, before: StoreStats): StoreStats {
  return {
    writeRequests: after.writeRequests - before.writeRequests,
    itemWrites: after.itemWrites - before.itemWrites,
    consumedWcu: after.consumedWcu - before.consumedWcu,
    estimatedWcu: after.estimatedWcu - before.estimatedWcu,
    readRequests: after.readRequests - before.readRequests,
    consumedRcu: after.consumedRcu - before.consumedRcu,
  };
}
