/**
 * The HTML report at 100,000 findings: its size, the time until the first row shows in Chromium,
 * and filtering and paging to the end with the DOM holding one page of rows. The bounds are
 * generous on purpose (a shared CI machine); `npm run bench -- html` measures the real numbers.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../functions/core/finding';
import { formatReport } from '../../functions/core/report';
import { launchOffline } from './chromium';
import { manyFindingsReport } from './many-findings';

const FINDINGS = 100_000;

describe('HTML report with 100,000 findings', () => {
  let dir: string;
  let file: string;
  let findings: Finding[];
  let browser: Awaited<ReturnType<typeof launchOffline>>;
  let firstRowMs: number;

  beforeAll(async () => {
    const report = manyFindingsReport(FINDINGS);
    findings = report.findings;
    dir = await mkdtemp(join(tmpdir(), 'iam-posture-html-scale-'));
    file = join(dir, 'report.html');
    await writeFile(file, formatReport(report, 'html', { color: false }));
    browser = await launchOffline();
    const started = performance.now();
    await browser.open(file);
    await browser.page.waitForSelector('#findings tbody tr.row', { timeout: 30_000 });
    firstRowMs = performance.now() - started;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is a file of a few tens of MB at most', async () => {
    const { size } = await stat(file);
    console.info(
      `html report, ${FINDINGS} findings: ${(size / 1e6).toFixed(1)} MB, first row after ${Math.round(firstRowMs)} ms`,
    );
    expect(findings).toHaveLength(FINDINGS);
    expect(size).toBeLessThan(40e6);
  });

  it('shows its first rows within seconds, and only one page of them', async () => {
    const { page } = browser;
    expect(firstRowMs).toBeLessThan(20_000);
    expect(await page.locator('#findings tbody tr').count()).toBe(100);
    expect(await page.textContent('#row-count')).toBe('100,000 findings');
    expect(await page.textContent('#count-total b')).toBe('100,000');
    expect(await page.textContent('#page-info')).toBe('1–100 of 100,000 · page 1 of 1000');
  });

  it('filters by severity and text', async () => {
    const { page } = browser;
    for (const severity of ['high', 'medium', 'low', 'informational']) await page.uncheck(`#sev-${severity}`);
    const critical = findings.filter((f) => f.severity === 'critical');
    expect(await page.textContent('#row-count')).toBe(
      `${critical.length.toLocaleString('en-US')} of 100,000 findings match`,
    );
    await page.fill('#filter-text', 'admin-00042');
    const expected = critical.filter((f) => f.resourceArn.includes('admin-00042'));
    expect(expected).toHaveLength(10);
    await page.waitForFunction(
      (n) => document.querySelectorAll('#findings tbody tr.row').length === n,
      expected.length,
      { timeout: 10_000 },
    );
    const reasons = await page.locator('#findings tbody tr.row td:last-child').allTextContents();
    expect(reasons).toEqual(expected.map((f) => f.reason));
  }, 30_000);

  it('pages to the last filtered finding', async () => {
    const { page } = browser;
    await page.fill('#filter-text', '');
    const critical = findings.filter((f) => f.severity === 'critical');
    await page.waitForFunction(
      () => document.querySelectorAll('#findings tbody tr.row').length === 100,
      null,
      {
        timeout: 10_000,
      },
    );
    await page.click('button[data-page="last"]');
    const pages = Math.ceil(critical.length / 100);
    expect(await page.textContent('#page-info')).toBe(
      `${(critical.length - 99).toLocaleString('en-US')}–${critical.length.toLocaleString('en-US')} of ${critical.length.toLocaleString('en-US')} · page ${pages} of ${pages}`,
    );
    const last = page.locator('#findings tbody tr.row').last();
    await last.scrollIntoViewIfNeeded();
    expect(await last.locator('td:last-child').textContent()).toBe(critical.at(-1)!.reason);
    expect(await page.locator('#findings tbody tr').count()).toBe(100);
  }, 30_000);

  it('made no network request and logged no error', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
