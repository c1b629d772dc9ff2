import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli';

/**
 * The layering of STYLE.md, checked on import lines: handlers and the CLI -> use-cases -> core;
 * adapters -> core (and the use-cases' port interfaces they implement, as types); lib/ -> core only.
 * The core is pure: no AWS SDK, no environment, no clock, no logging.
 */

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

interface ImportLine {
  file: string;
  line: string;
  /** The import target resolved to a repository path (`functions/core/rule`), or the package name. */
  target: string;
  typeOnly: boolean;
}

async function importsOf(dir: string): Promise<ImportLine[]> {
  const out: ImportLine[] = [];
  for (const file of await sourceFiles(dir)) {
    const text = await readFile(join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)';?$/gms)) {
      const spec = match[2]!;
      const target = spec.startsWith('.') ? relative(ROOT, join(ROOT, file, '..', spec)) : spec;
      out.push({ file, line: match[0].split('\n')[0]!, target, typeOnly: match[1] !== undefined });
    }
  }
  return out;
}

const describeImport = (i: ImportLine) => `${i.file}: ${i.target}`;

describe('layering', () => {
  it('finds the import lines it checks', async () => {
    const core = await importsOf('functions/core');
    expect(core.some((i) => i.target === 'functions/core/rule')).toBe(true);
    expect(core.length).toBeGreaterThan(50);
  });

  it('keeps the core pure: it imports only the core, zod, picomatch and node:crypto', async () => {
    const allowed = (i: ImportLine) =>
      i.target.startsWith('functions/core/') || ['zod', 'picomatch', 'node:crypto'].includes(i.target);
    const bad = (await importsOf('functions/core')).filter((i) => !allowed(i));
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('keeps the environment, the clock and logging out of the core', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles('functions/core')) {
      const code = (await readFile(join(ROOT, file), 'utf8'))
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const pattern of [/process\.env/, /Date\.now\(/, /new Date\(\)/, /console\./]) {
        if (pattern.test(code)) offenders.push(`${file}: ${pattern.source}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('lets use cases depend on the core and each other, never on adapters, handlers or the SDK', async () => {
    const bad = (await importsOf('functions/use-cases')).filter(
      (i) =>
        i.target.startsWith('functions/adapters') ||
        i.target.startsWith('functions/handlers') ||
        i.target.startsWith('@aws-sdk/'),
    );
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('lets adapters depend on the core, and on use-case ports only as types', async () => {
    const bad = (await importsOf('functions/adapters')).filter(
      (i) =>
        i.target.startsWith('functions/handlers') ||
        (i.target.startsWith('functions/use-cases') && !(i.typeOnly && i.target.endsWith('-ports'))),
    );
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('lets lib/ import only CDK, the core and itself', async () => {
    const bad = (await importsOf('lib')).filter(
      (i) => i.target.startsWith('functions/') && !i.target.startsWith('functions/core/'),
    );
    expect(bad.map(describeImport)).toEqual([]);
  });
});
