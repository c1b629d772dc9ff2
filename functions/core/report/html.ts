import { createHash } from 'node:crypto';
import { gapCount } from '../coverage-gaps';
import { compareFindings } from '../engine';
import type { Finding } from '../finding';
import type { AccountOutcome, OutcomeCounts } from '../organization-scan';
import { SEVERITIES, type Severity, severityRank } from '../rule';
import type { AccountTrend } from '../trend-types';
import { complianceLabel } from './catalog';
import { escapeHtml } from './html-escape';
import { HTML_SCRIPT } from './html-script';
import { renderTrendSection } from './html-trend';
import {
  AGE_BUCKET_LABELS,
  type AgeHistogram,
  type IdentityMatrix,
  mergePostures,
  PRIVILEGE_LEVELS,
  type PrivilegeLevel,
  type ReportPosture,
  USE_STATES,
  type UseState,
} from './posture';
import type { AnalysisReport, CoverageEntry } from './types';

/**
 * The HTML report: one self-contained file that works offline. Charts are SVG drawn here; the
 * findings travel as compact JSON (string tables for repeated values) inside a non-executable
 * script element, and a small inline script renders the table a page at a time, so the page stays
 * responsive at 100,000 findings. A Content-Security-Policy allows nothing but the report's own
 * inline script and style: no network request can leave the page, and no text from the data can
 * run as script.
 */

/** What an organization run adds to the report: the run, and every account's outcome. */
export interface HtmlOrganizationRun {
  runId: string;
  startedAt: string;
  finishedAt: string;
  counts: OutcomeCounts;
  accounts: readonly AccountOutcome[];
}

export function formatHtml(report: AnalysisReport): string {
  return renderHtml(reportView([report]));
}

/** One report for a whole organization run: every scanned account's findings, and the accounts not fully scanned. */
export function formatOrganizationHtml(run: HtmlOrganizationRun, reports: readonly AnalysisReport[]): string {
  return renderHtml(reportView(reports, run));
}

/** The columns of a finding row in the embedded data, in order (the page looks them up by name). */
export const HTML_ROW_COLUMNS = [
  'id',
  'severity',
  'profile',
  'arn',
  'sub',
  'account',
  'region',
  'reason',
  'evidence',
  'risk',
  'baseSeverity',
  'suppression',
  'attestation',
] as const;

/**
 * What findings of one rule share (title, compliance, remediation, ...): stored once as a profile,
 * which a row names by its index.
 */
export const HTML_PROFILE_COLUMNS = [
  'rule',
  'title',
  'type',
  'compliance',
  'remediation',
  'action',
  'result',
] as const;

interface ReportView {
  title: string;
  accounts: string[];
  accountNames: Record<string, string>;
  evaluatedAt: string[];
  findings: Finding[];
  coverage: CoverageEntry[];
  posture: ReportPosture | undefined;
  /** The accounts' measures over their last scans; undefined when no report carries them. */
  trend: AccountTrend[] | undefined;
  bySeverity: Record<Severity, number>;
  total: number;
  suppressed: number;
  errors: number;
  resources: Record<string, number>;
  minSeverity: Severity | undefined;
  organization: HtmlOrganizationRun | undefined;
}

function reportView(reports: readonly AnalysisReport[], organization?: HtmlOrganizationRun): ReportView {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const resources: Record<string, number> = {};
  let total = 0;
  let suppressed = 0;
  let errors = 0;
  for (const { summary } of reports) {
    for (const s of SEVERITIES) bySeverity[s] += summary.bySeverity[s] ?? 0;
    for (const [kind, count] of Object.entries(summary.resources)) {
      resources[kind] = (resources[kind] ?? 0) + count;
    }
    total += summary.total;
    suppressed += summary.suppressed;
    errors += summary.errors;
  }
  const findings =
    reports.length === 1 ? reports[0]!.findings : reports.flatMap((r) => r.findings).sort(compareFindings);
  const accounts = organization
    ? organization.accounts.map((a) => a.accountId)
    : reports.map((r) => r.summary.accountId);
  const accountNames: Record<string, string> = {};
  for (const a of organization?.accounts ?? []) accountNames[a.accountId] = a.accountName;
  return {
    title: organization
      ? `Organization run ${organization.runId}`
      : `Account ${reports[0]?.summary.accountId ?? 'unknown'}`,
    accounts,
    accountNames,
    evaluatedAt: [...new Set(reports.map((r) => r.summary.evaluatedAt))].sort(),
    findings,
    coverage: reports.flatMap((r) => r.coverage),
    posture: mergePostures(reports.map((r) => r.posture)),
    trend: reports.some((r) => r.trend) ? reports.flatMap((r) => r.trend ?? []) : undefined,
    bySeverity,
    total,
    suppressed,
    errors,
    resources,
    minSeverity: reports.find((r) => r.summary.minSeverity)?.summary.minSeverity,
    organization,
  };
}

