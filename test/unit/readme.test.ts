import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../functions/core/rules';
import { normalizeTables, renderReadme } from '../../scripts/readme-catalog';

describe('README.md', () => {
  it('has the rule catalog and thresholds the code has (npx tsx scripts/readme-catalog.ts)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(normalizeTables(readme)).toBe(normalizeTables(renderReadme(readme)));
    for (const rule of RULES) {
      expect(normalizeTables(readme)).toContain(`|\`${rule.meta.id}\`|${rule.meta.severity}|`);
    }
  });

  it('starts with what it is and the two commands a newcomer needs', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const firstScreen = readme.split('\n').slice(0, 40).join('\n');
    expect(firstScreen).toContain('npm ci && npm run demo');
    expect(firstScreen).toContain('npm test');
  });
});

describe('the README demo excerpt', () => {
  it('is what the demo prints on a 100-column terminal', async () => {
    const { readExportDirectory } = await import('../../functions/adapters/export-reader');
    const { loadScanSettings } = await import('../../functions/adapters/config-file');
    const { analyzeAccount } = await import('../../functions/use-cases/analyze');
    const { formatTable } = await import('../../functions/core/report');
    const root = new URL('../../', import.meta.url).pathname;
    const report = analyzeAccount(await readExportDirectory(`${root}examples/demo-account`), {
      settings: await loadScanSettings(`${root}examples/demo-config.yaml`),
      now: new Date(),
    });
    const output = formatTable(report, { color: false, width: 100 }).split('\n');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const excerpt = /```text\n(Account [\s\S]*?)```/.exec(readme)![1]!.trimEnd().split('\n');
    const shown = excerpt.filter((line) => line !== '...');
    expect(shown.length).toBeGreaterThan(5);
    for (const line of shown) expect(output).toContain(line);
  });
});
