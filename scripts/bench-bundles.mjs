// Measures each Lambda function's bundle as deployed: its size, and the time Node takes to load it
// cold (a fresh `node` process importing the bundle; several runs, median).
//
//   node scripts/bench-bundles.mjs [--runs N] [--synth] [--json] [--check]
//
// The bundles are the code assets of the synthesized template (cdk.out.bench), built by `cdk synth` with
// the stack's own esbuild options; `--synth` (or a missing cdk.out) synthesizes first. `--check`
// exits non-zero when a bundle misses a target.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** 1.5 MB (decimal) and 300 ms. */
export const TARGETS = { bundleBytes: 1_500_000, loadMs: 300 };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Synthesized with Slack approval enabled, so the remediation, notify and interaction functions
// are measured along with the scan function.
const cdkOut = join(root, 'cdk.out.bench');
const SLACK_CONTEXT = [
  '-c',
  'slackChannelId=C0123456789',
  '-c',
  'approvers=[{"teamId":"T0123456789","userId":"U0123456789"}]',
];

function synth() {
  execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', cdkOut, ...SLACK_CONTEXT], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The functions of every synthesized template: logical id, handler file, environment. */
function deployedFunctions() {
  const manifest = JSON.parse(readFileSync(join(cdkOut, 'manifest.json'), 'utf8'));
  const templates = Object.values(manifest.artifacts ?? {})
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack')
    .map((artifact) => join(cdkOut, artifact.properties.templateFile));
  return templates.flatMap((file) => {
    const template = JSON.parse(readFileSync(file, 'utf8'));
    return Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([logicalId, resource]) => {
        const { Code, Handler, Environment } = resource.Properties;
        const hash = /^([0-9a-f]{64})\.zip$/.exec(Code.S3Key ?? '')?.[1];
        if (!hash) throw new Error(`${logicalId}: no bundled code asset`);
        const dir = join(cdkOut, `asset.${hash}`);
        const module = Handler.slice(0, Handler.lastIndexOf('.'));
        const file = ['.mjs', '.js'].map((ext) => join(dir, module + ext)).find(existsSync);
        if (!file) throw new Error(`${logicalId}: ${module}.mjs not found in ${dir}`);
        // Tokens (table name, bus name, region) become placeholders: loading must not need them.
        const environment = Object.fromEntries(
          Object.entries(Environment?.Variables ?? {}).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : 'bench',
          ]),
        );
        return { logicalId, file, environment };
      });
  });
}

/** One cold load: a new Node process imports the bundle; returns the import time and the process time. */
function loadOnce(file, environment) {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environment },
    encoding: 'utf8',
  });
  return { importMs: Number(out), processMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export function benchBundles({ runs = 7, forceSynth = false } = {}) {
  if (forceSynth || !existsSync(join(cdkOut, 'manifest.json'))) synth();
  return deployedFunctions().map(({ logicalId, file, environment }) => {
    const loads = Array.from({ length: runs }, () => loadOnce(file, environment));
    const bytes = statSync(file).size;
    const importMs = median(loads.map((l) => l.importMs));
    return {
      function: logicalId,
      bundle: file.slice(root.length + 1),
      bytes,
      importMsMedian: Math.round(importMs * 10) / 10,
      importMsMin: Math.round(Math.min(...loads.map((l) => l.importMs)) * 10) / 10,
      processMsMedian: Math.round(median(loads.map((l) => l.processMs))),
      runs,
      withinTargets: bytes < TARGETS.bundleBytes && importMs < TARGETS.loadMs,
    };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const runsArg = args.indexOf('--runs');
  const results = benchBundles({
    runs: runsArg >= 0 ? Number(args[runsArg + 1]) : 7,
    forceSynth: args.includes('--synth'),
  });
  if (args.includes('--json')) {
    console.log(
      JSON.stringify({ targets: TARGETS, node: process.version, loadavg: loadavg(), results }, null, 2),
    );
  } else {
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    console.log(
      `Lambda bundles (Node ${process.version}, load average ${load}; targets: < 1.5 MB, cold import < ${TARGETS.loadMs} ms)`,
    );
    const width = Math.max(8, ...results.map((r) => r.function.length)) + 2;
    console.log(`${'function'.padEnd(width)} size        import (median, min)    node process (median)`);
    for (const r of results) {
      const size = `${(r.bytes / 1e6).toFixed(2)} MB`;
      console.log(
        `${r.function.padEnd(width)} ${size.padEnd(11)} ${`${r.importMsMedian} ms, ${r.importMsMin} ms`.padEnd(23)} ${r.processMsMedian} ms${r.withinTargets ? '' : '   MISSES TARGET'}`,
      );
    }
  }
  if (args.includes('--check') && results.some((r) => !r.withinTargets)) process.exit(1);
}
