/**
 * `scan --export ORG_EXPORT --format html`: one report for every account of an organization
 * export, the accounts not fully scanned listed with why, opened offline in Chromium.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANIZATION_EXIT } from '../../bin/exit-codes';
import { DEMO_CONFIG, DEMO_EXPORT, runCli } from '../support/cli';
import { launchOffline } from './chromium';

describe('HTML report of an organization export', () => {
  let dir: string;
  let file: string;
  let browser: Awaited<ReturnType<typeof launchOffline>>;
  let stderr: string;
  let code: number | null;
  /** The demo account's own scan: the counts the run's report must show for it. */
  let demo: { summary: { total: number }; findings: unknown[] };

  beforeAll(async () => {
    const json = await runCli(['scan', '--export', DEMO_EXPORT, '--config', DEMO_CONFIG, '--format', 'json']);
    demo = JSON.parse(json.stdout);
    dir = await mkdtemp(join(tmpdir(), 'iam-posture-html-org-'));
    const org = join(dir, 'org');
    await cp(DEMO_EXPORT, join(org, '111122223333'), { recursive: true });
    // Listed but never collected: the scan reports it failed.
    await writeFile(
      join(org, 'accounts.json'),
      JSON.stringify([
        { id: '111122223333', name: 'demo' },
        { id: '444455556666', name: 'lost' },
      ]),
    );
    file = join(dir, 'org.html');
    const result = await runCli([
      'scan',
      '--export',
      org,
      '--config',
      DEMO_CONFIG,
      '--format',
      'html',
      '--output',
      file,
      '--quiet',
    ]);
    stderr = result.stderr;
    code = result.code;
    browser = await launchOffline();
    await browser.open(file);
    await browser.page.waitForSelector('#findings tbody tr.row');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one HTML file for the run, and exits as a run with a failed account does', () => {
    expect(code, stderr).toBe(ORGANIZATION_EXIT.someAccountsFailed);
    expect(stderr).toMatch(new RegExp(`wrote html report of organization run \\S+ to ${file}`));
  });

  it('lists the account not fully scanned, and says why', async () => {
    const { page } = browser;
    const rows = page.locator('#accounts-incomplete tbody tr');
    const cells = await Promise.all([0, 1].map((i) => rows.nth(i).locator('td').allTextContents()));
    expect(await rows.count()).toBe(2);
    // The demo's unreadable managed policy makes its scan partial.
    expect(cells[0]!.slice(0, 3)).toEqual(['111122223333', 'demo', 'partial']);
    expect(cells[1]!.slice(0, 3)).toEqual(['444455556666', 'lost', 'failed']);
    expect(cells[1]![3]).toContain('the account was not collected');
    expect(await page.textContent('#summary-meta')).toContain('2 accounts: 0 complete, 1 partial, 1 failed');
  });

  it('holds the scanned account’s findings and charts, and filters by account', async () => {
    const { page } = browser;
    expect(await page.textContent('#count-total b')).toBe(String(demo.summary.total));
    expect(await page.locator('#chart-matrix svg').count()).toBe(1);
    await page.selectOption('#filter-account', '444455556666');
    expect(await page.textContent('#row-count')).toBe(`0 of ${demo.findings.length} findings match`);
    await page.selectOption('#filter-account', '111122223333');
    expect(await page.textContent('#row-count')).toBe(`${demo.findings.length} findings`);
  });

  it('made no network request and logged no error', () => {
    expect(browser.blocked).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
