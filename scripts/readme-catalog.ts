/**
 * Keeps the generated parts of README.md in step with the code: the rule catalog and the
 * threshold table, between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` markers.
 *
 *   npx tsx scripts/readme-catalog.ts          rewrite README.md (then formatted by Biome)
 *   npx tsx scripts/readme-catalog.ts --check  exit 1 if README.md is out of date
 *
 * Biome aligns Markdown tables; comparisons ignore that padding (`normalizeTables`).
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { catalogEntries, formatCatalogMarkdown, thresholdInfo } from '../functions/core/report';
import { RULES } from '../functions/core/rules';
import { DEFAULT_SETTINGS, type Thresholds } from '../functions/core/settings';

export function generatedSections(): Record<string, string> {
  const entries = catalogEntries(RULES);
  const names = Object.keys(DEFAULT_SETTINGS.thresholds) as (keyof Thresholds)[];
  const thresholds = [
    '| key | default (days) | bounds | used by |',
    '|---|---|---|---|',
    ...names.map((name) => {
      const info = thresholdInfo(name, DEFAULT_SETTINGS.thresholds);
      const rules = entries.filter((e) => e.threshold?.name === name).map((e) => `\`${e.id}\``);
      return `| \`${name}\` | ${info.default} | ${info.min}..${info.max} | ${rules.join(', ')} |`;
    }),
  ].join('\n');
  return { 'rule-catalog': formatCatalogMarkdown(entries).trimEnd(), thresholds };
}

/** The README with every generated section replaced; throws if a marker is missing. */
export function renderReadme(readme: string): string {
  let text = readme;
  for (const [name, body] of Object.entries(generatedSections())) {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} section`);
    text = `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
  }
  return text;
}

/** Markdown with table padding removed: `| a   | b |` and `| a | b |` compare equal. */
export function normalizeTables(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => (line.startsWith('|') ? line.replace(/ *\| */g, '|').replace(/-{3,}/g, '---') : line))
    .join('\n');
}

async function main(): Promise<void> {
  const file = resolve('README.md');
  const readme = await readFile(file, 'utf8');
  const rendered = renderReadme(readme);
  if (process.argv.includes('--check')) {
    if (normalizeTables(rendered) !== normalizeTables(readme)) {
      process.stderr.write('README.md is out of date: run npx tsx scripts/readme-catalog.ts\n');
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(file, rendered);
  execFileSync(resolve('node_modules/.bin/biome'), ['format', '--write', file], { stdio: 'inherit' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
