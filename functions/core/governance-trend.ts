import { csvRow } from './csv';
import type { ScanRecord } from './findings-table';
import { MEASURES, type MeasureId } from './governance';
import { alignColumns } from './report/columns';
import type { AccountTrend, TrendCell, TrendScan } from './trend-types';

/**
 * The trend of an account's governance measures over its last scans, oldest first, each value
 * with its change since the scan before it. Pure: the caller reads the scan records.
 *
 * Accounts are never added up: their scans run at different times and some are partial, so a sum
 * would mix days and hide which account moved. Each account has a trend of its own.
 */

export const TREND_FORMATS = ['table', 'json', 'csv'] as const;
export type TrendFormat = (typeof TREND_FORMATS)[number];

export type { AccountTrend, TrendCell, TrendScan } from './trend-types';

/** The trend of one account from its scan records (in any order). */
export function accountTrend(
  accountId: string,
  records: readonly ScanRecord[],
  extra: { superseded?: number; malformed?: readonly string[] } = {},
): AccountTrend {
  const ordered = [...records].sort(
    (a, b) => a.evaluatedAt.localeCompare(b.evaluatedAt) || a.scanId.localeCompare(b.scanId),
  );
  const scans: TrendScan[] = [];
  let previous: TrendScan | undefined;
  for (const record of ordered) {
    const governance = record.governance;
    const measures: Partial<Record<MeasureId, TrendCell>> = {};
    const partial = new Set<string>();
    for (const { id } of MEASURES) {
      const measure = governance?.measures[id];
      if (!measure) continue;
      const before = previous?.measures[id]?.value;
      const cell: TrendCell = { ...measure };
      if (measure.value !== undefined && before !== undefined) {
        cell.change = Math.round((measure.value - before) * 10) / 10;
      }
      for (const reason of measure.partial ?? []) partial.add(reason);
      measures[id] = cell;
    }
    const scan: TrendScan = {
      scanId: record.scanId,
      evaluatedAt: record.evaluatedAt,
      origin: record.origin,
      recorded: governance !== undefined,
      partial: [...partial],
      measures,
    };
    scans.push(scan);
    previous = scan;
  }
  return {
    accountId,
    scans,
    superseded: extra.superseded ?? 0,
    malformed: [...(extra.malformed ?? [])],
  };
}

export function formatTrend(trends: readonly AccountTrend[], format: TrendFormat): string {
  if (format === 'json') return `${JSON.stringify({ accounts: trends }, null, 2)}\n`;
  if (format === 'csv') return formatCsv(trends);
  return formatTable(trends);
}

// ------------------------------------------------------------------------------------------ table

const PARTIAL_MARK = '*';

function formatTable(trends: readonly AccountTrend[]): string {
  if (trends.length === 0) return 'No scans recorded in this table.\n';
  return `${trends.map(accountTable).join('\n')}`;
}

function accountTable(trend: AccountTrend): string {
  const lines: string[] = [];
  const { scans } = trend;
  if (scans.length === 0) {
    lines.push(`Account ${trend.accountId}: no scans recorded.`);
  } else {
    lines.push(
      `Account ${trend.accountId}: ${scans.length === 1 ? 'the last scan' : `the last ${scans.length} scans, oldest first`}`,
      '',
    );
    lines.push(
      ...alignColumns(
        ['#', 'SCAN', 'EVALUATED', 'INPUT'],
        scans.map((scan, index) => [String(index + 1), scan.scanId, minute(scan.evaluatedAt), input(scan)]),
      ),
      '',
    );
    // An empty last column: alignColumns leaves the last column ragged, and every scan's is aligned right.
    const rows = MEASURES.map((definition) => [
      definition.label,
      ...scans.map((scan) => cell(scan, scan.measures[definition.id])),
      '',
    ]);
    lines.push(
      ...alignColumns(['MEASURE', ...scans.map((_, index) => `#${index + 1}`), ''], rows, {
        rightAligned: scans.map((_, index) => index + 1),
      }),
    );
    const notes: string[] = [];
    if (scans.some((scan) => scan.partial.length > 0)) {
      notes.push(
        `${PARTIAL_MARK} partial: the scan did not fully read this measure's input (see INPUT); the value counts only what was read`,
      );
    }
    if (
      scans.some((scan) => !scan.recorded || Object.values(scan.measures).some((m) => m.value === undefined))
    ) {
      notes.push('- no value: not recorded for that scan, or nothing to measure (see --format json)');
    }
    if (notes.length > 0) lines.push('', ...notes);
  }
  if (trend.superseded > 0) {
    lines.push(
      `${trend.superseded} superseded scan${trend.superseded === 1 ? '' : 's'} (of data older than what was stored) not shown`,
    );
  }
  for (const item of trend.malformed) lines.push(`warning: stored scan record ${item}`);
  return `${lines.join('\n')}\n`;
}

function input(scan: TrendScan): string {
  if (!scan.recorded) return 'measures not recorded (stored by an earlier version)';
  if (scan.partial.length === 0) return 'complete';
  return `PARTIAL: ${scan.partial.join(', ')}`;
}

function cell(scan: TrendScan, measure: TrendCell | undefined): string {
  if (!scan.recorded || measure?.value === undefined) return '-';
  const mark = measure.partial ? PARTIAL_MARK : '';
  const change = measure.change === undefined ? '' : ` (${signed(measure.change)})`;
  return `${measure.value}${mark}${change}`;
}

function signed(change: number): string {
  return change > 0 ? `+${change}` : String(change);
}

/** `2026-12-03 07:00Z`: a scan's time to the minute. */
function minute(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

// -------------------------------------------------------------------------------------------- csv

const CSV_COLUMNS = ['account', 'scanId', 'evaluatedAt', 'measure', 'value', 'change', 'partial', 'note'];

/** RFC 4180, one row per scan and measure, oldest scan first; an unrecorded scan's rows have no value. */
function formatCsv(trends: readonly AccountTrend[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const trend of trends) {
    for (const scan of trend.scans) {
      for (const { id } of MEASURES) {
        const measure = scan.measures[id];
        const note = scan.recorded ? (measure?.note ?? '') : 'not recorded';
        // Values and changes go in as numbers: a fall of 3 is `-3`, never neutralised as text.
        lines.push(
          csvRow([
            trend.accountId,
            scan.scanId,
            scan.evaluatedAt,
            id,
            measure?.value,
            measure?.change,
            (measure?.partial ?? []).join('; '),
            note,
          ]),
        );
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
