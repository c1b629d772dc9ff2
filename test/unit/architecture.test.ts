import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli';

/**
 * The layering of STYLE.md, checked on import lines. Imports point inward: handlers and the CLI ->
 * wiring -> use-cases and adapters -> core. Adapters may use the use-cases' port interfaces, as
 * types; use cases never use adapters. lib/ (CDK) imports only the core. The core is pure: no AWS
 * SDK, no environment, no clock, no logging. And no module imports itself through others.
 */

const SOURCE_DIRS = ['functions', 'bin', 'lib'] as const;

async function sourceFiles(dir: string): Promise<string[]> {
  if (!existsSync(join(ROOT, dir))) return [];
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

interface ImportLine {
  file: string;
  line: string;
  /** As written: `../core/rule`, `zod`. */
  spec: string;
  /** The import target as a repository path without extension (`functions/core/rule`), or the package name. */
  target: string;
  /** The file a relative import loads (`functions/core/rule.ts`); undefined for packages. */
  resolved?: string;
  typeOnly: boolean;
}

/** `import ... from`, `export ... from`, `import '...'` and `import('...')`, with their specifier. */
const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)';?$/gms;
const DYNAMIC_IMPORT = /\bimport\(\s*'([^']+)'\s*\)/g;

function resolveFile(path: string): string | undefined {
  return [path, `${path}.ts`, join(path, 'index.ts')].find(
    (candidate) => candidate.endsWith('.ts') && existsSync(join(ROOT, candidate)),
  );
}

async function importsOf(dir: string): Promise<ImportLine[]> {
  const out: ImportLine[] = [];
  for (const file of await sourceFiles(dir)) {
    const text = await readFile(join(ROOT, file), 'utf8');
    const found = [
      ...[...text.matchAll(STATIC_IMPORT)].map((m) => ({
        spec: m[2]!,
        line: m[0],
        typeOnly: m[1] !== undefined,
      })),
      ...[...text.matchAll(DYNAMIC_IMPORT)].map((m) => ({ spec: m[1]!, line: m[0], typeOnly: false })),
    ];
    for (const { spec, line, typeOnly } of found) {
      const relativeImport = spec.startsWith('.');
      const target = relativeImport ? relative(ROOT, join(ROOT, file, '..', spec)) : spec;
      const resolved = relativeImport ? resolveFile(target) : undefined;
      out.push({
        file,
        line: line.split('\n')[0]!,
        spec,
        target,
        typeOnly,
        ...(resolved ? { resolved } : {}),
      });
    }
  }
  return out;
}

const describeImport = (i: ImportLine) => `${i.file}: ${i.target}`;

type Layer = 'core' | 'adapters' | 'use-cases' | 'wiring' | 'handlers' | 'cli' | 'cdk-app' | 'cdk';

/** Where a repository path belongs; undefined for a path outside every layer of STYLE.md. */
function layerOf(path: string): Layer | undefined {
  if (path.startsWith('functions/core/')) return 'core';
  if (path.startsWith('functions/adapters/')) return 'adapters';
  if (path.startsWith('functions/use-cases/')) return 'use-cases';
  if (path.startsWith('functions/wiring/')) return 'wiring';
  if (path.startsWith('functions/handlers/')) return 'handlers';
  if (path === 'bin/app' || path === 'bin/app.ts') return 'cdk-app';
  if (path.startsWith('bin/')) return 'cli';
  if (path.startsWith('lib/')) return 'cdk';
  return undefined;
}

/** The layers each layer may import (itself included). */
const INWARD: Record<Layer, readonly Layer[]> = {
  core: ['core'],
  'use-cases': ['use-cases', 'core'],
  adapters: ['adapters', 'core'],
  wiring: ['wiring', 'use-cases', 'adapters', 'core'],
  handlers: ['handlers', 'wiring', 'use-cases', 'adapters', 'core'],
  cli: ['cli', 'wiring', 'use-cases', 'adapters', 'core'],
  'cdk-app': ['cdk', 'core'],
  cdk: ['cdk', 'core'],
};

/** An adapter implements the use-cases' ports, so it may name them as types. */
const isPortType = (i: ImportLine) =>
  layerOf(i.file) === 'adapters' && i.typeOnly && /^functions\/use-cases\/[^/]*-ports$/.test(i.target);

async function allImports(): Promise<ImportLine[]> {
  return (await Promise.all(SOURCE_DIRS.map(importsOf))).flat();
}

