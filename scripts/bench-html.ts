/**
 * HTML report benchmark: for 10,000 and 100,000 findings (a synthetic account analysed by the real
 * engine, see test/browser/many-findings.ts), the time to format the report, its size, and the
 * time Debian's Chromium takes from opening the file to showing the first row of the findings
 * table, best of three openings in a fresh browser each. Prints a table, then one JSON line.
 * Run with `npx tsx scripts/bench-html.ts [10000,100000]`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHtml } from '../functions/core/report';
import { launchOffline } from '../test/browser/chromium';
import { manyFindingsReport } from '../test/browser/many-findings';

const SIZES = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const OPENINGS = 3;

interface Result {
  findings: number;
  formatMs: number;
  bytes: number;
  bytesPerFinding: number;
  firstRowMs: number;
  filterMs: number;
}

async function measure(findings: number, dir: string): Promise<Result> {
  const report = manyFindingsReport(findings);
  const started = performance.now();
  const html = formatHtml(report);
  const formatMs = performance.now() - started;
  const file = join(dir, `report-${findings}.html`);
  await writeFile(file, html);
  const bytes = Buffer.byteLength(html);
  let firstRowMs = Number.POSITIVE_INFINITY;
  let filterMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < OPENINGS; i++) {
    const browser = await launchOffline();
    try {
      const opened = performance.now();
      await browser.open(file);
      await browser.page.waitForSelector('#findings tbody tr.row', { timeout: 120_000 });
      firstRowMs = Math.min(firstRowMs, performance.now() - opened);
      // One severity filter over every finding, until the table shows its result.
      const filtered = performance.now();
      await browser.page.uncheck('#sev-medium');
      await browser.page.waitForFunction(() =>
        document.getElementById('row-count')?.textContent?.includes('match'),
      );
      filterMs = Math.min(filterMs, performance.now() - filtered);
      if (browser.errors.length > 0 || browser.blocked.length > 0) {
        throw new Error(
          `the report logged errors or made requests: ${[...browser.errors, ...browser.blocked].join('; ')}`,
        );
      }
    } finally {
      await browser.close();
    }
  }
  return {
    findings,
    formatMs: Math.round(formatMs),
    bytes,
    bytesPerFinding: Math.round(bytes / findings),
    firstRowMs: Math.round(firstRowMs),
    filterMs: Math.round(filterMs),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'iam-posture-bench-html-'));
try {
  const results: Result[] = [];
  for (const size of SIZES) results.push(await measure(size, dir));
  console.log(
    'findings  format (ms)  size (MB)  bytes/finding  first row in Chromium (ms)  severity filter (ms)',
  );
  for (const r of results) {
    console.log(
      `${r.findings.toLocaleString('en-US').padStart(8)}  ${String(r.formatMs).padStart(11)}  ${(r.bytes / 1e6).toFixed(1).padStart(9)}  ${String(r.bytesPerFinding).padStart(13)}  ${String(r.firstRowMs).padStart(26)}  ${String(r.filterMs).padStart(20)}`,
    );
  }
  console.log(JSON.stringify({ benchmark: 'html', openings: OPENINGS, results, node: process.version }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
