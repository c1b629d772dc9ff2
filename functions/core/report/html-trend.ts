import { MEASURES, type MeasureId } from '../governance';
import type { AccountTrend, TrendScan } from '../trend-types';
import { escapeHtml as esc } from './html-escape';

/**
 * The HTML report's "Over time" section: the governance measures of each account over its last
 * scans, as small line charts drawn when the file is written (inline SVG, no script). The values
 * are those `iam-posture trend` prints. A partial value (the scan did not read everything the
 * measure needs) is a hollow point, so a drop that only reflects an unread source does not look
 * like progress; a scan without the value breaks the line rather than drawing zero.
 */

/** The measures charted, in order: standing privilege and stale access first. */
export const TREND_CHART_MEASURES: readonly MeasureId[] = [
  'standingAdmin',
  'unusedIdentities',
  'keysPastRotation',
  'secretsWithoutRotation',
  'openCritical',
  'openHigh',
];

/** Accounts drawn per chart; the rest are counted in a note (the CLI's `trend` lists them all). */
export const MAX_TREND_ACCOUNTS = 8;

const PALETTE = ['#2f5fb3', '#d1342f', '#2e8b57', '#e08a00', '#7b3fb3', '#0f8b8d', '#8b5a2b', '#c2185b'];

/** The section, or a short note saying why there is none. */
export function renderTrendSection(trends: readonly AccountTrend[] | undefined): string {
  if (trends === undefined) {
    return `<section id="trend"><h2>Over time</h2><p class="note">No scan history: this report was written without the findings store. Reports the scan function archives, and <code>scan --table</code>, chart the measures over the last scans; <code>iam-posture trend</code> prints them.</p></section>`;
  }
  const drawn = trends.filter((t) => t.scans.some((s) => s.recorded)).slice(0, MAX_TREND_ACCOUNTS);
  if (drawn.length === 0) {
    return `<section id="trend"><h2>Over time</h2><p class="note">No stored scan carries governance measures yet.</p></section>`;
  }
  const left = trends.length - drawn.length;
  const legend =
    drawn.length > 1
      ? `<p class="note">${drawn
          .map(
            (t, i) =>
              `<svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/></svg> ${esc(t.accountId)}`,
          )
          .join(' &nbsp; ')}</p>`
      : '';
  const charts = TREND_CHART_MEASURES.map((id) => trendFigure(id, drawn)).join('\n');
  const notes = [
    'Oldest scan left, newest right. Hollow points count only what the scan read; a gap means the scan has no value.',
    ...(left > 0
      ? [
          `${left} more account${left === 1 ? '' : 's'} not drawn (no measures, or past ${MAX_TREND_ACCOUNTS}).`,
        ]
      : []),
  ];
  return `<section id="trend"><h2>Over time</h2>${legend}<div class="charts">
${charts}
</div><p class="note">${esc(notes.join(' '))}</p></section>`;
}

function trendFigure(id: MeasureId, trends: readonly AccountTrend[]): string {
  const definition = MEASURES.find((m) => m.id === id)!;
  const latest = trends.map((t) => latestValue(t.scans, id));
  const summary =
    trends.length === 1
      ? latest[0] === undefined
        ? 'no value in the latest scan'
        : `latest: ${latest[0]}`
      : `latest: ${latest.map((v) => (v === undefined ? '–' : String(v))).join(', ')}`;
  return `<figure id="trend-${id}"><figcaption>${esc(capitalize(definition.label))}</figcaption>${lineChart(id, trends, definition.label)}<p>${esc(`${definition.description}; ${summary}.`)}</p></figure>`;
}

function latestValue(scans: readonly TrendScan[], id: MeasureId): number | undefined {
  for (let i = scans.length - 1; i >= 0; i--) {
    const value = scans[i]!.measures[id]?.value;
    if (value !== undefined) return value;
  }
  return undefined;
}

/** One line per account over its scans, equally spaced; points carry their scan and value as a tooltip. */
function lineChart(id: MeasureId, trends: readonly AccountTrend[], label: string): string {
  const width = 380;
  const height = 150;
  const left = 40;
  const right = 12;
  const top = 10;
  const bottom = 28;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const values = trends.flatMap((t) => t.scans.map((s) => s.measures[id]?.value ?? 0));
  const max = Math.max(1, ...values);
  const points = Math.max(...trends.map((t) => t.scans.length));
  const x = (i: number) => left + (points <= 1 ? plotWidth / 2 : (i * plotWidth) / (points - 1));
  const y = (v: number) => top + plotHeight - (v / max) * plotHeight;
  const lines: string[] = [];
  trends.forEach((trend, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    // Right-aligned: every account's newest scan sits at the right edge.
    const offset = points - trend.scans.length;
    let segment: string[] = [];
    const flush = () => {
      if (segment.length > 1) {
        lines.push(
          `<polyline fill="none" stroke="${color}" stroke-width="2" points="${segment.join(' ')}"/>`,
        );
      }
      segment = [];
    };
    trend.scans.forEach((scan, i) => {
      const cell = scan.measures[id];
      if (cell?.value === undefined) {
        flush();
        return;
      }
      const px = round(x(offset + i));
      const py = round(y(cell.value));
      segment.push(`${px},${py}`);
      const partial = cell.partial?.length ? ` (partial: ${cell.partial.join(', ')})` : '';
      const tip = `${trend.accountId} · ${scan.evaluatedAt.slice(0, 16).replace('T', ' ')} · ${cell.value}${partial}`;
      lines.push(
        `<circle class="${partial ? 'partial' : 'complete'}" cx="${px}" cy="${py}" r="3.5" fill="${partial ? '#fff' : color}" stroke="${color}" stroke-width="1.5"><title>${esc(tip)}</title></circle>`,
      );
    });
    flush();
  });
  const firstScan = trends
    .map((t) => t.scans[0]?.evaluatedAt)
    .filter(Boolean)
    .sort()[0];
  const lastScan = trends
    .map((t) => t.scans.at(-1)?.evaluatedAt)
    .filter(Boolean)
    .sort()
    .at(-1);
  const axis = [
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="#d9dde5"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#d9dde5"/>`,
    `<text x="${left - 6}" y="${top + 10}" text-anchor="end">${formatNumber(max)}</text>`,
    `<text x="${left - 6}" y="${top + plotHeight}" text-anchor="end">0</text>`,
    ...(firstScan ? [`<text x="${left}" y="${height - 8}">${esc(firstScan.slice(0, 10))}</text>`] : []),
    ...(lastScan && points > 1
      ? [
          `<text x="${width - right}" y="${height - 8}" text-anchor="end">${esc(lastScan.slice(0, 10))}</text>`,
        ]
      : []),
  ];
  const title = `${label} over the last ${points} scan${points === 1 ? '' : 's'}`;
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${esc(title)}</title>${axis.join('')}${lines.join('')}</svg>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