describe('layering', () => {
  it('finds the import lines it checks, including re-exports and dynamic imports', async () => {
    const all = await allImports();
    const core = all.filter((i) => i.file.startsWith('functions/core/'));
    expect(
      core.some((i) => i.target === 'functions/core/rule' && i.resolved === 'functions/core/rule.ts'),
    ).toBe(true);
    expect(core.length).toBeGreaterThan(50);
    expect(all.some((i) => i.line.startsWith('export') && i.resolved !== undefined)).toBe(true);
    expect(all.some((i) => i.line.startsWith('import(') && i.file.startsWith('bin/'))).toBe(true);
    expect(
      all.some(
        (i) => i.target === 'functions/core/report' && i.resolved === 'functions/core/report/index.ts',
      ),
    ).toBe(true);
  });

  it('resolves every relative import to a source file', async () => {
    const unresolved = (await allImports()).filter(
      (i) => i.spec.startsWith('.') && !i.spec.endsWith('.json') && !i.resolved,
    );
    expect(unresolved.map(describeImport)).toEqual([]);
  });

  it('places every source file in a layer of STYLE.md', async () => {
    const files = (await Promise.all(SOURCE_DIRS.map(sourceFiles))).flat();
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  it('points every import inward: handlers and the CLI -> wiring -> use cases and adapters -> core', async () => {
    const outward = (await allImports()).filter((i) => {
      const from = layerOf(i.file);
      const to = layerOf(i.target);
      if (!from || !to) return false;
      return !INWARD[from].includes(to) && !isPortType(i);
    });
    expect(outward.map(describeImport)).toEqual([]);
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

  it('keeps the AWS SDK out of use cases', async () => {
    const bad = (await importsOf('functions/use-cases')).filter((i) => i.target.startsWith('@aws-sdk/'));
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('lets adapters import use-case ports only as types', async () => {
    const bad = (await importsOf('functions/adapters')).filter(
      (i) => layerOf(i.target) === 'use-cases' && !isPortType(i),
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

describe('the CLI entry', () => {
  it('loads no AWS SDK module until a command calls AWS: the SDK is imported dynamically only', async () => {
    const all = await allImports();
    const loadedAtStart = (i: ImportLine) => !i.typeOnly && !i.line.startsWith('import(');
    const seen = new Set<string>();
    const queue = ['bin/iam-posture.ts'];
    const sdk: string[] = [];
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const i of all.filter((i) => i.file === file && loadedAtStart(i))) {
        if (i.resolved) queue.push(i.resolved);
        else if (/^@(aws-sdk|smithy)\//.test(i.target)) sdk.push(describeImport(i));
      }
    }
    expect(seen.has('bin/exit-codes.ts')).toBe(true);
    expect(sdk).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------- cycles

interface ImportCycle {
  /** The files of one strongly connected component, sorted. */
  files: string[];
  /** One shortest cycle through the first of them: `a -> b -> a`. */
  path: string[];
}

/** The import cycles of a graph (file -> files it imports): Tarjan's strongly connected components. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): ImportCycle[] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);

  return components
    .filter((c) => c.length > 1 || (graph.get(c[0]!) ?? []).includes(c[0]!))
    .map((files) => ({ files, path: shortestCycle(graph, files) }))
    .sort((a, b) => (a.files[0]! < b.files[0]! ? -1 : 1));
}

function shortestCycle(graph: ReadonlyMap<string, readonly string[]>, files: readonly string[]): string[] {
  const start = files[0]!;
  const inComponent = new Set(files);
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!inComponent.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

const describeCycle = (cycle: ImportCycle) => cycle.path.join(' -> ');

describe('import cycles', () => {
  it('finds every cycle of a graph, with a path through it', () => {
    const graph = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['c', 'e']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['f']],
      ['f', []],
      ['g', ['h', 'a']],
      ['h', ['g']],
    ]);
    expect(importCycles(graph)).toEqual([
      { files: ['a', 'b', 'c'], path: ['a', 'b', 'c', 'a'] },
      { files: ['d'], path: ['d', 'd'] },
      { files: ['g', 'h'], path: ['g', 'h', 'g'] },
    ]);
    expect(
      importCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('has no import cycle in functions/, bin/ and lib/', async () => {
    const graph = new Map<string, string[]>();
    for (const dir of SOURCE_DIRS) for (const file of await sourceFiles(dir)) graph.set(file, []);
    for (const i of await allImports()) if (i.resolved) graph.get(i.file)!.push(i.resolved);
    const cycles = importCycles(graph);
    expect(cycles.map(describeCycle)).toEqual([]);
  });
});
