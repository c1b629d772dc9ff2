// Benchmarks (`npm run bench`, or `npm run bench -- <section> [options]`); results go to BENCHMARKS.md.
//
//   npm run bench                          every section
//   npm run bench -- analysis              one section
//   npm run bench -- analysis --sizes 1000,10000 --runs 5
//   npm run bench -- --list                the sections
//   npm run bench -- malformed             opt-in: bad input at scale (--records 100k,2000k)
//
// Each measurement runs in a fresh child process, so one run's heap never helps the next. A section
// is an entry of SECTIONS: a description and an async `run(context)` that prints its own table.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const BENCH_DATA = join(ROOT, 'bench-data');
const CLI = join(ROOT, 'dist', 'iam-posture.mjs');
const GENERATOR_SOURCES = ['scripts/generate-export.ts', 'scripts/export-builders.ts'];
const SEED = 1;

// ------------------------------------------------------------------------------------- sections

/** @type {Record<string, { description: string, run: (context: Context) => Promise<void>, optIn?: boolean }>} */
const SECTIONS = {
  analysis: {
    description:
      'offline scan (read, normalize, evaluate, format JSON) vs. reading + JSON.parse of the same export, 1k/10k/100k identities',
    run: benchAnalysis,
  },
  phases: {
    description:
      'where the analysis time goes: read + parse, normalize, evaluate rules, format JSON (in-process harness)',
    run: benchPhases,
  },
  bundles: {
    description: 'Lambda bundles (cdk synth): size, and cold import time in a fresh node process',
    run: benchBundleSection,
  },
  'api-calls': {
    description:
      'API calls and wall time of a live collection from moto (2,000 roles, 500 users, 800 keys, 300 secrets) vs. a per-entity scanner',
    run: benchApiCalls,
  },
  privilege: {
    description:
      'privilege analyzer and privilege rules on a synthetic inventory of 100,000 identities (time, CPU, peak RSS)',
    run: benchPrivilege,
  },
  dynamo: {
    description:
      'DynamoDB write requests and write units of a first scan, an unchanged rescan and 10 deleted roles, 2,000-role account (moto)',
    run: benchDynamo,
  },
  org: {
    description:
      'organization scan through the CLI: 20 moto accounts of ~250 identities, --concurrency 1 and 8, API calls per account vs. a single-account scan',
    run: benchOrg,
  },
  html: {
    description:
      'HTML report at 10k and 100k findings: time to format, file size, and time to the first row in Chromium',
    run: benchHtml,
  },
  malformed: {
    description:
      'opt-in: scan of an export with 100k and 2M malformed role records (--records), table and JSON: peak RSS, output size',
    run: benchMalformed,
    optIn: true,
  },
};

/**
 * @typedef {{ sizes: number[], records: number[], runs: number, json: boolean }} Context
 * @typedef {{ ms: number, maxRssMiB: number }} Measurement
 */

async function benchAnalysis(context) {
  buildCli();
  const rows = [];
  for (const identities of context.sizes) {
    const dir = ensureExport(identities);
    const inputMiB = directoryBytes(dir) / 1024 / 1024;
    const parse = bestOf(context.runs, () => measureChild(['--child', 'parse', dir]));
    const analysis = bestOf(context.runs, () => measureChild(['--child', 'analyze', dir]));
    rows.push({ identities, inputMiB, parse, analysis });
  }
  printTable(
    [
      'identities',
      'input MiB',
      'parse ms',
      'parse CPU ms',
      'parse RSS MiB',
      'analysis ms',
      'analysis CPU ms',
      'analysis RSS MiB',
      'analysis/parse',
      'CPU ratio',
      'marginal µs/identity',
    ],
    rows.map((r, i) => {
      const previous = rows[i - 1];
      // Cost of the identities added since the previous size: fixed costs (startup) cancel out.
      const marginal = previous
        ? ((r.analysis.cpuMs - previous.analysis.cpuMs) * 1000) / (r.identities - previous.identities)
        : undefined;
      return [
        r.identities.toLocaleString('en-US'),
        r.inputMiB.toFixed(1),
        r.parse.ms.toFixed(0),
        r.parse.cpuMs.toFixed(0),
        r.parse.maxRssMiB.toFixed(0),
        r.analysis.ms.toFixed(0),
        r.analysis.cpuMs.toFixed(0),
        r.analysis.maxRssMiB.toFixed(0),
        `${(r.analysis.ms / r.parse.ms).toFixed(2)}x`,
        `${(r.analysis.cpuMs / r.parse.cpuMs).toFixed(2)}x`,
        marginal === undefined ? '-' : marginal.toFixed(1),
      ];
    }),
  );
  console.log(
    [
      '',
      'parse: read every file of the export and JSON.parse the JSON ones, in a fresh node process.',
      'analysis: node dist/iam-posture.mjs scan --export DIR --format json --output /dev/null, in a fresh process',
      '  (startup, read, normalize, evaluate every rule, format). Best of the runs by wall time.',
      'analysis/parse: target <= 5x. CPU: user + system time of the process (steadier on a busy machine).',
      'marginal µs/identity: CPU per identity added since the previous size; constant = linear cost.',
    ].join('\n'),
  );
  if (context.json) console.log(JSON.stringify({ section: 'analysis', results: rows }));
}

