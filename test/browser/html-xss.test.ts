/**
 * Finding text is data, never markup: resource names, reasons and evidence that look like HTML or
 * script show as text in the table and in the expanded row, and nothing from them runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHtml } from '../../functions/core/report';
import { aFinding, aReport } from '../unit/report/fixtures';
import { launchOffline } from './chromium';

const ARN = 'arn:aws:iam::111122223333:role/</script><script>window.pwned=1</script>';
const REASON = 'Role <img src=x onerror="window.pwned=2"> was last used </tbody> long ago & more.';
const EVIDENCE_VALUE = '<svg onload="window.pwned=3">';

describe('HTML report with hostile finding text', () => {
  let dir: string;
  let browser: Awaited<ReturnType<typeof launchOffline>>;
  const dialogs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iam-posture-html-xss-'));
    const file = join(dir, 'report.html');
    const finding = aFinding({
      resourceArn: ARN,
      subResource: '"><b>bold</b>',
      reason: REASON,
      evidence: { note: EVIDENCE_VALUE, ageDays: 120 },
    });
    await writeFile(file, formatHtml(aReport([finding])));
    browser = await launchOffline();
    browser.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await browser.open(file);
    await browser.page.waitForSelector('#findings tbody tr.row');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the text as it is, and runs none of it', async () => {
    const { page } = browser;
    const cells = await page.locator('#findings tbody tr.row td').allTextContents();
    expect(cells[5]).toBe(REASON);
    expect(cells[2]).toBe('role/</script><script>window.pwned=1</script> · "><b>bold</b>');
    await page.click('#findings tbody tr.row');
    const detail = (await page.textContent('#findings tbody tr.detail')) ?? '';
    expect(detail).toContain(ARN);
    expect(detail).toContain(EVIDENCE_VALUE);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('main img, main b, #findings svg').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(browser.errors).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });
});
