/**
 * The HTML report of the demo account, as `scan --format html --output FILE` writes it, opened in
 * Debian's Chromium with every network request blocked. Screenshots of the summary and of a
 * filtered table go to test-results/html-report/.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonFinding } from '../../functions/core/report';
import { DEMO_CONFIG, DEMO_EXPORT, ROOT, runCli } from '../support/cli';
import { launchOffline, pngSize } from './chromium';

const SCREENSHOTS = join(ROOT, 'test-results', 'html-report');

interface JsonReport {
  findings: JsonFinding[];
  summary: {
    total: number;
    suppressed: number;
    bySeverity: Record<string, number>;
    coverageGaps: number;
    evaluatedAt: string;
  };
}

/** What the page's search matches: the same fields, case-insensitively. */
function matches(f: JsonFinding, query: string): boolean {
  return [f.reason, f.resourceArn, f.subResource ?? '', f.ruleId, f.title, f.accountId, f.region ?? '', f.id]
    .join('\n')
    .toLowerCase()
    .includes(query.toLowerCase());
}

describe('HTML report in Chromium', () => {
  let dir: string;
  let file: string;
  let json: JsonReport;
  let browser: Awaited<ReturnType<typeof launchOffline>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iam-posture-html-'));
    file = join(dir, 'report.html');
    const scan = ['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG];
    const [html, asJson] = await Promise.all([
      runCli([...scan, '--format', 'html', '--output', file]),
      runCli([...scan, '--format', 'json']),
    ]);
    expect(html.code, html.stderr).toBe(0);
    json = JSON.parse(asJson.stdout) as JsonReport;
    expect(html.stderr).toContain(`wrote html report to ${file} (${json.summary.total} findings)`);
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchOffline();
    await browser.open(file);
    await browser.page.waitForSelector('#findings tbody tr.row');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the summary counts of the scan', async () => {
    const { page } = browser;
    const tile = async (id: string) => Number((await page.textContent(`#${id} b`))?.replace(/,/g, ''));
    expect(await tile('count-total')).toBe(json.summary.total);
    expect(await tile('count-suppressed')).toBe(json.summary.suppressed);
    expect(await tile('count-coverage')).toBe(json.summary.coverageGaps);
    for (const severity of ['critical', 'high', 'medium', 'low', 'informational']) {
      expect(await tile(`count-${severity}`)).toBe(json.summary.bySeverity[severity]);
    }
    expect(json.findings).toHaveLength(json.summary.total + json.summary.suppressed);
    expect(await page.textContent('h1')).toBe('iam-posture report · Account 111122223333');
    expect(await page.textContent('#summary-meta')).toContain(`evaluated as of ${json.summary.evaluatedAt}`);
    expect(await page.textContent('#row-count')).toBe(`${json.findings.length} findings`);
    expect(await page.locator('#findings tbody tr.row').count()).toBe(json.findings.length);
  });

  it('draws every chart as inline SVG', async () => {
    const { page } = browser;
    for (const id of ['chart-severity', 'chart-rule', 'chart-key-age', 'chart-secret-age', 'chart-matrix']) {
      expect(await page.locator(`#${id} svg`).count(), id).toBe(1);
    }
    expect(await page.locator('#chart-severity g.bar').count()).toBe(5);
    expect(await page.locator('#chart-matrix g.cell').count()).toBe(9);
    // The demo's one stale admin-equivalent identity, in the matrix's worst corner.
    const worst = '#chart-matrix g.cell[data-level="admin-equivalent"][data-state="stale"] > text';
    expect(await page.textContent(worst)).toBe('1');
    const box = await page.locator('#chart-key-age svg').boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    expect(box?.height).toBeGreaterThan(100);
  });

  it('lists the coverage gap of the demo', async () => {
    const { page } = browser;
    expect(await page.locator('#coverage-gaps tbody tr').count()).toBe(1);
    expect(await page.textContent('#coverage-gaps tbody')).toContain('SecurityAudit');
  });

  it('filters by severity and text, and screenshots the filtered table', async () => {
    const { page } = browser;
    for (const severity of ['critical', 'medium', 'low', 'informational']) {
      await page.uncheck(`#sev-${severity}`);
    }
    const high = json.findings.filter((f) => f.severity === 'high');
    expect(await page.locator('#findings tbody tr.row').count()).toBe(high.length);
    await page.fill('#filter-text', 'Administrator');
    const expected = high.filter((f) => matches(f, 'Administrator'));
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(high.length);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#findings tbody tr.row').length === n,
      expected.length,
    );
    expect(await page.textContent('#row-count')).toBe(
      `${expected.length} of ${json.findings.length} findings match`,
    );
    const reasons = await page.locator('#findings tbody tr.row td:last-child').allTextContents();
    expect(reasons).toEqual(expected.map((f) => f.reason));

    const shot = join(SCREENSHOTS, 'filtered-table.png');
    await page.locator('#findings-section').screenshot({ path: shot });
    const png = await pngSize(shot);
    expect(png.width).toBeGreaterThan(600);
    expect(png.height).toBeGreaterThan(150);
    expect(png.bytes).toBeGreaterThan(10_000);
  });

  it('sorts by a column, both ways', async () => {
    const { page } = browser;
    await page.fill('#filter-text', '');
    for (const severity of ['critical', 'medium', 'low', 'informational'])
      await page.check(`#sev-${severity}`);
    await page.waitForFunction(
      (all) => document.querySelectorAll('#findings tbody tr.row').length === all,
      json.findings.length,
    );
    const rules = () => page.locator('#findings tbody tr.row td:nth-child(2)').allTextContents();
    const byRule = json.findings.map((f) => f.ruleId).sort();
    await page.click('th[data-sort="rule"]');
    expect(await rules()).toEqual(byRule);
    expect(await page.getAttribute('th[data-sort="rule"]', 'aria-sort')).toBe('ascending');
    await page.click('th[data-sort="rule"]');
    expect(await rules()).toEqual([...byRule].reverse());
    expect(await page.getAttribute('th[data-sort="rule"]', 'aria-sort')).toBe('descending');
    // Back to risk order: the order of the JSON report.
    await page.click('th[data-sort="severity"]');
    expect(await rules()).toEqual(json.findings.map((f) => f.ruleId));
  });

  it('expands a row to its evidence, compliance and remediation', async () => {
    const { page } = browser;
    const first = json.findings[0]!;
    await page.click('#findings tbody tr.row >> nth=0');
    const detail = page.locator('#findings tbody tr.detail');
    expect(await detail.count()).toBe(1);
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain(first.id);
    expect(text).toContain(first.resourceArn);
    expect(text).toContain(first.remediation.summary);
    for (const key of Object.keys(first.evidence)) expect(text).toContain(key);
    for (const ref of first.compliance) expect(text).toContain(ref.control);
    await page.click('#findings tbody tr.row >> nth=0');
    expect(await detail.count()).toBe(0);
    // From the keyboard: Enter on a focused row opens it, and the focus stays on that row.
    await page.focus('#findings tbody tr.row >> nth=1');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#findings tbody tr.row >> nth=1', 'aria-expanded')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-row'))).toBe('1');
    await page.keyboard.press('Enter');
    expect(await detail.count()).toBe(0);
  });

  it('screenshots the summary', async () => {
    const shot = join(SCREENSHOTS, 'summary.png');
    await browser.page.locator('header').screenshot({ path: shot });
    const png = await pngSize(shot);
    expect(png.width).toBeGreaterThan(600);
    expect(png.height).toBeGreaterThan(80);
    expect(png.bytes).toBeGreaterThan(5_000);
  });

  it('made no network request and logged no error', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  it('is one file: the report holds its style and script inline', async () => {
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/<(link|img|iframe)\b/i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
  });
});