/** The analysis pipeline phase by phase, in a harness bundled like the CLI, one fresh process per size. */
async function benchPhases(context) {
  const harness = await buildPhasesHarness();
  const rows = [];
  for (const identities of context.sizes) {
    const dir = ensureExport(identities);
    const best = bestOf(context.runs, () => measureChild(['--child', 'phases', dir, harness]));
    rows.push({ identities, ...best });
  }
  printTable(
    [
      'identities',
      'read+parse ms',
      'normalize ms',
      'evaluate ms',
      'format ms',
      'total ms',
      'peak RSS MiB',
      'findings',
    ],
    rows.map((r) => [
      r.identities.toLocaleString('en-US'),
      r.phases.read.toFixed(0),
      r.phases.normalize.toFixed(0),
      r.phases.evaluate.toFixed(0),
      r.phases.format.toFixed(0),
      r.ms.toFixed(0),
      r.maxRssMiB.toFixed(0),
      r.findings,
    ]),
  );
  if (context.json) console.log(JSON.stringify({ section: 'phases', results: rows }));
}

async function buildPhasesHarness() {
  const { build } = await import('esbuild');
  const outfile = join(BENCH_DATA, '.phases-harness.mjs');
  await build({
    stdin: {
      contents: [
        "export { readExportDirectory } from './functions/adapters/export-reader';",
        "export { normalize } from './functions/core/normalize';",
        "export { evaluateInventory } from './functions/core/engine';",
        "export { createPrivilegeAnalyzer } from './functions/core/privilege';",
        "export { RULES } from './functions/core/rules';",
        "export { DEFAULT_SETTINGS } from './functions/core/settings';",
        "export { formatJson } from './functions/core/report';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
  return outfile;
}

/** Bad input at scale: the scan's peak RSS, exit code and output size on many malformed records. */
async function benchMalformed(context) {
  buildCli();
  const rows = [];
  for (const records of context.records) {
    const dir = join(BENCH_DATA, `malformed-${records}`);
    if (!existsSync(join(dir, 'authorization-details.json'))) {
      console.error(`generating ${records} malformed role records in ${dir} ...`);
      const result = spawnSync(
        process.execPath,
        [
          join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
          'scripts/generate-malformed-export.ts',
          '--roles',
          String(records),
          '--out',
          dir,
        ],
        { cwd: ROOT, stdio: 'inherit' },
      );
      if (result.status !== 0) throw new Error('generating the export failed');
    }
    for (const format of ['table', 'json']) {
      const output = join(BENCH_DATA, `.malformed-${records}.${format}`);
      const m = measureChild(['--child', 'scan', dir, format, output]);
      rows.push({
        records,
        inputMiB: directoryBytes(dir) / 1024 / 1024,
        format,
        ...m,
        bytes: statSync(output).size,
      });
    }
  }
  printTable(
    ['records', 'input MiB', 'format', 'exit', 'wall ms', 'peak RSS MiB', 'output bytes', 'coverage gaps'],
    rows.map((r) => [
      r.records.toLocaleString('en-US'),
      r.inputMiB.toFixed(1),
      r.format,
      r.exitCode,
      r.ms.toFixed(0),
      r.maxRssMiB.toFixed(0),
      r.bytes.toLocaleString('en-US'),
      r.gaps,
    ]),
  );
  console.log(
    '\nscan --export DIR --format F --output FILE in a fresh process; records alternate three problems (scripts/generate-malformed-export.ts).',
  );
  if (context.json) console.log(JSON.stringify({ section: 'malformed', results: rows }));
}

/** scripts/bench-bundles.mjs: synthesizes, then imports each function's bundle in fresh processes. */
async function benchBundleSection(context) {
  const { benchBundles, TARGETS } = await import('./bench-bundles.mjs');
  const results = benchBundles({ runs: Math.max(5, context.runs), forceSynth: true });
  printTable(
    [
      'function',
      'bundle KiB',
      'import ms (median)',
      'import ms (min)',
      'node process ms',
      'runs',
      'within targets',
    ],
    results.map((r) => [
      r.function,
      (r.bytes / 1024).toFixed(0),
      r.importMsMedian.toFixed(1),
      r.importMsMin.toFixed(1),
      r.processMsMedian,
      r.runs,
      r.withinTargets ? 'yes' : 'NO',
    ]),
  );
  console.log(`\ntargets: bundle < ${TARGETS.bundleBytes / 1e6} MB, cold import < ${TARGETS.loadMs} ms.`);
  if (context.json) console.log(JSON.stringify({ section: 'bundles', results }));
}

/** scripts/bench-api-calls.ts: seeds a local moto server, collects it, prints its table and a JSON line. */
function benchApiCalls(context) {
  return runTsBenchmark('scripts/bench-api-calls.ts', context);
}

/** scripts/bench-dynamo.ts: first scan, unchanged rescan and a small change against moto's DynamoDB. */
function benchDynamo(context) {
  return runTsBenchmark('scripts/bench-dynamo.ts', context);
}

/** scripts/bench-org.ts: `scan --org` over an organization of moto accounts, at concurrency 1 and 8. */
function benchOrg(context) {
  return runTsBenchmark('scripts/bench-org.ts', context);
}

/** scripts/bench-privilege.ts: the privilege analyzer and the three privilege rules on 100,000 identities. */
function benchPrivilege(context) {
  return runTsBenchmark('scripts/bench-privilege.ts', context);
}

/** scripts/bench-html.ts: the HTML report's size, format time and opening time in Chromium. */
function benchHtml(context) {
  return runTsBenchmark('scripts/bench-html.ts', context);
}

/** Runs a TypeScript benchmark that prints a readable report and a JSON line last. */
async function runTsBenchmark(script, context) {
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), script], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) throw new Error(`${script} exited with ${result.status}:\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  const json = lines.pop();
  if (lines.length > 0) console.log(lines.join('\n'));
  else console.log(json);
  if (context.json && lines.length > 0) console.log(json);
}

// ------------------------------------------------------------------------------------- helpers

/** Runs `node scripts/bench.mjs --child ...` and returns the JSON line it prints last. */
function measureChild(args) {
  return runJsonLine(process.execPath, [fileURLToPath(import.meta.url), ...args]);
}

/** Runs a command that prints one JSON object as its last stdout line (e.g. `npx tsx scripts/bench-x.ts`). */
function runJsonLine(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  }
  const last = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last);
}

function bestOf(runs, measure) {
  let best;
  for (let i = 0; i < runs; i++) {
    const m = measure();
    if (!best || m.ms < best.ms) best = m;
  }
  return best;
}

function buildCli() {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the CLI failed');
}

/** The generated export for a size, cached in bench-data/ and regenerated when the generator changes. */
function ensureExport(identities) {
  const dir = join(BENCH_DATA, `${identities}-seed${SEED}`);
  const stamp = join(dir, '.generator');
  const version = createHash('sha256')
    .update(GENERATOR_SOURCES.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n'))
    .digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return dir;
  console.error(`generating ${identities} identities in ${dir} ...`);
  const result = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      'scripts/generate-export.ts',
      '--identities',
      String(identities),
      '--seed',
      String(SEED),
      '--out',
      dir,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error('generating the export failed');
  writeFileSync(stamp, version);
  return dir;
}

function exportFiles(dir) {
  return readdirSync(dir).filter((name) => !name.startsWith('.'));
}

function directoryBytes(dir) {
  return exportFiles(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

function parseSize(text) {
  const match = /^(\d+)(k?)$/i.exec(text.trim());
  if (!match) throw new Error(`bad size ${text}: use e.g. 1000 or 10k`);
  return Number(match[1]) * (match[2] ? 1000 : 1);
}

// ----------------------------------------------------------------------------- child processes

/** Reads every file of the export and JSON.parses the JSON ones: the floor any analysis pays. */
function childParse(dir) {
  const started = performance.now();
  let keep = 0;
  for (const name of exportFiles(dir)) {
    const text = readFileSync(join(dir, name), 'utf8');
    keep += name.endsWith('.json') ? Object.keys(JSON.parse(text)).length : text.length;
  }
  return { ms: performance.now() - started, keep };
}

/** The real CLI, bundled, in this process: `scan --export DIR --format json --output /dev/null`. */
async function childAnalyze(dir) {
  const started = performance.now();
  process.argv = [process.argv[0], CLI, 'scan', '--export', dir, '--format', 'json', '--output', '/dev/null'];
  await import(pathToFileURL(CLI).href);
  if (process.exitCode && process.exitCode !== 0) throw new Error(`scan exited with ${process.exitCode}`);
  return { ms: performance.now() - started };
}

/** The real CLI, bundled, in this process: `scan --export DIR --format F --output FILE`. */
async function childScan(dir, format, output) {
  const started = performance.now();
  process.argv = [process.argv[0], CLI, 'scan', '--export', dir, '--format', format, '--output', output];
  const stderr = process.stderr.write.bind(process.stderr);
  let warning = '';
  process.stderr.write = (chunk, ...rest) => {
    warning += String(chunk);
    return stderr(chunk, ...rest);
  };
  await import(pathToFileURL(CLI).href);
  await new Promise((done) => setTimeout(done, 0));
  const gaps = /warning: (\d+) coverage gap/.exec(warning)?.[1] ?? '0';
  return { ms: performance.now() - started, exitCode: process.exitCode ?? 0, gaps: Number(gaps) };
}

/** The same steps as `analyzeAccount` and the JSON formatter, timed one by one. */
async function childPhases(dir, harness) {
  const m = await import(pathToFileURL(harness).href);
  const phases = {};
  let last = performance.now();
  const started = last;
  const lap = (name) => {
    const now = performance.now();
    phases[name] = now - last;
    last = now;
  };
  const raw = await m.readExportDirectory(dir);
  lap('read');
  const inventory = m.normalize(raw);
  lap('normalize');
  const result = m.evaluateInventory(inventory, {
    rules: m.RULES,
    settings: m.DEFAULT_SETTINGS,
    now: inventory.collectedAt ?? new Date(),
    privilege: m.createPrivilegeAnalyzer(inventory),
  });
  lap('evaluate');
  const text = m.formatJson({ ...result, coverage: [] });
  lap('format');
  return { ms: performance.now() - started, phases, findings: result.findings.length, bytes: text.length };
}

async function runChild(kind, dir, extra, output) {
  const result =
    kind === 'parse'
      ? childParse(dir)
      : kind === 'phases'
        ? await childPhases(dir, extra)
        : kind === 'scan'
          ? await childScan(dir, extra, output)
          : await childAnalyze(dir);
  const usage = process.resourceUsage();
  const maxRssMiB = usage.maxRSS / 1024;
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  process.stdout.write(`\n${JSON.stringify({ ...result, cpuMs, maxRssMiB })}\n`);
}

// ------------------------------------------------------------------------------------------ main

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'string' },
      sizes: { type: 'string', default: '1k,10k,100k' },
      records: { type: 'string', default: '100k,2000k' },
      runs: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  if (values.child) {
    await runChild(values.child, positionals[0], positionals[1], positionals[2]);
    return;
  }
  if (values.list) {
    for (const [name, section] of Object.entries(SECTIONS))
      console.log(`${name.padEnd(12)} ${section.description}`);
    return;
  }
  const unknown = positionals.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    console.error(`unknown section ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const context = {
    sizes: values.sizes.split(',').map(parseSize),
    records: values.records.split(',').map(parseSize),
    runs: Math.max(1, Number(values.runs) || 1),
    json: values.json,
  };
  console.log(
    `iam-posture benchmarks · ${new Date().toISOString()} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
  );
  const defaults = Object.keys(SECTIONS).filter((name) => !SECTIONS[name].optIn);
  for (const name of positionals.length > 0 ? positionals : defaults) {
    console.log(`\n## ${name}: ${SECTIONS[name].description}\n`);
    await SECTIONS[name].run(context);
  }
}

await main();