// ------------------------------------------------------------------------------------ document

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#f6f7f9;--card:#fff;--accent:#2f5fb3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main{max-width:1280px;margin:0 auto;padding:16px 24px}
header{background:var(--card);border-bottom:1px solid var(--line);max-width:none}
header>div{max-width:1232px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.meta{color:var(--muted)}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
.tile{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:96px}
.tile b{display:block;font-size:20px}
.tile span{color:var(--muted);font-size:12px}
.sev-critical{--sev:#8b0a1a}.sev-high{--sev:#d1342f}.sev-medium{--sev:#e08a00}.sev-low{--sev:#2f7fc1}.sev-informational{--sev:#6b7280}
.tile[class*=sev-]{border-left:5px solid var(--sev)}
.badge{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;background:var(--sev);font-size:12px;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:12px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px}
figcaption{font-weight:600;margin-bottom:6px}
figure p,.note{color:var(--muted);font-size:12px;margin:6px 0 0}
svg{max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:var(--fg)}
section{margin-top:8px}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}
th[data-sort]{cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
#findings tbody tr.row{cursor:pointer}
#findings tbody tr.row:hover{background:#f0f4fb}
#findings tbody tr.suppressed{color:var(--muted)}
td.res{word-break:break-all}
tr.detail>td{background:#fafbfc}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dt{color:var(--muted)}dd{margin:0;word-break:break-all}
pre{margin:0;white-space:pre-wrap;word-break:break-all;font:12px ui-monospace,monospace}
.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin-bottom:8px}
.filters label{white-space:nowrap}
.pager{display:flex;gap:8px;align-items:center;margin:8px 0}
button,select,input{font:inherit}
.warn{background:#fff6e0;border:1px solid #f0c36d;border-radius:6px;padding:8px 12px}
`;

function renderHtml(view: ReportView): string {
  const data = embeddedData(view);
  const scriptHash = createHash('sha256').update(HTML_SCRIPT).digest('base64');
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    `style-src 'sha256-${styleHash}'`,
    "img-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iam-posture report · ${esc(view.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${renderHeader(view)}
<main>
${renderCharts(view)}
${renderTrendSection(view.trend)}
${renderCoverage(view)}
${renderTableShell(view)}
</main>
<script type="application/json" id="report-data">${data}</script>
<script>${HTML_SCRIPT}</script>
</body>
</html>
`;
}

function renderHeader(view: ReportView): string {
  const org = view.organization;
  const when =
    view.evaluatedAt.length <= 1
      ? `evaluated as of ${esc(view.evaluatedAt[0] ?? 'unknown')}`
      : `evaluated as of ${esc(view.evaluatedAt[0]!)} to ${esc(view.evaluatedAt.at(-1)!)}`;
  const accounts = org
    ? `${org.counts.total} account${org.counts.total === 1 ? '' : 's'}: ${org.counts.complete} complete, ${org.counts.partial} partial, ${org.counts.failed} failed · run ${esc(org.startedAt)} to ${esc(org.finishedAt)}`
    : `account ${esc(view.accounts.join(', '))}`;
  const resources = Object.entries(view.resources)
    .filter(([kind]) => kind !== 'coverage-gap')
    .map(([kind, count]) => `${count.toLocaleString('en-US')} ${esc(kind)}${count === 1 ? '' : 's'}`)
    .join(', ');
  const tile = (id: string, value: number, label: string, cls = '') =>
    `<div class="tile ${cls}" id="${id}"><b>${value.toLocaleString('en-US')}</b><span>${esc(label)}</span></div>`;
  return `<header><div>
<h1>iam-posture report · ${esc(view.title)}</h1>
<div class="meta" id="summary-meta">${accounts} · ${when}${resources ? ` · ${resources}` : ''}</div>
<div class="tiles" id="summary">
${tile('count-total', view.total, 'findings (not suppressed)')}
${SEVERITIES.map((s) => tile(`count-${s}`, view.bySeverity[s], s, `sev-${s}`)).join('\n')}
${tile('count-suppressed', view.suppressed, 'suppressed')}
${tile('count-errors', view.errors, 'rule errors')}
${tile('count-coverage', view.coverage.length, 'coverage gaps')}
</div>
${
  view.minSeverity
    ? `<p class="note">The table lists findings at ${esc(view.minSeverity)} or above only; the counts cover all findings.</p>`
    : ''
}
</div></header>`;
}

// -------------------------------------------------------------------------------------- charts

const SEVERITY_COLORS: Record<Severity, string> = {
  critical: '#8b0a1a',
  high: '#d1342f',
  medium: '#e08a00',
  low: '#2f7fc1',
  informational: '#6b7280',
};
const MAX_RULE_BARS = 20;

function renderCharts(view: ReportView): string {
  const byRule = new Map<string, number>();
  for (const f of view.findings) {
    if (!f.suppression) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
  }
  const rules = [...byRule].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = rules.slice(0, MAX_RULE_BARS);
  const rest = rules.slice(MAX_RULE_BARS).reduce((sum, [, n]) => sum + n, 0);
  const ruleBars = [
    ...shown.map(([label, value]) => ({ label, value, color: '#2f5fb3' })),
    ...(rest > 0
      ? [{ label: `${rules.length - shown.length} other rules`, value: rest, color: '#8892a6' }]
      : []),
  ];
  const severity = figure(
    'chart-severity',
    'Findings by severity',
    barChart(
      SEVERITIES.map((s) => ({ label: s, value: view.bySeverity[s], color: SEVERITY_COLORS[s] })),
      'Findings by severity',
    ),
    'Not suppressed, all findings of the scan.',
  );
  const rule = figure(
    'chart-rule',
    'Findings by rule',
    ruleBars.length > 0 ? barChart(ruleBars, 'Findings by rule') : '<p>No findings.</p>',
    view.minSeverity
      ? `Findings listed in this report (${view.minSeverity} or above), not suppressed.`
      : 'Not suppressed.',
  );
  const posture = view.posture;
  if (!posture) {
    return `<section id="charts"><h2>Overview</h2><div class="charts">${severity}${rule}
<figure id="posture-unavailable"><figcaption>Credential ages and privilege × staleness</figcaption><p>Charts unavailable: this report carries no posture data (the ages of all credentials and the privilege of all identities), only findings.</p></figure>
</div></section>`;
  }
  const keys = posture.credentials.accessKeys;
  const secrets = posture.credentials.secrets;
  return `<section id="charts"><h2>Overview</h2><div class="charts">
${severity}
${rule}
${figure(
  'chart-key-age',
  'Active access keys by age (days since created)',
  histogram(keys, 'Active access keys by age in days'),
  `Rotation window ${keys.thresholdDays} days (red: past it; amber: straddling it). ${keys.inactive} inactive key${keys.inactive === 1 ? '' : 's'} not shown${keys.unknown ? `; ${keys.unknown} of unknown age` : ''}.`,
)}
${figure(
  'chart-secret-age',
  'Secrets by age (days since last rotation, else creation)',
  histogram(secrets, 'Secrets by age in days'),
  `Rotation window ${secrets.thresholdDays} days (red: past it; amber: straddling it). ${secrets.neverRotated} never rotated${secrets.unknown ? `; ${secrets.unknown} of unknown age` : ''}.`,
)}
${figure(
  'chart-matrix',
  'Identities: privilege × staleness',
  matrixChart(posture.identities),
  'Roles and users. Stale: last used before its unused window; never: no recorded use.',
)}
</div></section>`;
}

function figure(id: string, caption: string, body: string, note: string): string {
  return `<figure id="${id}"><figcaption>${esc(caption)}</figcaption>${body}<p>${esc(note)}</p></figure>`;
}

interface Bar {
  label: string;
  value: number;
  color: string;
}

/** Horizontal bars, one per label, each with its count. */
function barChart(bars: readonly Bar[], title: string): string {
  const labelWidth = 190;
  const barWidth = 190;
  const row = 22;
  const width = labelWidth + barWidth + 60;
  const height = bars.length * row + 4;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rows = bars.map((b, i) => {
    const y = i * row + 2;
    const w = b.value === 0 ? 0 : Math.max(2, Math.round((b.value / max) * barWidth));
    return `<g class="bar"><text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${esc(truncate(b.label, 28))}</text><rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 6}" fill="${b.color}"><title>${esc(b.label)}: ${b.value}</title></rect><text x="${labelWidth + w + 4}" y="${y + 15}">${b.value.toLocaleString('en-US')}</text></g>`;
  });
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${esc(title)}</title>${rows.join('')}</svg>`;
}

/** Vertical bars per age bucket (and one for unknown ages); buckets past the rotation window in red. */
function histogram(h: AgeHistogram, title: string): string {
  const labels = [...AGE_BUCKET_LABELS, 'unknown'];
  const values = [...h.counts, h.unknown];
  const lowerBounds = [0, 30, 60, 90, 180, 365, 730];
  const col = 60;
  const chartHeight = 120;
  const width = labels.length * col + 10;
  const height = chartHeight + 44;
  const max = Math.max(1, ...values);
  const bars = labels.map((label, i) => {
    const value = values[i] ?? 0;
    const barHeight = value === 0 ? 0 : Math.max(2, Math.round((value / max) * chartHeight));
    const x = i * col + 8;
    const y = 16 + chartHeight - barHeight;
    const lower = lowerBounds[i];
    const upper = lowerBounds[i + 1] ?? Number.POSITIVE_INFINITY;
    // Past the window entirely: red; straddling it: amber; within it: blue; unknown age: grey.
    const color =
      lower === undefined
        ? '#8892a6'
        : lower >= h.thresholdDays
          ? '#d1342f'
          : upper > h.thresholdDays
            ? '#e08a00'
            : '#2f5fb3';
    return `<g class="bar"><rect x="${x}" y="${y}" width="${col - 12}" height="${barHeight}" fill="${color}"><title>${esc(label)} days: ${value}</title></rect><text x="${x + (col - 12) / 2}" y="${y - 3}" text-anchor="middle">${value.toLocaleString('en-US')}</text><text x="${x + (col - 12) / 2}" y="${16 + chartHeight + 16}" text-anchor="middle">${esc(label)}</text></g>`;
  });
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${esc(title)}</title><line x1="4" x2="${width - 4}" y1="${16 + chartHeight}" y2="${16 + chartHeight}" stroke="#9aa3b2"/>${bars.join('')}</svg>`;
}

const LEVEL_LABELS: Record<PrivilegeLevel, string> = {
  'admin-equivalent': 'admin-equivalent',
  'escalation-capable': 'escalation-capable',
  other: 'other',
  unknown: 'privilege unknown',
};
const STATE_LABELS: Record<UseState, string> = {
  recent: 'used recently',
  stale: 'stale (past window)',
  never: 'never used',
  unknown: 'use unknown',
};

/** A grid of counts; the worst corner (privileged and stale) is tinted red, the rest blue by count. */
function matrixChart(matrix: IdentityMatrix): string {
  const rowSum = (level: PrivilegeLevel) => USE_STATES.reduce((sum, s) => sum + matrix[level][s], 0);
  const colSum = (state: UseState) => PRIVILEGE_LEVELS.reduce((sum, l) => sum + matrix[l][state], 0);
  // Unknown privilege and unknown use get a row and a column only when something is unknown.
  const levels = PRIVILEGE_LEVELS.filter((l) => l !== 'unknown' || rowSum(l) > 0);
  const states = USE_STATES.filter((s) => s !== 'unknown' || colSum(s) > 0);
  const labelWidth = 140;
  const cellWidth = 104;
  const cellHeight = 40;
  const top = 24;
  const width = labelWidth + states.length * cellWidth + 4;
  const height = top + levels.length * cellHeight + 4;
  const max = Math.max(1, ...levels.flatMap((l) => states.map((s) => matrix[l][s])));
  const header = states
    .map(
      (s, j) =>
        `<text x="${labelWidth + j * cellWidth + cellWidth / 2}" y="16" text-anchor="middle">${esc(STATE_LABELS[s])}</text>`,
    )
    .join('');
  const cells = levels
    .map((level, i) => {
      const y = top + i * cellHeight;
      const label = `<text x="${labelWidth - 8}" y="${y + cellHeight / 2 + 4}" text-anchor="end">${esc(LEVEL_LABELS[level])}</text>`;
      const row = states.map((state, j) => {
        const count = matrix[level][state];
        const risky = level !== 'other' && level !== 'unknown' && state !== 'recent' && state !== 'unknown';
        const alpha = count === 0 ? 0.04 : 0.15 + 0.75 * (count / max);
        const base = risky ? '209,52,47' : '47,95,179';
        const x = labelWidth + j * cellWidth;
        const dark = alpha > 0.55;
        return `<g class="cell" data-level="${level}" data-state="${state}"><rect x="${x + 1}" y="${y + 1}" width="${cellWidth - 2}" height="${cellHeight - 2}" rx="3" fill="rgba(${base},${alpha.toFixed(2)})"><title>${esc(LEVEL_LABELS[level])}, ${esc(STATE_LABELS[state])}: ${count}</title></rect><text x="${x + cellWidth / 2}" y="${y + cellHeight / 2 + 5}" text-anchor="middle"${dark ? ' fill="#fff"' : ''}>${count.toLocaleString('en-US')}</text></g>`;
      });
      return label + row.join('');
    })
    .join('');
  return `<svg role="img" aria-label="Identities by privilege and staleness" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>Identities by privilege and staleness</title>${header}${cells}</svg>`;
}

// ------------------------------------------------------------------------------------ coverage

function renderCoverage(view: ReportView): string {
  const notComplete = view.organization?.accounts.filter((a) => a.outcome !== 'complete') ?? [];
  const parts: string[] = ['<section id="coverage"><h2>Coverage</h2>'];
  if (view.coverage.length === 0 && notComplete.length === 0) {
    parts.push('<p id="coverage-complete">Everything the scan needed was read.</p>');
  }
  if (view.organization) {
    if (notComplete.length > 0) {
      parts.push(
        `<div class="warn"><b>${notComplete.length} account${notComplete.length === 1 ? ' was' : 's were'} not fully scanned.</b> Their findings may be incomplete; a failed account has none.</div>`,
        '<table id="accounts-incomplete"><thead><tr><th>Account</th><th>Name</th><th>Outcome</th><th>Reason</th><th>Not read</th></tr></thead><tbody>',
        ...notComplete.map(
          (a) =>
            `<tr><td>${esc(a.accountId)}</td><td>${esc(a.accountName)}</td><td>${esc(a.outcome)}</td><td>${esc([a.reason, a.detail].filter(Boolean).join(': '))}</td><td>${esc((a.unreadSources ?? []).join(', '))}</td></tr>`,
        ),
        '</tbody></table>',
      );
    } else {
      parts.push(`<p>All ${view.organization.counts.total} accounts were scanned completely.</p>`);
    }
  }
  if (view.coverage.length > 0) {
    parts.push(
      `<div class="warn"><b>${view.coverage.length} coverage gap${view.coverage.length === 1 ? '' : 's'}:</b> the scan could not read everything, and findings there may be missing. Nothing unread is reported as healthy.</div>`,
      '<table id="coverage-gaps"><thead><tr><th>Account</th><th>Source</th><th>Category</th><th>Reason</th><th>Where</th><th>Times</th></tr></thead><tbody>',
      ...view.coverage.map(
        (gap) =>
          `<tr><td>${esc(gap.accountId)}</td><td>${esc(gap.source)}</td><td>${esc(gap.category)}</td><td>${esc(gap.reason)}</td><td class="res">${esc(gap.detail ?? gap.arn)}</td><td>${gapCount(gap)}</td></tr>`,
      ),
      '</tbody></table>',
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

// ------------------------------------------------------------------------------ findings table

function renderTableShell(view: ReportView): string {
  const options = (values: readonly string[], label: (v: string) => string = (v) => v) =>
    values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join('');
  const rules = [...new Set(view.findings.map((f) => f.ruleId))].sort();
  const types = [...new Set(view.findings.map((f) => f.resourceType))].sort();
  const accounts = [...new Set([...view.accounts, ...view.findings.map((f) => f.accountId)])].sort();
  const accountLabel = (id: string) => (view.accountNames[id] ? `${id} (${view.accountNames[id]})` : id);
  return `<section id="findings-section"><h2>Findings</h2>
<div class="filters" id="filters">
<span>Severity:</span>
${SEVERITIES.map((s) => `<label><input type="checkbox" id="sev-${s}" data-severity="${s}" checked> ${s}</label>`).join('\n')}
<label>Rule <select id="filter-rule"><option value="">all</option>${options(rules)}</select></label>
<label>Account <select id="filter-account"><option value="">all</option>${options(accounts, accountLabel)}</select></label>
<label>Resource <select id="filter-type"><option value="">all</option>${options(types)}</select></label>
<label>Status <select id="filter-status"><option value="">all</option><option value="active">not suppressed</option><option value="suppressed">suppressed</option></select></label>
<label>Search <input type="search" id="filter-text" placeholder="resource, reason, rule…" size="28"></label>
</div>
<div class="pager" id="pager-top"><span id="row-count">${view.findings.length.toLocaleString('en-US')} findings</span></div>
<table id="findings"><thead><tr>
<th data-sort="severity" aria-sort="ascending">Severity</th><th data-sort="rule">Rule</th><th data-sort="resource">Resource</th><th data-sort="type">Type</th><th data-sort="account">Account</th><th data-sort="reason">Reason</th>
</tr></thead><tbody><tr><td colspan="6">${view.findings.length === 0 ? 'No findings.' : 'Loading findings…'}</td></tr></tbody></table>
<div class="pager" id="pager"></div>
<noscript><p>The findings table needs JavaScript; the summary, charts and coverage above do not.</p></noscript>
</section>`;
}

/**
 * The findings as `{ columns, strings, profiles, shapes, rows }`: each row an array in
 * `HTML_ROW_COLUMNS` order; repeated text (ARNs, accounts, regions) as indexes into `strings`;
 * what a rule's findings share as an index into `profiles`; evidence as its key list's index into
 * `shapes` followed by the values. At 100,000 findings this is about half the size of plain JSON.
 */
function embeddedData(view: ReportView): string {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const s = (value: string): number => {
    let i = stringIndex.get(value);
    if (i === undefined) {
      i = strings.length;
      strings.push(value);
      stringIndex.set(value, i);
    }
    return i;
  };
  const optional = (value: string | undefined) => (value === undefined ? -1 : s(value));
  const profiles: number[][] = [];
  const profileIndex = new Map<string, number>();
  const shapes: string[][] = [];
  const shapeIndex = new Map<string, number>();
  const interned = (table: unknown[], index: Map<string, number>, value: unknown): number => {
    const key = JSON.stringify(value);
    let i = index.get(key);
    if (i === undefined) {
      i = table.length;
      table.push(value);
      index.set(key, i);
    }
    return i;
  };
  const rows = view.findings.map((f) => {
    const profile = [
      s(f.ruleId),
      s(f.title),
      s(f.resourceType),
      s(complianceLabel(f.compliance)),
      s(f.remediation.summary),
      optional(f.remediation.action),
      s(f.result),
    ];
    const keys = Object.keys(f.evidence);
    return [
      f.id,
      severityRank(f.severity),
      interned(profiles, profileIndex, profile),
      s(f.resourceArn),
      optional(f.subResource),
      s(f.accountId),
      optional(f.region),
      f.reason,
      [interned(shapes, shapeIndex, keys), ...keys.map((key) => f.evidence[key])],
      f.riskScore,
      severityRank(f.baseSeverity),
      f.suppression ? [s(f.suppression.reason), s(f.suppression.owner), s(f.suppression.expires)] : 0,
      f.attestation
        ? [
            s(f.attestation.by),
            s(f.attestation.campaignId),
            s(f.attestation.until),
            f.attestation.justification ?? '',
          ]
        : 0,
    ];
  });
  const document = {
    columns: HTML_ROW_COLUMNS,
    profileColumns: HTML_PROFILE_COLUMNS,
    severities: SEVERITIES,
    accountNames: view.accountNames,
    strings,
    profiles,
    shapes,
    rows,
  };
  return scriptSafeJson(document);
}

/** JSON that can sit inside `<script type="application/json">`: nothing in it can close the element. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const esc = escapeHtml;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
